/**
 * At most `n` holders at a time, first come first served. Gates that share the machine (a build, a
 * test suite) go through one of these (`gates.concurrency`, default 1), so parallel tasks do not slow
 * each other's tests into timeouts.
 */
export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    // A programming error, not a user's: the config schema only lets positive integers through.
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer: ${size}`);
    this.free = size;
  }

  /** Run `fn` once a place is free; the place is given back however `fn` ends. */
  async use<T>(fn: () => Promise<T> | T): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Holders now. */
  get active(): number {
    return this.size - this.free;
  }

  /** Callers waiting for a place. */
  get pending(): number {
    return this.waiting.length;
  }

  private acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    // The place passes straight to the next waiter, so a newcomer cannot take it in between.
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
