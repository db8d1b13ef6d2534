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
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort);
  });
}
