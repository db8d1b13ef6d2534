import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { IGNORE_ALL } from '../state/paths.js';
import { faultPoint } from '../util/fault.js';
import { commonDirOf, describeGitError, git, gitDirOf } from './git.js';

/*
 * One git worktree per task, on its own branch `taskwave/<run>/<task>`, created from the head of the
 * run's integration branch when the task starts. They live under `.taskwave/worktrees/<run>/`, which
 * the state folder's own .gitignore keeps out of the user's status.
 */

export interface TaskWorkspace {
  /** The worktree's folder: the agent's working directory. */
  dir: string;
  branch: string;
  /** The commit it was created from. */
  base: string;
}

/** A task id as a ref and folder name: git refuses `..`, spaces, `~^:?*[\` and a trailing `.lock`. */
export function refSafe(id: string): string {
  const s = id
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[.-]/, '_');
  return s.endsWith('.lock') ? `${s}_` : s || '_';
}

export function branchFor(runId: string, taskId: string): string {
  return `taskwave/${runId}/${refSafe(taskId)}`;
}

export function worktreesDir(stateDir: string, runId: string): string {
  return join(stateDir, 'worktrees', runId);
}

let worktreeOps: Promise<unknown> = Promise.resolve();

/**
 * git commands that add, remove or prune worktrees, or delete a task's branch, one at a time: two
 * `git worktree add` at once race (one reads the other's half-written `.git/worktrees/<name>` and
 * fails: "failed to read .git/worktrees/T003/commondir"), and so does anything else that lists the
 * worktrees while one is being made or removed.
 */
export function worktreeGit(root: string, args: string[]): ReturnType<typeof git> {
  return worktreeOp(() => git(root, args));
}

/** `fn` in turn with the git commands above: it changes git's records of worktrees too. */
function worktreeOp<T>(fn: () => T | Promise<T>): Promise<T> {
  const next = worktreeOps.then(fn);
  worktreeOps = next.catch(() => undefined);
  return next;
}

/**
 * Create (or re-create, after a crash) the worktree of a task at `base`. `spare`, the worktree of a
 * task that merged, is taken over when it can be (see `takeOver`): a checkout and a clean instead of a
 * new worktree, which in a large repository is seconds per task. Files listed in `copy` (untracked
 * ones such as `.env`) are copied in from the root.
 */
export async function createTaskWorkspace(
  root: string,
  stateDir: string,
  runId: string,
  taskId: string,
  base: string,
  copy: readonly string[] = [],
  spare?: string,
): Promise<Result<TaskWorkspace, string>> {
  const dir = join(worktreesDir(stateDir, runId), refSafe(taskId));
  const branch = branchFor(runId, taskId);
  if (existsSync(dir)) await removeWorktree(root, dir);
  const taken = spare !== undefined && (await takeOver(spare, dir, branch, base));
  if (!taken) {
    // A spare that could not be taken over goes, wherever it got to.
    for (const left of spare ? [spare, dir] : []) if (existsSync(left)) await removeWorktree(root, left);
    mkdirSync(dirname(dir), { recursive: true });
    // -B: a branch left by an interrupted attempt of the same run starts again from `base`.
    const r = await worktreeGit(root, ['worktree', 'add', '--quiet', '-B', branch, dir, base]);
    if (!r.ok) return err(`cannot create the worktree of ${taskId}: ${describeGitError(r.error)}`);
  }
  faultPoint('worktree:created');
  keepStateFolderOut(dir, relative(root, stateDir));
  for (const rel of copy) {
    const from = join(root, rel);
    if (!existsSync(from)) continue;
    try {
      cpSync(from, join(dir, rel), { recursive: true });
    } catch (e) {
      // The task never starts: its worktree and branch go, not left for `clean` to find.
      await removeWorktree(root, dir);
      await worktreeGit(root, ['branch', '-D', '--quiet', branch]);
      return err(`cannot copy ${rel} into the worktree of ${taskId}: ${(e as Error).message}`);
    }
  }
  return ok({ dir, branch, base });
}

/**
 * A `.taskwave/` in the worktree (a file an agent put there, a taskwave it ran) stays out of the
 * task's commit, as the repository's own does: taskwave's books are never a task's work, and once
 * merged they would be tracked on the user's branch, where every run then changes them.
 */
function keepStateFolderOut(dir: string, stateFolder: string): void {
  if (stateFolder === '' || stateFolder.startsWith('..') || isAbsolute(stateFolder)) return;
  try {
    mkdirSync(join(dir, stateFolder), { recursive: true });
    writeFileSync(join(dir, stateFolder, '.gitignore'), IGNORE_ALL);
  } catch {
    // A file of the project's in its place: nothing of taskwave's goes there either.
  }
}

/** In a worktree's git directory: an operation under way that a forced checkout would not end. */
const UNDER_WAY = [
  'MERGE_HEAD',
  'CHERRY_PICK_HEAD',
  'REVERT_HEAD',
  'BISECT_LOG',
  'rebase-merge',
  'rebase-apply',
  'sequencer',
];

/**
 * Turn `spare`, a finished task's worktree, into a fresh one at `dir` on `branch` at `base`: the
 * folder is renamed to the new task's name (an agent's sessions are kept by folder), git's record is
 * pointed at it (the `gitdir` file of gitrepository-layout(5), what `git worktree move` writes), then
 * a forced checkout and a clean of everything untracked and ignored leave what `worktree add` would.
 * False when it cannot be done safely (locked, an operation under way, a step failed): the caller
 * removes it and makes a new one.
 */
async function takeOver(spare: string, dir: string, branch: string, base: string): Promise<boolean> {
  const admin = gitDirOf(spare);
  if (!admin || admin === join(spare, '.git')) return false;
  if (['locked', ...UNDER_WAY].some((f) => existsSync(join(admin, f)))) return false;
  const moved = await worktreeOp(() => {
    try {
      const link = readFileSync(join(admin, 'gitdir'), 'utf8').trim();
      renameSync(spare, dir);
      const dotGit = join(dir, '.git');
      // Absolute as git wrote it, or relative to the record (worktree.useRelativePaths).
      writeFileSync(join(admin, 'gitdir'), `${isAbsolute(link) ? dotGit : relative(admin, dotGit)}\n`);
      return true;
    } catch {
      return false;
    }
  });
  if (!moved) return false;
  const co = await git(dir, ['checkout', '--quiet', '--force', '-B', branch, base]);
  if (!co.ok) return false;
  const clean = await git(dir, ['clean', '-ffdxq']);
  return clean.ok;
}

/** Remove a worktree (its files, and git's record of it). The branch stays. */
export async function removeWorktree(root: string, dir: string): Promise<void> {
  const r = await worktreeGit(root, ['worktree', 'remove', '--force', '--force', dir]);
  if (!r.ok) {
    // Not a registered worktree any more (or half created): remove the folder and let git forget it.
    rmSync(dir, { recursive: true, force: true });
    await worktreeGit(root, ['worktree', 'prune']);
  }
}

export async function deleteBranch(root: string, branch: string): Promise<void> {
  await deleteBranches(root, [branch]);
}

/** Delete branches a few hundred to a git process: a run's worth at its end, a dead run's at the next start. */
export async function deleteBranches(root: string, branches: readonly string[]): Promise<void> {
  for (let i = 0; i < branches.length; i += 200) {
    await worktreeGit(root, ['branch', '-D', '--quiet', ...branches.slice(i, i + 200)]);
  }
}

/** Did run `runId` leave worktrees (or their folders) behind? */
export function hasWorktrees(stateDir: string, runId: string): boolean {
  try {
    return readdirSync(worktreesDir(stateDir, runId)).length > 0;
  } catch {
    return false;
  }
}

/**
 * Remove every worktree of run `runId` (its folder and git's records of them), unlocking the ones a
 * killed `git worktree add` left locked, and dropping the records it left half written. Returns how
 * many there were.
 */
export async function removeRunWorktrees(root: string, stateDir: string, runId: string): Promise<number> {
  const dir = worktreesDir(stateDir, runId);
  let worktrees = 0;
  await worktreeOp(() => releaseRecords(root, dir));
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir)) {
      await removeWorktree(root, join(dir, entry));
      worktrees++;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  await worktreeGit(root, ['worktree', 'prune']);
  return worktrees;
}

/**
 * What a run that died (killed, power lost) left in the repository: its worktrees, its merge
 * worktree, and the branches of tasks that will simply run again. Branches of tasks that failed or
 * conflicted are kept: they hold work someone may want.
 */
export async function cleanupDeadRun(
  root: string,
  stateDir: string,
  runId: string,
  keepBranchOf: (taskId: string) => boolean,
): Promise<{ worktrees: number; branches: number }> {
  const worktrees = await removeRunWorktrees(root, stateDir, runId);
  const list = await git(root, ['for-each-ref', '--format=%(refname:short)', `refs/heads/taskwave/${runId}/`]);
  const gone = (list.ok ? list.value.split('\n').filter(Boolean) : []).filter(
    (branch) => !keepBranchOf(branch.slice(`taskwave/${runId}/`.length)),
  );
  await deleteBranches(root, gone);
  return { worktrees, branches: gone.length };
}

/**
 * git's records of the worktrees in `dir` (`<common dir>/worktrees/<name>/`, gitrepository-layout(5)),
 * read from the files: a `git worktree add` killed half way leaves its record locked ("initializing"),
 * which prune keeps, and can leave it half written (an empty `commondir`), on which `git worktree
 * list` and every other worktree command stop with "failed to read …/commondir". A complete record
 * of ours is unlocked (git's `worktree unlock` removes the same file); a half-written one is removed.
 * A record without its `gitdir` is ours when it is named after one of the folders in `dir` (git names
 * a record after the folder, with a number added when the name is taken).
 */
function releaseRecords(root: string, dir: string): void {
  const gitDir = gitDirOf(root);
  if (!gitDir) return;
  const records = join(commonDirOf(gitDir), 'worktrees');
  let names: string[];
  let folders: string[];
  try {
    names = readdirSync(records);
  } catch {
    return; // No linked worktree at all.
  }
  try {
    folders = readdirSync(dir);
  } catch {
    folders = [];
  }
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return '';
    }
  };
  for (const name of names) {
    const record = join(records, name);
    const link = read(join(record, 'gitdir'));
    const ours = link
      ? resolve(record, link).startsWith(dir + sep)
      : folders.some((f) => name === f || (name.startsWith(f) && /^\d+$/.test(name.slice(f.length))));
    if (!ours) continue;
    const complete = link !== '' && read(join(record, 'commondir')) !== '' && read(join(record, 'HEAD')) !== '';
    rmSync(complete ? join(record, 'locked') : record, { recursive: true, force: true });
  }
}
