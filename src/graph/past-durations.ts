import type { Task } from '../plan/types.js';
import type { ExecutionState } from '../state/execution.js';
import { sameBooksPlan } from '../state/paths.js';
import { isFigure, type PastDuration } from './schedule-info.js';

const MS_PER_MINUTE = 60_000;

/**
 * How long each task of `tasks` took before, from the books as loaded (before this run starts
 * anything: starting a task clears its `durationMs`). A finished attempt, done or failed, gives its
 * duration; one cut short gives the time it ran as a lower bound (until it was stopped, or for a run
 * that died, until the last thing that run recorded), unless an earlier attempt that ran to its end
 * took longer. A record whose title is not the task's is a different task under a reused id and says
 * nothing, and so do the books of another plan (`planPath`: the plan's path relative to the
 * repository root, as the books name it).
 */
export function pastDurations(
  books: Pick<ExecutionState, 'plan' | 'tasks' | 'updatedAt'> | undefined,
  planPath: string,
  tasks: readonly Task[],
): Map<string, PastDuration> {
  const out = new Map<string, PastDuration>();
  if (!books || !sameBooksPlan(books.plan.path, planPath)) return out;
  for (const t of tasks) {
    const rec = books.tasks[t.id];
    if (!rec || rec.title !== t.title) continue;
    if (isFigure(rec.durationMs)) {
      out.set(t.id, { minutes: rec.durationMs / MS_PER_MINUTE });
      continue;
    }
    // Only a record still marked running belongs to the run that `updatedAt` dates; a later run resets
    // the status of the records it carries over, and its `updatedAt` says nothing of theirs.
    const end = rec.endedAt ?? (rec.status === 'running' ? books.updatedAt : undefined);
    const ran = rec.startedAt && end ? Date.parse(end) - Date.parse(rec.startedAt) : Number.NaN;
    const last = rec.lastDurationMs;
    if (isFigure(last) && !(ran > last)) {
      out.set(t.id, { minutes: last / MS_PER_MINUTE });
    } else if (Number.isFinite(ran) && ran > 0) out.set(t.id, { minutes: ran / MS_PER_MINUTE, partial: true });
  }
  return out;
}
