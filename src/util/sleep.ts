/**
 * The longest delay a timer takes (about 24.8 days). Node fires a timer set for longer after 1 ms,
 * which would stop an agent with `timeout: 30d` at once, or end a long wait early.
 */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Wait `ms`, or less when `signal` aborts first (at once when it already has). True when the whole
 * wait passed. The abort listener goes with the wait: a signal that outlives many waits (a task's,
 * a run's) does not collect one per wait.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (whole: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(whole);
    };
    const onAbort = () => done(false);
    // Longer than a timer takes: in steps.
    const arm = (left: number): ReturnType<typeof setTimeout> =>
      setTimeout(
        () => {
          if (left > LONGEST_TIMER_MS) timer = arm(left - LONGEST_TIMER_MS);
          else done(true);
        },
        Math.min(left, LONGEST_TIMER_MS),
      );
    let timer = arm(ms);
    signal?.addEventListener('abort', onAbort);
  });
}

/** The longest step of `sleepUntil`: how late a wait may end after the machine wakes from sleep. */
export const WALL_CLOCK_STEP_MS = 60_000;

/**
 * Wait until the wall clock reads `until` (epoch ms), or `signal` aborts, in steps of at most a
 * minute: timers stand still while the machine sleeps (a laptop shut overnight), the clock does not,
 * so a wait of hours for a reset time ends within a minute of it, not hours after.
 */
export async function sleepUntil(
  until: number,
  signal: AbortSignal,
  step: (ms: number, signal: AbortSignal) => Promise<unknown> = sleep,
  now: () => number = Date.now,
): Promise<void> {
  for (let left = until - now(); left > 0 && !signal.aborted; left = until - now()) {
    await step(Math.min(left, WALL_CLOCK_STEP_MS), signal);
  }
}
