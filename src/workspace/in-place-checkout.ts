import { git, isAncestor, readRef } from './git.js';

/*
 * In place, the agent works in the user's own checkout, where it may switch branches or `git reset`
 * as it would anywhere: what a worktree's branch check catches, read here from the checkout itself.
 */

/**
 * `refs/heads/…` checked out in `root`; undefined when HEAD is detached (or git cannot say). Read
 * from git's files where they say it (asked after every task in place), else from git.
 */
export async function branchCheckedOut(root: string): Promise<string | undefined> {
  const known = readRef(root, 'HEAD');
  if (known) return known.branch;
  const head = await git(root, ['symbolic-ref', '--quiet', 'HEAD']);
  return head.ok ? head.value.trim() : undefined;
}

/**
 * Whether `root` is still on `branch` with every commit in `landed` on it; if not, what changed and
 * the commits no longer on the branch.
 */
export async function checkoutMoved<T extends { taskId: string; commit: string }>(
  root: string,
  branch: string,
  landed: readonly T[],
): Promise<{ message: string; lost: T[] } | undefined> {
  const now = await branchCheckedOut(root);
  // Each commit is made on the one before (a move back stops the commits): when the last is on the
  // branch, so are all. It is most often the branch's tip, read from git's files without asking git.
  const last = landed[landed.length - 1];
  const allThere =
    last === undefined ||
    readRef(root, branch)?.commit === last.commit ||
    (await isAncestor(root, last.commit, branch));
  const lost: T[] = [];
  if (!allThere) for (const l of landed) if (!(await isAncestor(root, l.commit, branch))) lost.push(l);
  const name = branch.replace(/^refs\/heads\//, '');
  if (now !== branch) {
    const other = now ? now.replace(/^refs\/heads\//, '') : 'a detached HEAD';
    return { message: `your checkout is on ${other}, no longer on ${name} (check ${name} out again)`, lost };
  }
  if (lost.length === 0) return undefined;
  const ids = lost.map((l) => l.taskId).join(', ');
  return {
    message: `${name} was moved back (a reset, or a rewrite) past the commit of ${ids}, taking its work and tick off the branch`,
    lost,
  };
}
