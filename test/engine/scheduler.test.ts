import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentSlots } from '../../src/engine/agent-slots.js';
import { Scheduler, type TaskOutcome, type TaskSlot } from '../../src/engine/scheduler.js';
import { UsageLimits } from '../../src/engine/usage-limits.js';
import type { RunEvent, TaskError } from '../../src/events.js';
import { FileLocks } from '../../src/graph/index.js';
import type { Task } from '../../src/plan/types.js';
import { err, ok, type Result } from '../../src/result.js';

function task(id: string, deps: string[] = [], files: string[] = []): Task {
  return {
    id,
    idKind: 'explicit',
    title: `task ${id}`,
    body: '',
    phase: 'main',
    deps: deps.map((d) => ({ id: d, kind: 'explicit' as const, source: { file: 'p.md', line: 1, column: 1 } })),
    status: 'pending',
    optional: false,
    parallel: true,
    tags: [],
    requirements: [],
    files,
    criteria: [],
    source: { file: 'p.md', line: 1, column: 1 },
  };
}

/** Tasks finish when the test says so: each start is recorded with a resolver. */
function controlled() {
  const started: string[] = [];
  const pending = new Map<string, (r: Result<TaskOutcome, TaskError>) => void>();
  const execute = (t: Task, signal: AbortSignal) =>
    new Promise<Result<TaskOutcome, TaskError>>((resolve) => {
      started.push(t.id);
      pending.set(t.id, resolve);
      signal.addEventListener('abort', () => resolve(err({ reason: 'cancelled' })), { once: true });
    });
  const finish = async (id: string, r: Result<TaskOutcome, TaskError> = ok({})) => {
    const f = pending.get(id);
    if (!f) throw new Error(`${id} is not running (started: ${started.join(',')})`);
    pending.delete(id);
    f(r);
    await new Promise((res) => setTimeout(res, 0));
  };
  return { started, pending, execute, finish };
}

const tick = () => new Promise((res) => setTimeout(res, 0));
const byPlanOrder = (ids: string[]) => (a: string, b: string) => ids.indexOf(a) - ids.indexOf(b);

/** A scheduler over `tasks`, picking in plan order, whose tasks finish when the test says so (`c`). */
function planned(tasks: Task[], concurrency: number, log: (e: RunEvent) => void = () => {}) {
  const c = controlled();
  const s = new Scheduler({
    tasks,
    concurrency,
    compare: byPlanOrder(tasks.map((t) => t.id)),
    execute: c.execute,
    log,
  });
  return { s, c };
}

describe('Scheduler', () => {
  it('never runs more tasks at once than the concurrency limit', async () => {
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((id) => task(id));
    const { s, c } = planned(tasks, 2);
    const done = s.run();
    await tick();
    expect(c.started).toEqual(['a', 'b']);
    await c.finish('b');
    expect(c.started).toEqual(['a', 'b', 'c']);
    expect(c.pending.size).toBe(2);
    await c.finish('a');
    await c.finish('c');
    expect(c.pending.size).toBe(2);
    await c.finish('d');
    await c.finish('e');
    const summary = await done;
    expect(summary.status).toBe('done');
    expect(summary.counts.done).toBe(5);
  });

  it('starts a task as soon as its own dependencies finish, without waiting for a whole wave', async () => {
    // a -> c, b (slow) unrelated: c must start while b still runs.
    const tasks = [task('a'), task('b'), task('c', ['a'])];
    const { s, c } = planned(tasks, 4);
    const done = s.run();
    await tick();
    expect(c.started).toEqual(['a', 'b']);
    await c.finish('a');
    expect(c.started).toEqual(['a', 'b', 'c']);
    expect([...c.pending.keys()].sort()).toEqual(['b', 'c']);
    await c.finish('b');
    await c.finish('c');
    expect((await done).status).toBe('done');
  });

  it('picks the ready task with the longest remaining path first', async () => {
    const tasks = [task('a'), task('b'), task('c', ['b'])];
    const c = controlled();
    const remaining: Record<string, number> = { a: 1, b: 2, c: 1 };
    const compare = (x: string, y: string) => (remaining[y] ?? 0) - (remaining[x] ?? 0);
    const s = new Scheduler({ tasks, concurrency: 1, compare, execute: c.execute, log: () => {} });
    const done = s.run();
    await tick();
    expect(c.started).toEqual(['b']);
    await c.finish('b');
    // c (remaining 1) and a (remaining 1) tie; compare keeps them equal, heap order is stable enough to pick one
    expect(c.started).toHaveLength(2);
    await c.finish(c.started[1] as string);
    await c.finish(c.started[2] as string);
    expect((await done).counts.done).toBe(3);
  });

  it('never runs two tasks that name the same file at the same time', async () => {
    const tasks = [task('a', [], ['src/x.ts']), task('b', [], ['./src/x.ts']), task('c', [], ['src/y.ts'])];
    const c = controlled();
    const s = new Scheduler({
      tasks,
      concurrency: 4,
      compare: byPlanOrder(['a', 'b', 'c']),
      guard: new FileLocks(),
      execute: c.execute,
      log: () => {},
    });
    const done = s.run();
    await tick();
    expect(c.started).toEqual(['a', 'c']);
    await c.finish('a');
    expect(c.started).toEqual(['a', 'c', 'b']);
    await c.finish('b');
    await c.finish('c');
    expect((await done).status).toBe('done');
  });

  it('blocks everything downstream of a failed task and keeps independent tasks going', async () => {
    const tasks = [task('a'), task('b', ['a']), task('c', ['b']), task('d')];
    const events: RunEvent[] = [];
    const { s, c } = planned(tasks, 1, (e) => events.push(e));
    const done = s.run();
    await tick();
    await c.finish('a', err({ reason: 'agent-exit', exitCode: 3, signal: null, outputTail: '' }));
    expect(c.started).toEqual(['a', 'd']);
    await c.finish('d');
    const summary = await done;
    expect(summary.status).toBe('failed');
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ['a', 'failed'],
      ['b', 'blocked'],
      ['c', 'blocked'],
      ['d', 'done'],
    ]);
    expect(summary.tasks[0]?.error).toBe('agent exited with code 3');
    expect(events.filter((e) => e.type === 'task-blocked').map((e) => (e as { blockedBy: string }).blockedBy)).toEqual([
      'a',
      'a',
    ]);
  });

  it('on cancel stops starting tasks, aborts the running ones and reports interrupted', async () => {
    const tasks = [task('a'), task('b'), task('c')];
    const { s, c } = planned(tasks, 2);
    const done = s.run();
    await tick();
    await c.finish('a');
    expect(c.started).toEqual(['a', 'b', 'c']);
    s.cancel();
    const summary = await done;
    expect(summary.status).toBe('interrupted');
    expect(summary.tasks.map((t) => t.status)).toEqual(['done', 'cancelled', 'cancelled']);
  });

  it('treats dependencies outside the run as satisfied', async () => {
    const tasks = [task('b', ['already-done'])];
    const c = controlled();
    const s = new Scheduler({ tasks, concurrency: 1, compare: () => 0, execute: c.execute, log: () => {} });
    const done = s.run();
    await tick();
    expect(c.started).toEqual(['b']);
    await c.finish('b');
    expect((await done).status).toBe('done');
  });
});

describe('AgentSlots', () => {
  it("holds each agent to its own limit while other agents' tasks fill the free slots", async () => {
    const tasks = ['a1', 'a2', 'a3', 'b1', 'b2'].map((id) => task(id));
    const c = controlled();
    const s = new Scheduler({
      tasks,
      concurrency: 4,
      compare: byPlanOrder(tasks.map((t) => t.id)),
      guard: new AgentSlots(
        (t) => (t.id.startsWith('a') ? 'claude' : 'codex'),
        new Map([['claude', 1]]),
        new FileLocks(),
      ),
      execute: c.execute,
      log: () => {},
    });
    const done = s.run();
    await tick();
    expect(c.started).toEqual(['a1', 'b1', 'b2']);
    await c.finish('b1');
    expect(c.started).toEqual(['a1', 'b1', 'b2']);
    await c.finish('a1');
    expect(c.started).toEqual(['a1', 'b1', 'b2', 'a2']);
    await c.finish('a2');
    await c.finish('b2');
    expect(c.started.at(-1)).toBe('a3');
    await c.finish('a3');
    expect((await done).counts.done).toBe(5);
  });
});

describe('a pause carried over from an earlier run', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("with nothing running, waits for the pause to end and then starts the agent's tasks, rather than end the run", async () => {
    vi.useFakeTimers();
    const tasks = ['a1', 'c1'].map((id) => task(id));
    const c = controlled();
    let s: Scheduler | undefined;
    const limits = new UsageLimits((t) => (t.id.startsWith('a') ? 'claude' : 'codex'), {
      maxWaitMs: 6 * 3_600_000,
      onResume: () => s?.poke(),
    });
    s = new Scheduler({
      tasks,
      concurrency: 2,
      compare: byPlanOrder(['a1', 'c1']),
      guard: limits,
      execute: c.execute,
      log: () => {},
    });
    // Hours away: the scheduler reads the clock again at least once a minute meanwhile.
    const until = Date.now() + 2 * 3_600_000;
    expect(limits.carryOver('claude', { message: 'limit' }, until)).toEqual({ waitMs: 2 * 3_600_000, until });
    const done = s.run();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.started).toEqual(['c1']);
    // (`finish` lets the scheduler see it on a timer: fake ones move when told.)
    const finished = c.finish('c1');
    await vi.advanceTimersByTimeAsync(0);
    await finished;
    // Nothing runs now, and a1 waits for its agent's pause: the run goes on.
    await vi.advanceTimersByTimeAsync(2 * 3_600_000 - 1);
    expect(c.started).toEqual(['c1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.started).toEqual(['c1', 'a1']);
    const last = c.finish('a1');
    await vi.advanceTimersByTimeAsync(0);
    await last;
    expect((await done).counts.done).toBe(2);
    limits.dispose();
  });

  it('with nothing running, a cancel ends the wait', async () => {
    const c = controlled();
    const limits = new UsageLimits(() => 'claude', { maxWaitMs: 6 * 3_600_000 });
    const s = new Scheduler({
      tasks: [task('a1')],
      concurrency: 1,
      compare: () => 0,
      guard: limits,
      execute: c.execute,
      log: () => {},
    });
    limits.carryOver('claude', { message: 'limit' }, Date.now() + 3_600_000);
    const done = s.run();
    await tick();
    s.cancel();
    const summary = await done;
    expect(summary.status).toBe('interrupted');
    expect(c.started).toEqual([]);
    limits.dispose();
  });
});

/** Tasks a, b, c with one slot, each handed its slot to lend, started: the slots by task, and the end. */
function lendingRun() {
  const c = controlled();
  const slots = new Map<string, TaskSlot>();
  const s = new Scheduler({
    tasks: ['a', 'b', 'c'].map((id) => task(id)),
    concurrency: 1,
    compare: byPlanOrder(['a', 'b', 'c']),
    execute: (t, signal, slot) => {
      slots.set(t.id, slot);
      return c.execute(t, signal);
    },
    log: () => {},
  });
  return { c, slots, done: s.run() };
}

describe('Scheduler, wide phases', () => {
  it('tasks sharing one long list of dependencies all wait for all of it, and each starts once', async () => {
    const first = Array.from({ length: 20 }, (_, i) => task(`a${i}`));
    const list = first.map((t) => ({ id: t.id, kind: 'phase-order' as const, source: t.source }));
    // The next phase's tasks share the list itself, as the markdown reader gives it; z waits for a3 alone.
    const second = Array.from({ length: 20 }, (_, i) => ({ ...task(`b${i}`), deps: list }));
    const tasks = [...first, ...second, task('z', ['a3'])];
    const { s, c } = planned(tasks, 40);
    const done = s.run();
    await tick();
    expect([...c.started].sort()).toEqual(first.map((t) => t.id).sort());
    for (const t of first.slice(0, 19)) await c.finish(t.id);
    // z waits for a3 alone.
    expect(c.started).toContain('z');
    // One of the list still running: none of the tasks that share it starts.
    expect(c.started.filter((id) => id.startsWith('b'))).toEqual([]);
    await c.finish('a19');
    expect(c.started.filter((id) => id.startsWith('b')).sort()).toEqual(second.map((t) => t.id).sort());
    expect(new Set(c.started).size).toBe(c.started.length);
    for (const t of [...second, task('z')]) await c.finish(t.id);
    expect((await done).counts.done).toBe(41);
  });

  it('a failure in a shared list blocks every task that shares it, once each', async () => {
    const first = Array.from({ length: 16 }, (_, i) => task(`a${i}`));
    const list = first.map((t) => ({ id: t.id, kind: 'phase-order' as const, source: t.source }));
    const second = Array.from({ length: 3 }, (_, i) => ({ ...task(`b${i}`), deps: list }));
    const events: RunEvent[] = [];
    const { s, c } = planned([...first, ...second], 16, (e) => events.push(e));
    const done = s.run();
    await tick();
    await c.finish('a0', err({ reason: 'agent-error', message: 'boom' }));
    for (const t of first.slice(1)) await c.finish(t.id);
    const summary = await done;
    expect(summary.counts).toMatchObject({ done: 15, failed: 1, blocked: 3 });
    expect(
      events.filter((e) => e.type === 'task-blocked').map((e) => (e.type === 'task-blocked' ? e.taskId : '')),
    ).toEqual(['b0', 'b1', 'b2']);
  });
});

describe('Scheduler stops and hooks', () => {
  it('a task that lends its slot while it waits gets one back before anything new starts', async () => {
    const { c, slots, done } = lendingRun();
    await tick();
    expect(c.started).toEqual(['a']);
    // a waits (an agent's usage limit): b runs in its slot meanwhile.
    slots.get('a')?.lend();
    await tick();
    expect(c.started).toEqual(['a', 'b']);
    // a is ready to work again, with no slot free: it waits for one, and c (ready too) waits behind it.
    let back = false;
    const reclaimed = slots
      .get('a')
      ?.reclaim()
      .then(() => {
        back = true;
      });
    await tick();
    expect(back).toBe(false);
    await c.finish('b');
    await reclaimed;
    expect(back).toBe(true);
    expect(c.started).toEqual(['a', 'b']);
    await c.finish('a');
    expect(c.started).toEqual(['a', 'b', 'c']);
    await c.finish('c');
    expect((await done).status).toBe('done');
  });

  it('a task stopped while its slot is lent ends the run cleanly, the slots counted right', async () => {
    const { c, slots, done } = lendingRun();
    await tick();
    slots.get('a')?.lend();
    await tick();
    // a stops waiting without taking a slot back (its wait was ended): b keeps the only slot.
    await c.finish('a', err({ reason: 'cancelled' }));
    expect(c.started).toEqual(['a', 'b']);
    await c.finish('b');
    expect(c.started).toEqual(['a', 'b', 'c']);
    await c.finish('c');
    const summary = await done;
    expect(summary.counts).toMatchObject({ done: 2, cancelled: 1 });
  });

  it('halt starts nothing more, lets running tasks finish, and ends the run as failed with the reason', async () => {
    const tasks = ['a', 'b', 'c'].map((id) => task(id));
    const events: RunEvent[] = [];
    const { s, c } = planned(tasks, 1, (e) => events.push(e));
    const done = s.run();
    await tick();
    s.halt('budget.usd reached: $1.20 of $1.00');
    await c.finish('a');
    const summary = await done;
    expect(c.started).toEqual(['a']);
    expect(summary.status).toBe('failed');
    expect(summary.counts.done).toBe(1);
    expect(events.filter((e) => e.type === 'run-stopping')).toEqual([
      { type: 'run-stopping', reason: 'budget.usd reached: $1.20 of $1.00' },
    ]);
    // Nothing failed: the summary says why it stopped, and what never started.
    expect(summary.stoppedBy).toBe('budget.usd reached: $1.20 of $1.00');
    expect(summary.counts).toMatchObject({ done: 1, failed: 0, cancelled: 2 });
  });

  it('a merge conflict is a conflict in the summary, as in the books, and fails the run', async () => {
    const tasks = ['a', 'b'].map((id) => task(id));
    const { s, c } = planned(tasks, 2);
    const done = s.run();
    await tick();
    await c.finish('a', err({ reason: 'merge-conflict', files: ['x.txt'], branch: 'taskwave/r/a' }));
    await c.finish('b', err({ reason: 'agent-exit', exitCode: 1, signal: null, outputTail: '' }));
    const summary = await done;
    expect(summary.status).toBe('failed');
    expect(summary.counts).toMatchObject({ failed: 1, conflict: 1 });
    expect(summary.tasks.map((t) => [t.id, t.status, t.error])).toEqual([
      ['a', 'conflict', 'merge conflict in x.txt; its work is kept on branch taskwave/r/a'],
      ['b', 'failed', 'agent exited with code 1'],
    ]);
    expect(summary.stoppedBy).toBeUndefined();
  });

  it('a halt while the last task finishes stops nothing: the run is done', async () => {
    const { s, c } = planned([task('a'), task('b')], 2);
    const done = s.run();
    await tick();
    await c.finish('a');
    // The budget is reached by the last task's own cost.
    s.halt('budget.usd reached: $1.20 of $1.00');
    await c.finish('b');
    const summary = await done;
    expect(summary.status).toBe('done');
    expect(summary.counts).toMatchObject({ done: 2, cancelled: 0 });
  });

  it('failFast stops the running tasks at the first failure', async () => {
    const tasks = ['a', 'b', 'c'].map((id) => task(id));
    const signals: AbortSignal[] = [];
    const pendingFinish = new Map<string, (r: Result<TaskOutcome, TaskError>) => void>();
    const s = new Scheduler({
      tasks,
      concurrency: 2,
      compare: byPlanOrder(['a', 'b', 'c']),
      failFast: true,
      execute: (t, signal) =>
        new Promise((resolve) => {
          signals.push(signal);
          pendingFinish.set(t.id, resolve);
          signal.addEventListener('abort', () => resolve(err({ reason: 'cancelled' })));
        }),
      log: () => {},
    });
    const done = s.run();
    await tick();
    pendingFinish.get('a')?.(err({ reason: 'agent-exit', exitCode: 1, signal: null, outputTail: '' }));
    const summary = await done;
    expect(signals.every((sig) => sig.aborted)).toBe(true);
    expect(summary.status).toBe('failed');
    expect(summary.tasks.map((t) => `${t.id}:${t.status}`)).toEqual(['a:failed', 'b:cancelled', 'c:pending']);
  });

  it('afterDone runs before dependents start, and a reason it returns blocks them', async () => {
    const tasks = [task('a'), task('b', ['a']), task('c')];
    const c = controlled();
    const order: string[] = [];
    const s = new Scheduler({
      tasks,
      concurrency: 4,
      compare: byPlanOrder(['a', 'b', 'c']),
      execute: c.execute,
      afterDone: async (t) => {
        order.push(`after ${t.id}`);
        return t.id === 'a' ? 'phase 1 gates' : undefined;
      },
      log: () => {},
    });
    const done = s.run();
    await tick();
    await c.finish('a');
    await c.finish('c');
    const summary = await done;
    expect(order).toEqual(['after a', 'after c']);
    expect(c.started).toEqual(['a', 'c']);
    expect(summary.tasks.find((t) => t.id === 'b')).toMatchObject({
      status: 'blocked',
      error: 'blocked by phase 1 gates',
    });
  });

  it('block before the run: the ready tasks named and all downstream never start, the rest run', async () => {
    // a and c wait on a phase finished in an earlier run (outside this run), b waits on a.
    const tasks = [task('a', ['x']), task('b', ['a']), task('c', ['x']), task('d')];
    const { s, c } = planned(tasks, 4);
    s.block(['a', 'c', 'zz'], 'phase 1 gates (test: exit 1)');
    const done = s.run();
    await tick();
    expect(c.started).toEqual(['d']);
    await c.finish('d');
    const summary = await done;
    expect(summary.status).toBe('failed');
    expect(summary.tasks.map((t) => [t.id, t.status, t.error])).toEqual([
      ['a', 'blocked', 'blocked by phase 1 gates (test: exit 1)'],
      ['b', 'blocked', 'blocked by phase 1 gates (test: exit 1)'],
      ['c', 'blocked', 'blocked by phase 1 gates (test: exit 1)'],
      ['d', 'done', undefined],
    ]);
  });

  it('counts a done task as failed once its work is taken off the branch, even while it is still finishing', async () => {
    const tasks = ['a', 'b'].map((id) => task(id));
    const events: RunEvent[] = [];
    const { s, c } = planned(tasks, 2, (e) => events.push(e));
    const run = s.run();
    await tick();
    await c.finish('a');
    s.revoke('a', 'its commit is no longer on main');
    // b merged, and was taken off before its run came back.
    s.revoke('b', 'b is off main too');
    await c.finish('b');
    const summary = await run;
    expect(summary.status).toBe('failed');
    expect(summary.counts).toMatchObject({ done: 0, failed: 2 });
    expect(summary.tasks.map((t) => [t.id, t.status, t.error])).toEqual([
      ['a', 'failed', 'its commit is no longer on main'],
      ['b', 'failed', 'b is off main too'],
    ]);
    expect(events.map((e) => `${e.type} ${'taskId' in e ? e.taskId : ''}`)).toEqual([
      'task-succeeded a',
      'task-failed a',
      'task-failed b',
    ]);
    // A task that is not done (or not known) is left alone.
    s.revoke('a', 'again');
    s.revoke('zz', 'unknown');
    expect(s.summary(0).tasks.map((t) => t.error)).toEqual(['its commit is no longer on main', 'b is off main too']);
  });
});
