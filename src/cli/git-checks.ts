import { dirname, relative, sep } from 'node:path';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import type { Plan } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { isDirectory } from '../util/fs-kind.js';
import { git } from '../workspace/git.js';

export interface GitStart {
  /** The branch checked out: tasks start from its head and merge back into it. */
  branch: string;
  /** Files with uncommitted changes outside the plan (left alone; tasks start from HEAD). */
  dirty: string[];
}

/**
 * Where a plan is written: its file, or for a folder plan the folder holding all its tasks files. A
 * specs tree or a Claudio plan read from the repository root is not the whole repository: a note
 * elsewhere must not stop the run.
 */
export function planScope(plan: Pick<Plan, 'path' | 'tasks'>): string {
  if (!isDirectory(plan.path)) return plan.path;
  const folders = [...new Set(plan.tasks.map((t) => dirname(t.source.file)))];
  if (folders.length === 0) return plan.path;
  let common = (folders[0] as string).split(sep);
  for (const f of folders.slice(1)) {
    const parts = f.split(sep);
    let k = 0;
    while (k < common.length && k < parts.length && common[k] === parts[k]) k++;
    common = common.slice(0, k);
  }
  const scope = common.join(sep);
  // Tasks files outside the plan's folder (never expected): keep the folder itself.
  return scope === plan.path || scope.startsWith(`${plan.path}${sep}`) ? scope : plan.path;
}

/**
 * What a run in worktrees needs from the repository: a branch checked out (to merge into), a commit
 * to start from, and the plan committed as it is on disk — taskwave commits each tick, so a plan with
 * uncommitted edits could not take them without mixing in the user's changes.
 */
export async function checkGitStart(root: string, plan: Plan): Promise<Result<GitStart, Diagnostic[]>> {
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
  const planRel = relative(root, planScope(plan)) || '.';
  const planStatus = await git(root, ['status', '--porcelain=v1', '--untracked-files=all', '--', planRel]);
  const planDirty = planStatus.ok ? planStatus.value.split('\n').filter(Boolean) : [];
  if (planDirty.length > 0) {
    const files = planDirty.map((l) => l.slice(3)).slice(0, 5);
    return err([
      errorAt(
        undefined,
        `the plan has uncommitted changes (${files.join(', ')}${planDirty.length > 5 ? ', …' : ''}): taskwave starts tasks from the last commit and commits each tick with its task; commit the plan first (or run with --in-place)`,
      ),
    ]);
  }
  const all = await git(root, ['status', '--porcelain=v1']);
  const dirty = all.ok
    ? all.value
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(3))
    : [];
  return ok({ branch: branch.value.trim(), dirty });
}
