import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changesIn } from '../../src/gates/worktree-diff.js';
import { commitAll } from '../../src/workspace/commit.js';
import { StagedIndex } from '../../src/workspace/staged-index.js';
import { type GitRepo, tempGitRepos } from '../gates/helpers.js';

/*
 * The verification stages a checkout into a copy of its index, and the task's commit is made from
 * that copy: what is committed is what was verified, the checkout's own index is left alone until
 * then, and afterwards it matches the new HEAD as after an ordinary commit. A copy that no longer
 * describes the checkout's index or HEAD is not committed from.
 */

const copies: StagedIndex[] = [];
afterEach(() => {
  for (const c of copies.splice(0)) c.dispose();
});
const repoWith = tempGitRepos();

async function take(dir: string): Promise<StagedIndex> {
  const r = await StagedIndex.take(dir);
  if (!r.ok) throw new Error(r.error);
  copies.push(r.value);
  return r.value;
}

const head = (repo: GitRepo) => repo.git('rev-parse', 'HEAD').trim();
const filesAt = (repo: GitRepo, rev: string) => repo.git('ls-tree', '-r', '--name-only', rev).trim().split('\n');

describe('StagedIndex', () => {
  it('stages new, changed and deleted files in its copy and leaves the checkout index as it was', async () => {
    const repo = repoWith({ 'keep.txt': 'k\n', 'edit.txt': 'old\n', 'gone.txt': 'g\n' });
    const base = head(repo);
    repo.write('new.txt', 'new\n');
    repo.write('edit.txt', 'new\n');
    repo.rm('gone.txt');
    repo.write('half.txt', 'staged by the agent\n');
    repo.git('add', 'half.txt');
    const staged = await take(repo.dir);

    const changes = await changesIn(staged, base);
    expect(changes.ok && [...changes.value.changed].sort()).toEqual(['edit.txt', 'gone.txt', 'half.txt', 'new.txt']);
    expect(changes.ok && changes.value.deleted).toEqual(['gone.txt']);
    // The agent's own staging is untouched: only half.txt is staged in the checkout's index.
    expect(repo.git('diff', '--cached', '--name-only').trim()).toBe('half.txt');
    expect(staged.committable()).toBe(true);
  });

  it('commits what it staged, then is the checkout index: the checkout is clean against the new HEAD', async () => {
    const repo = repoWith({ 'edit.txt': 'old\n', 'gone.txt': 'g\n', 'tasks.md': '- [ ] T1 x\n' });
    const base = head(repo);
    repo.write('new.txt', 'new\n');
    repo.write('edit.txt', 'new\n');
    repo.rm('gone.txt');
    const staged = await take(repo.dir);
    // Written after the verification read the checkout: a tick, named for the commit to stage it.
    repo.write('tasks.md', '- [x] T1 x\n');

    const c = await commitAll(repo.dir, 'T1: x\n', { staged, include: ['tasks.md'] });
    expect(c).toEqual({ ok: true, value: true });
    expect(repo.git('rev-parse', 'HEAD~1').trim()).toBe(base);
    expect(filesAt(repo, 'HEAD')).toEqual(['edit.txt', 'new.txt', 'tasks.md']);
    expect(repo.git('show', 'HEAD:tasks.md')).toBe('- [x] T1 x\n');
    expect(repo.git('status', '--porcelain').trim()).toBe('');
  });

  it('commits the checkout as verified: a file written after it was staged is left out, and shows as changed', async () => {
    const repo = repoWith({ 'a.txt': 'a\n' });
    repo.write('b.txt', 'verified\n');
    const staged = await take(repo.dir);
    repo.write('b.txt', 'written later\n');
    repo.write('c.txt', 'also later\n');

    expect(await commitAll(repo.dir, 'T1\n', { staged })).toEqual({ ok: true, value: true });
    expect(repo.git('show', 'HEAD:b.txt')).toBe('verified\n');
    expect(filesAt(repo, 'HEAD')).toEqual(['a.txt', 'b.txt']);
    expect(repo.git('status', '--porcelain').split('\n').filter(Boolean)).toEqual([' M b.txt', '?? c.txt']);
  });

  it('is not committed from once the checkout index or HEAD changed: the checkout is staged again', async () => {
    const staging = repoWith({ 'a.txt': 'a\n' });
    staging.write('b.txt', 'b\n');
    const before = await take(staging.dir);
    staging.write('p.txt', 'a person stages this\n');
    staging.git('add', 'p.txt');
    expect(before.committable()).toBe(false);
    // Committed the ordinary way: everything in the checkout, the person's file too.
    expect(await commitAll(staging.dir, 'T1\n', { staged: before })).toEqual({ ok: true, value: true });
    expect(filesAt(staging, 'HEAD')).toEqual(['a.txt', 'b.txt', 'p.txt']);

    const committing = repoWith({ 'a.txt': 'a\n' });
    committing.write('b.txt', 'b\n');
    const stale = await take(committing.dir);
    committing.write('q.txt', 'q\n');
    committing.git('add', 'q.txt');
    committing.git('commit', '-qm', 'a person commits');
    expect(stale.committable()).toBe(false);
    expect(await commitAll(committing.dir, 'T1\n', { staged: stale })).toEqual({ ok: true, value: true });
    // Their commit stays in the tree: a commit from the stale copy would have dropped q.txt.
    expect(filesAt(committing, 'HEAD')).toEqual(['a.txt', 'b.txt', 'q.txt']);
  });

  it('is not complete when git could not stage a path, and is then not committed from', async () => {
    const repo = repoWith({ 'a.txt': 'a\n' });
    repo.write('b.txt', 'b\n');
    repo.git('init', '-q', 'nested'); // a repository without a commit: git cannot add it
    const staged = await take(repo.dir);
    expect(staged.complete).toBe(false);
    expect(staged.committable()).toBe(false);
    const changes = await changesIn(staged, head(repo));
    expect(changes.ok && changes.value.changed).toContain('b.txt');
  });

  it('leaves the index alone while git holds its lock, or once it is stale', async () => {
    const repo = repoWith({ 'a.txt': 'a\n' });
    const base = head(repo);
    repo.write('b.txt', 'b\n');
    const staged = await take(repo.dir);
    const lock = join(repo.dir, '.git', 'index.lock');
    writeFileSync(lock, 'held');
    expect(staged.install()).toBe(false);
    expect(readFileSync(lock, 'utf8')).toBe('held');
    // Nor can git stage the checkout meanwhile: the commit fails, and nothing is committed.
    const blocked = await commitAll(repo.dir, 'T1\n', { staged });
    expect(blocked.ok).toBe(false);
    expect(head(repo)).toBe(base);
    repo.rm('.git/index.lock');
    expect(await commitAll(repo.dir, 'T1\n', { staged })).toEqual({ ok: true, value: true });
    expect(filesAt(repo, 'HEAD')).toEqual(['a.txt', 'b.txt']);

    // A copy taken before that commit no longer describes the index: installing it would undo it.
    const stale = await take(repo.dir);
    repo.write('c.txt', 'c\n');
    repo.git('add', 'c.txt');
    const index = readFileSync(join(repo.dir, '.git', 'index'));
    expect(stale.install()).toBe(false);
    expect(readFileSync(join(repo.dir, '.git', 'index')).equals(index)).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it.each([
    ['staged from the copy', true],
    ['staged the ordinary way', false],
  ])('leaves the index as it found it when the commit fails (%s)', async (_, fromCopy) => {
    const repo = repoWith({ 'a.txt': 'a\n', 'tasks.md': '- [ ] T1 x\n' });
    const base = head(repo);
    // A hook of the user's that rejects the commit (`--no-verify` does not skip this one).
    const hook = join(repo.dir, '.git', 'hooks', 'prepare-commit-msg');
    writeFileSync(hook, '#!/bin/sh\necho "rejected by the team hook" >&2\nexit 1\n', { mode: 0o755 });
    repo.write('kept.txt', 'staged before the commit\n');
    repo.git('add', 'kept.txt');
    repo.write('a.txt', 'changed\n');
    repo.write('new.txt', 'new\n');
    const staged = fromCopy ? await take(repo.dir) : undefined;
    repo.write('tasks.md', '- [x] T1 x\n');

    const c = await commitAll(repo.dir, 'T1: x\n', staged ? { staged, include: ['tasks.md'] } : {});
    expect(c.ok).toBe(false);
    expect(!c.ok && c.error).toContain('rejected by the team hook');
    expect(head(repo)).toBe(base);
    // Only what was staged before is staged; the rest is changed in the tree, as it was.
    expect(repo.git('status', '--porcelain').split('\n').filter(Boolean)).toEqual([
      ' M a.txt',
      'A  kept.txt',
      ' M tasks.md',
      '?? new.txt',
    ]);
    // The saved index is gone with the commit: only the verification's copy is left, for its owner.
    const copies = readdirSync(join(repo.dir, '.git')).filter((n) => n.startsWith('taskwave-index-'));
    expect(copies).toEqual(staged ? [staged.file.split('/').pop()] : []);
  });

  it('says there was nothing to commit when the checkout did not change', async () => {
    const repo = repoWith({ 'a.txt': 'a\n' });
    const base = head(repo);
    const staged = await take(repo.dir);
    expect(await commitAll(repo.dir, 'T1\n', { staged })).toEqual({ ok: true, value: false });
    expect(head(repo)).toBe(base);
  });

  it('keeps its copy beside the index, and leaves no file behind once committed or disposed', async () => {
    const repo = repoWith({ 'a.txt': 'a\n' });
    const copiesIn = () => readdirSync(join(repo.dir, '.git')).filter((n) => n.startsWith('taskwave-index-'));
    repo.write('b.txt', 'b\n');
    const staged = await take(repo.dir);
    expect(copiesIn()).toEqual([staged.file.split('/').pop()]);
    expect(await commitAll(repo.dir, 'T1\n', { staged })).toEqual({ ok: true, value: true });
    staged.dispose();
    expect(copiesIn()).toEqual([]);
    // The index it became is whole: the checkout is clean against the commit.
    expect(repo.git('status', '--porcelain').trim()).toBe('');
    expect(repo.git('ls-files').trim().split('\n')).toEqual(['a.txt', 'b.txt']);

    const unused = await take(repo.dir);
    unused.dispose();
    expect(copiesIn()).toEqual([]);
  });

  it("removes copies a dead process left (a run killed mid-verification), not a live process's", async () => {
    const repo = repoWith({ 'a.txt': 'a\n' });
    const gitDir = join(repo.dir, '.git');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    writeFileSync(join(gitDir, `taskwave-index-${gone}-3`), 'left');
    writeFileSync(join(gitDir, `taskwave-index-${gone}-3.lock`), 'left');
    writeFileSync(join(gitDir, `taskwave-index-${process.ppid}-1`), 'in use');
    writeFileSync(join(gitDir, 'taskwave-index-notes'), 'not a copy');
    await take(repo.dir);
    const left = readdirSync(gitDir).filter(
      (n) => n.startsWith('taskwave-index-') && !n.startsWith(`taskwave-index-${process.pid}-`),
    );
    expect(left.sort()).toEqual([`taskwave-index-${process.ppid}-1`, 'taskwave-index-notes']);
  });
});
