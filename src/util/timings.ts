import { writeFileSync } from 'node:fs';

/*
 * Where a run's time goes, step by step (worktree, verification, commit, merge, tick, journal, git
 * processes), for the benchmark suite: with TASKWAVE_TIMINGS=<file>, the process writes
 * `{ "<step>": { "ms": total, "count": n } }` there when it exits. The environment is read once:
 * unset, a timed step costs one comparison.
 */

const file = process.env.TASKWAVE_TIMINGS || undefined;
const totals = new Map<string, { ms: number; count: number }>();

if (file) {
  process.on('exit', () => {
    writeFileSync(file, JSON.stringify(Object.fromEntries(totals)));
  });
}

/** Add `ms` (and one occurrence) to `step`. */
export function addTiming(step: string, ms: number): void {
  if (!file) return;
  const t = totals.get(step);
  if (t) {
    t.ms += ms;
    t.count++;
  } else totals.set(step, { ms, count: 1 });
}

/** Run `fn`, adding its wall time to `step`. */
export async function timed<T>(step: string, fn: () => Promise<T>): Promise<T> {
  if (!file) return fn();
  const started = performance.now();
  try {
    return await fn();
  } finally {
    addTiming(step, performance.now() - started);
  }
}

/** The same for synchronous work (a journal append and its fsync). */
export function timedSync<T>(step: string, fn: () => T): T {
  if (!file) return fn();
  const started = performance.now();
  try {
    return fn();
  } finally {
    addTiming(step, performance.now() - started);
  }
}
