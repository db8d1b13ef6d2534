import { afterEach } from 'vitest';

/** Whether a process is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wait until `cond` holds, polling; fails the test with `what` after `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Pids a test started (agents, their children) that must not outlive it even when it fails: pushed
 * here, SIGKILLed after each test of the file that calls this.
 */
export function killLeftoversAfterEach(): number[] {
  const leftovers: number[] = [];
  afterEach(() => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  return leftovers;
}
