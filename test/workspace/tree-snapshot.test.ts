import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readChanges } from '../../src/gates/worktree-diff.js';
import { hasTree, snapshotTree, treeWithout } from '../../src/workspace/tree-snapshot.js';
import { tempGitRepos } from '../gates/helpers.js';

/*
 * In place with no commit per task, a task is judged against the working tree as it was when its
 * agent started, kept as a git tree: the user's uncommitted changes and the earlier tasks' work are in
 * it, so they are not the task's; taking it leaves the checkout's index and files alone.
 */

const repoWith = tempGitRepos();

async function snapshot(dir: string): Promise<string> {
  const r = await snapshotTree(dir);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('snapshotTree', () => {
  it('holds the uncommitted changes, so that the changes read against it are only the ones made after it', async () => {
    const repo = repoWith({ 'keep.txt': 'k\n', 'edit.txt': 'old\n', 'gone.txt': 'g\n' });
    repo.write('edit.txt', 'old\nsecret = mine\n');
    repo.write('new.txt', 'an earlier task\n');
    repo.rm('gone.txt');
    repo.write('half.txt', 'staged\n');
    repo.git('add', 'half.txt');
    const index = readFileSync(join(repo.dir, '.git', 'index'));
    const tree = await snapshot(repo.dir);
    // The checkout's own index (and so its staging) is as it was.
    expect(readFileSync(join(repo.dir, '.git', 'index')).equals(index)).toBe(true);
    expect(repo.git('diff', '--cached', '--name-only').trim()).toBe('half.txt');
    expect(repo.git('ls-tree', '-r', '--name-only', tree).trim().split('\n')).toEqual([
      'edit.txt',
      'half.txt',
      'keep.txt',
      'new.txt',
    ]);

    const none = await readChanges(repo.dir, tree);
    expect(none.ok && none.value).toEqual({ changed: [], deleted: [], added: [], nestedRepos: [], unaddableRepos: [] });

    repo.write('edit.txt', 'old\nsecret = mine\nthe task\n');
    repo.rm('keep.txt');
    const after = await readChanges(repo.dir, tree);
    expect(after.ok && after.value).toEqual({
      changed: ['edit.txt', 'keep.txt'],
      deleted: ['keep.txt'],
      added: [{ path: 'edit.txt', line: 3, text: 'the task' }],
      nestedRepos: [],
      unaddableRepos: [],
    });
  });

  it('works in a repository with no commit yet', async () => {
    const repo = repoWith({});
    repo.git('update-ref', '-d', 'HEAD');
    repo.write('plan.md', '- [ ] T1\n');
    const tree = await snapshot(repo.dir);
    repo.write('a.txt', 'A\n');
    const after = await readChanges(repo.dir, tree);
    expect(after.ok && after.value.changed).toEqual(['a.txt']);
  });
});

describe('hasTree', () => {
  it('knows a snapshot and a commit, and not an id git does not have', async () => {
    const repo = repoWith({ 'a.txt': 'a\n' });
    repo.write('b.txt', 'b\n');
    expect(await hasTree(repo.dir, await snapshot(repo.dir))).toBe(true);
    expect(await hasTree(repo.dir, repo.git('rev-parse', 'HEAD').trim())).toBe(true);
    expect(await hasTree(repo.dir, '0123456789abcdef0123456789abcdef01234567')).toBe(false);
  });
});

describe('treeWithout', () => {
  it('takes what an attempt left out of a later snapshot, keeping what came after it', async () => {
    const repo = repoWith({ 'keep.txt': 'k\n', 'edit.txt': 'old\n', 'gone.txt': 'g\n' });
    const before = await snapshot(repo.dir);
    // The failed attempt: an edit, a new file, a deletion.
    repo.write('edit.txt', 'half done\n');
    repo.write('half.txt', 'half\n');
    repo.rm('gone.txt');
    const left = await snapshot(repo.dir);
    // Another task, after it.
    repo.write('other.txt', 'another task\n');
    const now = await snapshot(repo.dir);
    const r = await treeWithout(repo.dir, now, { base: before, tree: left });
    if (!r.ok) throw new Error(r.error);
    const changes = await readChanges(repo.dir, r.value);
    expect(changes.ok && changes.value.changed).toEqual(['edit.txt', 'gone.txt', 'half.txt']);
    expect(changes.ok && changes.value.deleted).toEqual(['gone.txt']);
    // Nothing left: the snapshot as it is.
    expect(await treeWithout(repo.dir, now, { base: left, tree: left })).toEqual({ ok: true, value: now });
  });
});
