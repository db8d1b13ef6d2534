import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorAt } from '../plan/diagnostic.js';
import { loadExecution } from '../state/execution.js';
import { isAlive, readLock } from '../state/lock.js';
import { statePaths } from '../state/paths.js';
import { git } from '../workspace/git.js';
import { sortTaskBranches } from '../workspace/landed-branches.js';
import { findRoot } from '../workspace/repo.js';
import { deleteBranches, removeRunWorktrees } from '../workspace/worktrees.js';
import { EXIT, printDiagnostics } from './output.js';
import { landedTasksOf } from './task-branches.js';

/**
 * `taskwave clean`: remove what runs left behind — worktrees under `.taskwave/worktrees/` (a run
 * that was killed), and the `taskwave/*` branches whose work is already on the current branch
 * (squash-merged: see landed-branches.ts). Branches holding work that was not merged (a failed
 * task, a conflict) are kept unless `--branches`, and listed.
 */
export async function cleanCommand(flags: { branches?: boolean }): Promise<number> {
  const repo = findRoot(process.cwd());
  if (!repo.ok) {
    printDiagnostics([repo.error]);
    return EXIT.usage;
  }
  const { root, git: inGit } = repo.value;
  const paths = statePaths(root);
  const holder = readLock(paths.lock);
  if (holder && isAlive(holder)) {
    printDiagnostics([
      errorAt(undefined, `a run is in progress (pid ${holder.pid}): ${holder.command}; clean after it ends`),
    ]);
    return EXIT.usage;
  }
  const out: string[] = [];
  const worktrees = join(paths.dir, 'worktrees');
  let removed = 0;
  if (existsSync(worktrees)) {
    for (const run of readdirSync(worktrees)) {
      if (inGit) removed += await removeRunWorktrees(root, paths.dir, run);
      else removed += readdirSync(join(worktrees, run)).length;
    }
    rmSync(worktrees, { recursive: true, force: true });
  }
  // Records of worktrees whose folders are gone (deleted by hand) go too.
  if (inGit) await git(root, ['worktree', 'prune']);
  out.push(`removed ${removed} worktree(s)`);

  if (inGit) {
    const books = loadExecution(paths.execution, paths.journal);
    const sorted = await sortTaskBranches(root, 'HEAD', landedTasksOf(books));
    const doomed = flags.branches ? [...sorted.landed, ...sorted.unmerged] : sorted.landed;
    await deleteBranches(root, doomed);
    // git will not delete a branch checked out somewhere (a worktree of the user's): said, not hidden.
    const left = await git(root, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/taskwave/']);
    const remaining = new Set(left.ok ? left.value.split('\n').filter(Boolean) : []);
    const deleted = doomed.filter((b) => !remaining.has(b));
    const refused = new Set(doomed.filter((b) => remaining.has(b)));
    const kept = sorted.unmerged.filter((b) => remaining.has(b) && !refused.has(b));
    out.push(`deleted ${deleted.length} branch(es)`);
    if (refused.size > 0) {
      out.push(
        `could not delete ${refused.size} branch(es) checked out in a worktree:`,
        ...[...refused].map((b) => `  ${b}`),
      );
    }
    if (kept.length > 0) {
      out.push(
        `kept ${kept.length} branch(es) with work that is not merged (taskwave clean --branches deletes them):`,
        ...kept.map((b) => `  ${b}`),
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}
