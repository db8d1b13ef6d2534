import type { Result } from '../result.js';
import { git } from './git.js';
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
