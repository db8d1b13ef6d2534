import { git, isAncestor } from './git.js';
import { deleteBranches } from './worktrees.js';

/*
 * A task lands as one squashed commit on the integration branch, so its branch is never an ancestor
 * of it: "merged" has to be told another way. A task branch holds nothing worth keeping when
 *  - the books say so: its task is done, the commit it landed as is on the integration branch, and
 *    that landing came after the branch was made (a later attempt, or this very one, landed); or
 *  - the integration branch already holds every file the branch changed, as the branch has it.
 * Anything else (a failed attempt of a task not done, work changed since it landed) is kept.
 */

/** What the books say landed, for the runs they speak for. */
export interface LandedTasks {
  /** Ids of the runs of the books' plan: only their branches are theirs to judge (ids repeat across plans). */
  runs: ReadonlySet<string>;
  /** By the task id as a branch names it (`refSafe`): the commit a done task landed as. */
  commits: ReadonlyMap<string, string>;
}

export interface BranchSweep {
  /** Branches whose work is on the integration branch (or that hold none). */
  landed: string[];
  /** Branches with work that is not on it. */
  unmerged: string[];
}

const PREFIX = 'taskwave/';

/**
 * Every `taskwave/*` branch (or those of the tasks `only` names, as branches name them), split into
 * landed and unmerged against `integration` (a branch or commit).
 */
export async function sortTaskBranches(
  root: string,
  integration: string,
  books: LandedTasks,
  only?: ReadonlySet<string>,
): Promise<BranchSweep> {
  const list = await git(root, ['for-each-ref', '--format=%(refname:short)', `refs/heads/${PREFIX}`]);
  const all = list.ok ? list.value.split('\n').filter(Boolean) : [];
  const branches = only ? all.filter((b) => only.has(partsOf(b)?.task ?? '')) : all;
  const sweep: BranchSweep = { landed: [], unmerged: [] };
  for (const branch of branches) {
    const landed =
      (await landedByBooks(root, integration, branch, books)) || (await changesOn(root, integration, branch));
    (landed ? sweep.landed : sweep.unmerged).push(branch);
  }
  return sweep;
}

/**
 * Delete the task branches whose work is already on `integration` (among those of the tasks `only`
 * names, when given); returns them. A branch git will not delete (checked out somewhere) stays,
 * silently: the next sweep tries again.
 */
export async function deleteLandedBranches(
  root: string,
  integration: string,
  books: LandedTasks,
  only?: ReadonlySet<string>,
): Promise<string[]> {
  const { landed } = await sortTaskBranches(root, integration, books, only);
  await deleteBranches(root, landed);
  return landed;
}

/** `taskwave/<run>/<task>` by its parts; undefined for a name of another shape. */
function partsOf(branch: string): { runId: string; task: string } | undefined {
  const m = /^taskwave\/([^/]+)\/([^/]+)$/.exec(branch);
  return m ? { runId: m[1] as string, task: m[2] as string } : undefined;
}

/**
 * The books' rule. The landing must not be in the branch's own history: every attempt starts from
 * the integration head of its time, so a branch that holds the landed commit is an attempt made after
 * it (the task run again, and that attempt did not land).
 */
async function landedByBooks(root: string, integration: string, branch: string, books: LandedTasks): Promise<boolean> {
  const parts = partsOf(branch);
  if (!parts || !books.runs.has(parts.runId)) return false;
  const commit = books.commits.get(parts.task);
  if (commit === undefined) return false;
  return (await isAncestor(root, commit, integration)) && !(await isAncestor(root, commit, branch));
}

/**
 * The content rule: every file the branch changed since it left `integration` is the same on both.
 * Only those files are compared (what landed since on other files does not matter); a file a later
 * task changed again makes the branch count as unmerged, which is the safe side.
 */
async function changesOn(root: string, integration: string, branch: string): Promise<boolean> {
  const base = await git(root, ['merge-base', integration, branch]);
  if (!base.ok) return false; // unrelated histories: nothing to compare with
  const own = await changedFiles(root, base.value.trim(), branch);
  if (own === undefined) return false;
  if (own.size === 0) return true; // it changes nothing: there is no work on it to lose
  const apart = await changedFiles(root, integration, branch);
  return apart !== undefined && ![...own].some((f) => apart.has(f));
}

/** The paths that differ between two commits (renames as a deletion and an addition). */
async function changedFiles(root: string, from: string, to: string): Promise<Set<string> | undefined> {
  const r = await git(root, ['diff', '--name-only', '--no-renames', '-z', from, to, '--']);
  return r.ok ? new Set(r.value.split('\0').filter(Boolean)) : undefined;
}
