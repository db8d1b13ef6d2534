import type { AuthFailure } from '../agents/auth-failure.js';
import { formatClock, type UsageLimit } from '../agents/usage-limit.js';
import { formatDuration } from '../events.js';
import type { Task } from '../plan/types.js';
import { parseDuration } from '../util/duration.js';
import { WALL_CLOCK_STEP_MS } from '../util/sleep.js';
import type { StartGuard } from './scheduler.js';

/*
 * `usageLimit.wait`: when an agent reports its account's usage limit, nothing more starts on that
 * agent until the limit resets, and the tasks that hit it run their agent again then, without it
 * counting as a retry or a repair. A reset later than the wait (a weekly limit, say), or none said
 * and none come within the wait, stops the run instead: resumable, nothing failed. An agent that
 * cannot authenticate is a limit that never resets: the run stops at once.
 */

export interface UsageLimitOptions {
  /** The longest the run waits for an agent's limit to reset, from the first time it hit it. */
  maxWaitMs: number;
  /** Called when an agent's pause ends: the scheduler looks again at what may start. */
  onResume?: () => void;
  /** Called when the run should start nothing more (`stopRun`). */
  onStop?: (reason: string) => void;
  now?: () => number;
}

/** The default `usageLimit.wait`: a 5-hour session limit resets within it, a weekly one does not. */
const DEFAULT_USAGE_LIMIT_WAIT_MS = 6 * 3_600_000;

/** `usageLimit.wait` in ms (0: never wait). */
export function usageLimitWaitMs(config: { usageLimit?: { wait?: string | number } }): number {
  const wait = config.usageLimit?.wait;
  if (wait === undefined) return DEFAULT_USAGE_LIMIT_WAIT_MS;
  return wait === 0 ? 0 : (parseDuration(wait) ?? DEFAULT_USAGE_LIMIT_WAIT_MS);
}

export type LimitDecision = { waitMs: number; until: number } | { stop: string };

/** Without a reset time, when to try the agent again: 5, 10, 20, then every 30 minutes. */
const PROBES_MS = [5, 10, 20, 30].map((m) => m * 60_000);
/** A reset already due, hit again: wait 30 s, doubling, at most 30 minutes (a clock that is off). */
const SECOND_HIT_MS = 30_000;
const MAX_FLOOR_MS = 30 * 60_000;

export class UsageLimits implements StartGuard {
  private readonly until = new Map<string, number>();
  /** Per agent, since an agent run last got through: when the limits began, and how many pauses. */
  private readonly streaks = new Map<string, { since: number; pauses: number }>();
  private readonly stopped = new Map<string, string>();
  /** Per agent, the tasks waiting for its reset that have not run it again yet: they go first. */
  private readonly waiting = new Map<string, number>();
  /** Aborted once the run starts nothing more: a task waiting for a reset does not run its agent again. */
  private readonly runStopping = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly agentOf: (task: Task) => string,
    private readonly options: UsageLimitOptions,
    private readonly inner?: StartGuard,
  ) {
    this.now = options.now ?? Date.now;
  }

  canStart(task: Task): boolean {
    const agent = this.agentOf(task);
    if (this.stopped.has(agent) || (this.until.get(agent) ?? 0) > this.now() || this.waiting.has(agent)) return false;
    return this.inner?.canStart(task) ?? true;
  }

  acquire(task: Task): void {
    this.inner?.acquire(task);
  }

  release(task: Task): void {
    this.inner?.release(task);
  }

  /** A run of the agent got through: its limits are behind it. */
  cleared(agent: string): void {
    this.streaks.delete(agent);
  }

  /**
   * A run of `agent` ended on its usage limit: how long to wait before running it again, or stop.
   * Tasks that hit the limit while a pause is on share that pause.
   */
  hit(agent: string, limit: UsageLimit): LimitDecision {
    const stopped = this.stopped.get(agent);
    if (stopped) return { stop: stopped };
    const now = this.now();
    const current = this.until.get(agent) ?? 0;
    let streak = this.streaks.get(agent);
    if (!streak) {
      streak = { since: now, pauses: 0 };
      this.streaks.set(agent, streak);
    }
    // A new pause, unless this hit is one of several runs that met the same limit.
    if (current <= now) streak.pauses++;
    const until = Math.max(current, this.nextTry(limit, streak.pauses, now));
    return this.pauseOrStop(agent, limit, until, streak.since, now);
  }

  /** Pauses `agent` until `until`, or stops it when that is more than the wait after `since`. */
  private pauseOrStop(agent: string, limit: UsageLimit, until: number, since: number, now: number): LimitDecision {
    if (until - since > this.options.maxWaitMs) {
      const reason = stopReason(agent, limit, this.options.maxWaitMs);
      this.stopped.set(agent, reason);
      return { stop: reason };
    }
    this.until.set(agent, until);
    this.wakeAt(until);
    return { waitMs: until - now, until };
  }

  /**
   * A run of `agent` could not authenticate: nothing more starts on it, and the run stops (after the
   * failure is on the record: `stopRun`). The reason says what to fix; `hint`, the agent's own way.
   * Not recorded for later runs, as a limit is: the run after the fix goes on.
   */
  refused(agent: string, failure: AuthFailure, hint: string): string {
    const stopped = this.stopped.get(agent);
    if (stopped) return stopped;
    const reason = `${agent} could not authenticate (${failure.message}): ${hint}, then run again`;
    this.stopped.set(agent, reason);
    return reason;
  }

  /**
   * A limit an earlier run met (and recorded) that still holds the agent back until `until`, as this
   * run starts: as if this run had met it, nothing starts on the agent before then (and the agent is
   * tried as after any pause), or the run stops when that is further off than the wait. Undefined
   * when `until` is past: no pause.
   */
  carryOver(agent: string, limit: UsageLimit, until: number): LimitDecision | undefined {
    const now = this.now();
    if (until <= now) return undefined;
    // The wait counts from this run's start: whoever started it again chose to.
    this.streaks.set(agent, { since: now, pauses: 1 });
    return this.pauseOrStop(agent, limit, until, now, now);
  }

  /**
   * The earliest end of a pause still on (epoch ms): with nothing running, the scheduler waits for it
   * rather than end the run with the paused agents' tasks not started (a pause carried over from an
   * earlier run has no task of this run waiting in it).
   */
  heldUntil(): number | undefined {
    const now = this.now();
    const later = [...this.until.values(), this.inner?.heldUntil?.()].filter(
      (u): u is number => u !== undefined && u > now,
    );
    return later.length > 0 ? Math.min(...later) : undefined;
  }

  /**
   * A task waits out `agent`'s limit: no new task starts on the agent until the ones waiting have run
   * it again (a slot that comes free at the reset is theirs). Call the function returned then, or
   * when the task stops waiting.
   */
  startWaiting(agent: string): () => void {
    this.waiting.set(agent, (this.waiting.get(agent) ?? 0) + 1);
    let over = false;
    return () => {
      if (over) return;
      over = true;
      const left = (this.waiting.get(agent) ?? 1) - 1;
      if (left > 0) {
        this.waiting.set(agent, left);
        return;
      }
      this.waiting.delete(agent);
      this.options.onResume?.();
    };
  }

  /** Aborted when the run starts nothing more: the waits for a reset end there. */
  get waitsEnd(): AbortSignal {
    return this.runStopping.signal;
  }

  /**
   * The run starts nothing more (a budget, `--fail-fast`, another agent's limit): a task waiting hours
   * for a reset does not run its agent again; it ends cancelled, for the next run.
   */
  endWaits(): void {
    this.runStopping.abort();
  }

  /** The run starts nothing more (after `hit` said stop, and the limit is on the record). */
  stopRun(reason: string): void {
    this.options.onStop?.(reason);
  }

  /** Stops the timer that would wake the scheduler (the run is over). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private nextTry(limit: UsageLimit, pauses: number, now: number): number {
    if (limit.resetsAt === undefined) return now + (PROBES_MS[Math.min(pauses, PROBES_MS.length) - 1] as number);
    // A little after the reset (at most a minute), so a clock a few seconds off does not meet it again.
    const ahead = limit.resetsAt - now;
    const margin = Math.min(60_000, Math.max(0, Math.ceil(ahead / 10)));
    const floor = pauses <= 1 ? 0 : Math.min(MAX_FLOOR_MS, SECOND_HIT_MS * 2 ** (pauses - 2));
    return Math.max(limit.resetsAt + margin, now + floor);
  }

  /**
   * One timer, for the earliest pause to end; it looks at the clock at least once a minute, since
   * timers stand still while the machine sleeps and a pause ends at a time of day.
   */
  private wakeAt(until: number): void {
    const next = Math.min(...[...this.until.values()].filter((u) => u > this.now()), until);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.options.onResume?.();
        const later = [...this.until.values()].filter((u) => u > this.now());
        if (later.length > 0) this.wakeAt(Math.min(...later));
      },
      Math.min(WALL_CLOCK_STEP_MS, Math.max(0, next - this.now())),
    );
    this.timer.unref?.();
  }
}

function stopReason(agent: string, limit: UsageLimit, maxWaitMs: number): string {
  const when =
    limit.resetsAt !== undefined ? `it resets ${formatClock(limit.resetsAt)}` : 'it did not say when it resets';
  const beyond = maxWaitMs === 0 ? 'and usageLimit.wait is 0' : `beyond usageLimit.wait (${formatDuration(maxWaitMs)})`;
  return `${agent} reached its usage limit (${when}), ${beyond}: resume the run once it resets`;
}
