import type { ExecutionState } from '../state/execution.js';
import type { LandedTasks } from '../workspace/landed-branches.js';
import { refSafe } from '../workspace/worktrees.js';

/**
 * What the books say landed, in the terms of task branches: each done task's landed commit, under
 * the name its branches carry. Two task ids that a branch name cannot tell apart (`T 1`, `T_1`) say
 * nothing: neither's branches are judged by the books.
 */
export function landedTasksOf(books: ExecutionState | undefined): LandedTasks {
  if (!books) return { runs: new Set(), commits: new Map() };
  const commits = new Map<string, string>();
  const named = new Map<string, number>();
  for (const [id, task] of Object.entries(books.tasks)) {
    const name = refSafe(id);
    named.set(name, (named.get(name) ?? 0) + 1);
    if (task.status === 'done' && task.commit) commits.set(name, task.commit);
  }
  for (const [name, count] of named) if (count > 1) commits.delete(name);
  return { runs: new Set([...(books.runs ?? []), books.runId]), commits };
}
