import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageLimits, usageLimitWaitMs } from '../../src/engine/usage-limits.js';
import type { Task } from '../../src/plan/types.js';

const task = (id: string) => ({ id }) as Task;
const H = 3_600_000;
const M = 60_000;

function limits(maxWaitMs = 6 * H) {
  let now = 1_000_000;
  const resumed: number[] = [];
  const stops: string[] = [];
  const l = new UsageLimits((t) => (t.id.startsWith('c') ? 'codex' : 'claude'), {
    maxWaitMs,
    now: () => now,
    onResume: () => resumed.push(now),
    onStop: (r) => stops.push(r),
  });
  return {
    l,
    resumed,
    stops,
    at: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('UsageLimits', () => {
  it("pauses the agent until a little after its reset, and only that agent's tasks", () => {
    const { l, at, advance } = limits();
    const d = l.hit('claude', { message: 'limit', resetsAt: at() + 2 * H });
    // A minute after the reset (at most a minute; a tenth of the wait when that is less).
    expect(d).toEqual({ waitMs: 2 * H + M, until: at() + 2 * H + M });
    expect(l.canStart(task('a1'))).toBe(false);
    expect(l.canStart(task('c1'))).toBe(true);
    advance(2 * H + M - 1);
    expect(l.canStart(task('a1'))).toBe(false);
    advance(1);
    expect(l.canStart(task('a1'))).toBe(true);
    l.dispose();
  });

  it('lets tasks that meet the same limit share one pause', () => {
    const { l, at, advance } = limits();
    const first = l.hit('claude', { message: 'limit', resetsAt: at() + 10_000 });
    advance(500);
    const second = l.hit('claude', { message: 'limit', resetsAt: at() + 9_500 });
    expect(first).toMatchObject({ until: expect.any(Number) });
    expect(second).toEqual({
      waitMs: 'until' in first ? first.until - at() : -1,
      until: 'until' in first ? first.until : -1,
    });
    l.dispose();
  });

  it('stops instead when the reset is further off than the wait, for every later hit too', () => {
    const { l, at, stops } = limits(6 * H);
    const d = l.hit('claude', { message: 'weekly', resetsAt: at() + 3 * 24 * H });
    expect(d).toEqual({
      stop: expect.stringMatching(
        /^claude reached its usage limit \(it resets .+\), beyond usageLimit\.wait \(6h00m\)/,
      ),
    });
    // The caller stops the run once the limit is on the record.
    expect(stops).toEqual([]);
    l.stopRun('stop' in d ? d.stop : '');
    expect(stops).toHaveLength(1);
    expect(l.hit('claude', { message: 'weekly', resetsAt: at() + H })).toEqual(d);
    expect(l.canStart(task('a1'))).toBe(false);
    expect(l.canStart(task('c1'))).toBe(true);
  });

  it('an agent that cannot authenticate is a limit that never resets: stopped at once, whatever the wait', () => {
    const { l, stops } = limits(6 * H);
    const reason = l.refused(
      'claude',
      { message: 'Invalid API key · Fix external API key' },
      'check ANTHROPIC_API_KEY',
    );
    expect(reason).toBe(
      'claude could not authenticate (Invalid API key · Fix external API key): check ANTHROPIC_API_KEY, then run again',
    );
    expect(l.canStart(task('a1'))).toBe(false);
    expect(l.canStart(task('c1'))).toBe(true);
    // Tasks that were running on it meet it too: the same stop, not a wait.
    expect(l.refused('claude', { message: 'Not logged in' }, 'log in')).toBe(reason);
    expect(l.hit('claude', { message: 'limit', resetsAt: Date.now() + M })).toEqual({ stop: reason });
    expect(l.heldUntil()).toBeUndefined();
    expect(stops).toEqual([]);
  });

  it('without a reset time, tries again after 5, 10, 20, then 30 minutes, until the wait is used up', () => {
    const { l, advance } = limits(90 * M);
    const waits: number[] = [];
    for (;;) {
      const d = l.hit('claude', { message: 'Usage limit reached' });
      if ('stop' in d) break;
      waits.push(d.waitMs);
      advance(d.waitMs);
    }
    // 5 + 10 + 20 + 30 = 65 minutes; another 30 would pass 90.
    expect(waits).toEqual([5 * M, 10 * M, 20 * M, 30 * M]);
    l.dispose();
  });

  it('backs off when a reset already due is met again, and starts over once a run gets through', () => {
    const { l, at, advance } = limits();
    const due = () => l.hit('claude', { message: 'limit', resetsAt: at() - 1000 });
    expect(due()).toMatchObject({ waitMs: 0 });
    advance(1);
    expect(due()).toMatchObject({ waitMs: 30_000 });
    advance(30_000);
    expect(due()).toMatchObject({ waitMs: 60_000 });
    advance(60_000);
    l.cleared('claude');
    expect(due()).toMatchObject({ waitMs: 0 });
    l.dispose();
  });

  it('counts the wait from the first hit of a streak: a second limit that ends past it stops', () => {
    const { l, at, advance } = limits(3 * H);
    const d = l.hit('claude', { message: 'session', resetsAt: at() + 2 * H });
    advance('waitMs' in d ? d.waitMs : 0);
    // The next run meets another limit, 1.5 h away: 3.5 h after the first, beyond the 3 h wait.
    expect(l.hit('claude', { message: 'again', resetsAt: at() + 1.5 * H })).toHaveProperty('stop');
  });

  it('pauses until a whole millisecond', () => {
    const { l, at } = limits();
    // A tenth of 4,005 ms is no whole number.
    const d = l.hit('claude', { message: 'limit', resetsAt: at() + 4_005 });
    expect(d).toEqual({ waitMs: 4_406, until: at() + 4_406 });
    l.dispose();
  });

  it('starts nothing new on an agent until the tasks waiting for its reset have run it again', () => {
    const { l, at, advance, resumed } = limits();
    const d = l.hit('claude', { message: 'limit', resetsAt: at() + 10_000 });
    const first = l.startWaiting('claude');
    const second = l.startWaiting('claude');
    advance('waitMs' in d ? d.waitMs : 0);
    // The pause is over, but the slot that comes free is the waiting tasks'.
    expect(l.canStart(task('a1'))).toBe(false);
    expect(l.canStart(task('c1'))).toBe(true);
    first();
    first();
    expect(l.canStart(task('a1'))).toBe(false);
    expect(resumed).toEqual([]);
    second();
    expect(l.canStart(task('a1'))).toBe(true);
    // The scheduler is told to look again.
    expect(resumed).toEqual([at()]);
    l.dispose();
  });

  it("carries over an earlier run's limit: a pause to its time, a stop beyond the wait, nothing once past", () => {
    const { l, at, advance, stops } = limits(6 * H);
    expect(l.carryOver('codex', { message: 'old' }, at())).toBeUndefined();
    expect(l.canStart(task('c1'))).toBe(true);
    expect(l.heldUntil()).toBeUndefined();

    const d = l.carryOver('claude', { message: 'limit', resetsAt: at() + 2 * H }, at() + 2 * H + M);
    expect(d).toEqual({ waitMs: 2 * H + M, until: at() + 2 * H + M });
    expect(l.canStart(task('a1'))).toBe(false);
    expect(l.heldUntil()).toBe(at() + 2 * H + M);
    // Met again once the pause is over, a reset already due backs off as after any pause.
    advance(2 * H + M);
    expect(l.canStart(task('a1'))).toBe(true);
    expect(l.heldUntil()).toBeUndefined();
    expect(l.hit('claude', { message: 'limit', resetsAt: at() - 1000 })).toMatchObject({ waitMs: 30_000 });
    l.dispose();

    const weekly = limits(6 * H);
    const stop = weekly.l.carryOver(
      'claude',
      { message: 'weekly', resetsAt: weekly.at() + 3 * 24 * H },
      weekly.at() + 3 * 24 * H,
    );
    expect(stop).toEqual({
      stop: expect.stringMatching(/^claude reached its usage limit \(it resets .+\), beyond usageLimit\.wait/),
    });
    expect(weekly.l.canStart(task('a1'))).toBe(false);
    expect(weekly.l.heldUntil()).toBeUndefined();
    expect(stops).toEqual([]);
  });

  it('wakes the scheduler when a pause ends', async () => {
    vi.useFakeTimers();
    const resumed: number[] = [];
    const l = new UsageLimits(() => 'claude', { maxWaitMs: H, onResume: () => resumed.push(Date.now()) });
    const start = Date.now();
    l.hit('claude', { message: 'limit', resetsAt: start + 10_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(resumed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(resumed).toEqual([start + 11_000]);
    expect(l.canStart(task('a1'))).toBe(true);
    l.dispose();
  });
});

describe('usageLimitWaitMs', () => {
  it('reads usageLimit.wait, 0 included, with 6h by default', () => {
    expect(usageLimitWaitMs({})).toBe(6 * H);
    expect(usageLimitWaitMs({ usageLimit: { wait: '90m' } })).toBe(90 * M);
    expect(usageLimitWaitMs({ usageLimit: { wait: 0 } })).toBe(0);
  });
});
