import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { describeGitError, git } from './git.js';
import { StagedIndex } from './staged-index.js';

/*
 * The working tree as it is at one moment, kept as a git tree object: in place with no commit per
 * task (`--no-commit`, or the user's own changes in the tree), what a task is judged against. The
 * last commit holds neither the earlier tasks' work nor the user's uncommitted changes; the tree
 * taken just before the task's agent starts holds both, so `git diff <tree>` afterwards shows the
 * task's own changes only.
 */

/**
 * The checkout at `cwd` as it is now (tracked files, and untracked ones git does not ignore) as a
 * tree: two git processes (`add` into a copy of the index, `write-tree`). The checkout's own index
 * and files are left as they are.
 */
export async function snapshotTree(cwd: string): Promise<Result<string, string>> {
  const staged = await StagedIndex.take(cwd);
  if (!staged.ok) return staged;
  try {
    // Not `complete` is no matter here: a path git cannot read (a nested repository without a commit)
    // is left out of the verification's copy in the same way, so it is no change of the task's.
    return await staged.value.writeTree();
  } finally {
    staged.value.dispose();
  }
}

/**
 * Whether git still has `id` (a tree, or a commit) to compare with: a snapshot nothing refers to is
 * pruned by git's housekeeping after a while (two weeks by default).
 */
export async function hasTree(cwd: string, id: string): Promise<boolean> {
  return (await git(cwd, ['cat-file', '-e', `${id}^{tree}`])).ok;
}

/**
 * `tree` with what an unfinished attempt left undone again: each path that differs between
 * `left.base` (what the attempt started from) and `left.tree` (what the next task found) as it was in
 * `left.base`. Against it, a task's next attempt counts what its earlier one left in the tree as its
 * own change, and what other tasks did since as theirs. Four git processes, in an index of its own.
 */
export async function treeWithout(
  cwd: string,
  tree: string,
  left: { base: string; tree: string },
): Promise<Result<string, string>> {
  const diff = await git(cwd, ['diff-tree', '-r', '-z', '--no-renames', left.base, left.tree]);
  if (!diff.ok) return err(describeGitError(diff.error));
  // `:<old mode> <new mode> <old id> <new id> <status>\0<path>\0`: put back the old mode and id (a
  // mode of 0, for a path the attempt added, takes it out).
  const fields = diff.value.split('\0');
  let info = '';
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [oldMode, , oldId] = (fields[i] as string).slice(1).split(' ');
    info += `${oldMode} ${oldId}\t${fields[i + 1]}\0`;
  }
  if (info === '') return ok(tree);
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-tree-'));
  const env = { GIT_INDEX_FILE: join(dir, 'index') };
  try {
    const read = await git(cwd, ['read-tree', tree], { env });
    if (!read.ok) return err(describeGitError(read.error));
    const put = await git(cwd, ['update-index', '-z', '--index-info'], { env, input: info });
    if (!put.ok) return err(describeGitError(put.error));
    const written = await git(cwd, ['write-tree'], { env });
    return written.ok ? ok(written.value.trim()) : err(describeGitError(written.error));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
