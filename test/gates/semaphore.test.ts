import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/gates/semaphore.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 5));

describe('Semaphore', () => {
  it('lets at most n run at once, in arrival order', async () => {
    const s = new Semaphore(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (i: number) =>
      s.use(async () => {
        running++;
        most = Math.max(most, running);
        order.push(i);
        await tick();
        running--;
        return i * 10;
      });
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map(job));
    expect(results).toEqual([0, 10, 20, 30, 40, 50]);
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.active).toBe(0);
  });

  it('runs one at a time with size 1, and gives the place back when fn throws', async () => {
    const s = new Semaphore(1);
    const first = s.use(async () => {
      await tick();
      throw new Error('boom');
    });
    const second = s.use(() => 'second');
    expect(s.active).toBe(1);
    expect(s.pending).toBe(1);
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('second');
    expect(s.active).toBe(0);
    expect(s.pending).toBe(0);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
  });
});
