import { afterEach, describe, expect, it, vi } from 'vitest';
import { LONGEST_TIMER_MS, sleep, sleepUntil } from '../../src/util/sleep.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sleep', () => {
  it('is true after the whole wait, false when the signal aborts first or already had', async () => {
    expect(await sleep(5)).toBe(true);
    const c = new AbortController();
    const cut = sleep(60_000, c.signal);
    c.abort();
    expect(await cut).toBe(false);
    expect(await sleep(60_000, c.signal)).toBe(false);
  });

  it('leaves no listener on a signal that outlives its waits', async () => {
    const c = new AbortController();
    let listening = 0;
    const add = c.signal.addEventListener.bind(c.signal);
    const remove = c.signal.removeEventListener.bind(c.signal);
    c.signal.addEventListener = ((...a: Parameters<typeof add>) => {
      listening++;
      add(...a);
    }) as typeof add;
    c.signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      listening--;
      remove(...a);
    }) as typeof remove;
    for (let i = 0; i < 3; i++) expect(await sleep(1, c.signal)).toBe(true);
    expect(listening).toBe(0);
  });

  it('waits the whole time when that is longer than a timer takes (about 24.8 days)', async () => {
    vi.useFakeTimers();
    let woke = false;
    const wait = sleep(LONGEST_TIMER_MS + 60_000).then((whole) => {
      woke = whole;
    });
    await vi.advanceTimersByTimeAsync(LONGEST_TIMER_MS);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    await wait;
    expect(woke).toBe(true);
  });
});

describe('sleepUntil', () => {
  it('ends by the wall clock, in steps of at most a minute: a machine asleep in between does not push it back', async () => {
    let clock = 0;
    const steps: number[] = [];
    const step = async (ms: number) => {
      steps.push(ms);
      // The second step sleeps through a suspended machine: two hours pass on the clock.
      clock += steps.length === 2 ? 2 * 3_600_000 : ms;
    };
    await sleepUntil(3 * 3_600_000, new AbortController().signal, step, () => clock);
    expect(steps.every((ms) => ms <= 60_000)).toBe(true);
    // 1 minute, then the 2-hour jump, then the 59 minutes left: 61 steps, not 180.
    expect(steps).toHaveLength(61);
    expect(clock).toBe(3 * 3_600_000);
  });

  it('stops at once when its signal aborts, and waits not at all for a time past', async () => {
    const c = new AbortController();
    let calls = 0;
    const step = async () => {
      calls++;
      c.abort();
    };
    await sleepUntil(Date.now() + 3_600_000, c.signal, step);
    expect(calls).toBe(1);
    await sleepUntil(Date.now() - 1000, new AbortController().signal, step);
    expect(calls).toBe(1);
  });
});
