import { dirname, relative, sep } from 'node:path';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import type { Plan } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { isDirectory } from '../util/fs-kind.js';
import { git } from '../workspace/git.js';
import { pathsOfStatus } from '../workspace/status-paths.js';

export interface GitStart {
  /** The branch checked out: tasks start from its head and merge back into it. */
  branch: string;
  /** Files with uncommitted changes outside the plan (left alone; tasks start from HEAD). */
  dirty: string[];
}

/**
 * The files a plan is written in, absolute: the plan file, or each tasks file of a folder plan. Not
 * the folder: a specs tree or a Claudio plan read from the repository root is not the whole
 * repository, and a note or a design document beside it is not the plan.
 */
export function planFilesOf(plan: Pick<Plan, 'path' | 'tasks'>): string[] {
  // Told apart from folders once per file, not once per task (a plan file holds thousands).
  return [...new Set([plan.path, ...plan.tasks.map((t) => t.source.file)])].filter((f) => !isDirectory(f));
}

/** The deepest folder holding every one of `files` (absolute). */
function commonFolder(files: readonly string[]): string {
  let common = dirname(files[0] as string).split(sep);
  for (const f of files.slice(1)) {
    const parts = dirname(f).split(sep);
    let k = 0;
    while (k < common.length && k < parts.length && common[k] === parts[k]) k++;
    common = common.slice(0, k);
  }
  return common.join(sep) || sep;
}

/**
 * What a run in worktrees needs from the repository: a branch checked out (to merge into), a commit
 * to start from, and the plan committed as it is on disk — taskwave commits each tick, so a plan with
 * uncommitted edits could not take them without mixing in the user's changes.
 */
export async function checkGitStart(
  root: string,
  planFiles: readonly string[],
): Promise<Result<GitStart, Diagnostic[]>> {
  const head = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  if (!head.ok) {
    return err([
      errorAt(undefined, 'the repository has no commit yet: commit the plan first (or run with --in-place)'),
    ]);
  }
  const branch = await git(root, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  if (!branch.ok) {
    return err([
      errorAt(
        undefined,
        'HEAD is detached: check out the branch the tasks should be merged into (or run with --in-place)',
      ),
    ]);
  }
  // One status of the folder that holds them all, read for those files alone (a Claudio tree's
  // status files can be thousands: too many for one command line).
  const wanted = new Set(planFiles.map((f) => relative(root, f)));
  const scope = planFiles.length > 0 ? relative(root, commonFolder(planFiles)) || '.' : '.';
  const planStatus = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', scope]);
  const planDirty = planStatus.ok
    ? pathsOfStatus(planStatus.value, { oldPaths: false }).filter((f) => wanted.has(f))
    : [];
  if (planDirty.length > 0) {
    const files = planDirty.slice(0, 5);
    return err([
      errorAt(
        undefined,
        `the plan has uncommitted changes (${files.join(', ')}${planDirty.length > 5 ? ', …' : ''}): taskwave starts tasks from the last commit and commits each tick with its task; commit the plan first (or run with --in-place)`,
      ),
    ]);
  }
  const all = await git(root, ['status', '--porcelain=v1', '-z']);
  const dirty = all.ok ? pathsOfStatus(all.value, { oldPaths: false }) : [];
  return ok({ branch: branch.value.trim(), dirty });
}
