import type { RunEvent, RunStatus, RunSummary, TaskError, TaskSummary } from '../events.js';
import { describeTaskError } from '../events.js';
import { SHARED_MIN } from '../graph/dag.js';
import type { Dependency, Task } from '../plan/types.js';
import type { Result } from '../result.js';
import { Heap } from '../util/heap.js';
import { WALL_CLOCK_STEP_MS } from '../util/sleep.js';

/** Decides whether a task may start now given what is running (file exclusion). */
export interface StartGuard {
  canStart(task: Task): boolean;
  acquire(task: Task): void;
  release(task: Task): void;
  /**
   * While it holds tasks back until a time rather than until a task ends (an agent's usage limit),
   * the earliest such time (epoch ms): with nothing running, the run waits for it instead of ending
   * with those tasks not started.
   */
  heldUntil?(): number | undefined;
}

export interface SchedulerInput {
  /** Tasks to run, in plan order. Dependencies on tasks not in this list count as satisfied. */
  tasks: Task[];
  concurrency: number;
  /** Negative when a should start before b. */
  compare(a: string, b: string): number;
  guard?: StartGuard;
  /**
   * Runs one task to the end: agent, then recording it as done. `slot`: its place among the
   * `concurrency` running, which it may lend while it waits for something that is not work.
   */
  execute(task: Task, signal: AbortSignal, slot: TaskSlot): Promise<Result<TaskOutcome, TaskError>>;
  /** Attempts made on a task so far, earlier runs included, for the summary. */
  attempts?: (id: string) => number;
  /** Tasks that were done before this run and were selected: reported as skipped. */
  skipped?: Task[];
  /**
   * Runs after a task is done and before its dependents may start (the gates of a phase it
   * completes). A reason returned blocks everything downstream of the task.
   */
  afterDone?(task: Task): Promise<string | undefined>;
  /** Stop everything at the first failure (`--fail-fast`). */
  failFast?: boolean;
  log(event: RunEvent): void;
}

/** What a finished task leaves for the books. */
export interface TaskOutcome {
  commit?: string;
  sessionId?: string;
  /** In place: done and ticked, but git could not commit it, for this reason (its changes are in the tree). */
  uncommitted?: string;
}

/**
 * A running task's place among the `concurrency` at once. A task that waits hours for its agent's
 * usage limit to reset lends it, so another agent's tasks run meanwhile; it takes one back before it
 * works again, ahead of tasks not started yet.
 */
export interface TaskSlot {
  lend(): void;
  /** Resolves once the task holds a slot again (at once when the run is being stopped). */
  reclaim(): Promise<void>;
}

type State = 'waiting' | 'ready' | 'running' | 'done' | 'failed' | 'blocked' | 'cancelled';

/**
 * The scheduler loop. A task starts as soon as its dependencies are done and a slot is free; among
 * ready tasks the comparator (longest remaining path, then plan order) picks. No waves: a finished
 * task releases its dependents at once.
 */
export class Scheduler {
  private readonly byId = new Map<string, Task>();
  private readonly state = new Map<string, State>();
  private readonly waitingOn = new Map<string, number>();
  private readonly dependents = new Map<string, string[]>();
  private readonly ready: Heap<string>;
  private readonly abort = new AbortController();
  private readonly started = new Map<string, number>();
  private readonly durations = new Map<string, number>();
  private readonly errors = new Map<string, string>();
  /**
   * Failed tasks whose failure is an outcome of its own in the books: a conflict with what landed
   * meanwhile, or nothing changed (`unverified`). The summary says the same.
   */
  private readonly outcomes = new Map<string, 'conflict' | 'unverified'>();
  /** Tasks revoked while still running: why. */
  private readonly revoked = new Map<string, string>();
  /** Tasks running, lent slots aside. */
  private running = 0;
  /** Running tasks that lent their slot, and those of them waiting to get one back, first come first. */
  private readonly lent = new Set<string>();
  private readonly reclaims: { id: string; resolve: () => void }[] = [];
  private stopping = false;
  /** Starting nothing more (a budget, --fail-fast): the run ends as failed, not interrupted. */
  private halted: string | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly input: SchedulerInput) {
    this.ready = new Heap<string>((a, b) => input.compare(a, b) < 0);
    for (const t of input.tasks) this.byId.set(t.id, t);
    // Tasks that share one long list of dependencies (a phase of [P] tasks after another) share its
    // reading and, for each of those prerequisites, one list of dependents: O(V + lists), not O(E).
    const shared = new Map<readonly Dependency[], { ids: string[]; members: string[] }>();
    for (const t of input.tasks) {
      const group = t.deps.length >= SHARED_MIN ? shared.get(t.deps) : undefined;
      const ids = group?.ids ?? this.prerequisitesOf(t);
      if (group) group.members.push(t.id);
      else if (t.deps.length >= SHARED_MIN) shared.set(t.deps, { ids, members: [t.id] });
      else for (const d of ids) this.dependentsOf(d).push(t.id);
      this.waitingOn.set(t.id, ids.length);
      this.state.set(t.id, ids.length === 0 ? 'ready' : 'waiting');
      if (ids.length === 0) this.ready.push(t.id);
    }
    for (const { ids, members } of shared.values()) {
      for (const d of ids) {
        const list = this.dependents.get(d);
        // The order of dependents does not matter: the ready heap orders them.
        if (list === undefined) this.dependents.set(d, members);
        else this.dependents.set(d, [...list, ...members]);
      }
    }
  }

  /** The distinct dependencies of `t` that this run has, in order. */
  private prerequisitesOf(t: Task): string[] {
    const seen = new Set<string>();
    const ids: string[] = [];
    for (const d of t.deps) {
      if (!this.byId.has(d.id) || seen.has(d.id) || d.id === t.id) continue;
      seen.add(d.id);
      ids.push(d.id);
    }
    return ids;
  }

  /** The list of `id`'s dependents, made when first needed. */
  private dependentsOf(id: string): string[] {
    let list = this.dependents.get(id);
    if (!list) {
      list = [];
      this.dependents.set(id, list);
    }
    return list;
  }

  /** Stop starting tasks and stop the running ones; `run()` then resolves as interrupted. */
  cancel(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    this.giveBackSlots();
    this.wake?.();
  }

  /** Look again at what may start: a guard's condition changed with no task finishing (a pause ended). */
  poke(): void {
    this.wake?.();
  }

  get cancelled(): boolean {
    return this.stopping;
  }

  /**
   * Start no more tasks, and let the running ones finish (or, with `stopRunning`, stop them too).
   * The tasks left are reported as not run; the run ends as failed with this reason.
   */
  halt(reason: string, stopRunning = false): void {
    if (this.halted || this.stopping) return;
    this.halted = reason;
    this.input.log({ type: 'run-stopping', reason });
    if (stopRunning) {
      this.abort.abort();
      this.giveBackSlots();
    }
    this.wake?.();
  }

  async run(): Promise<RunSummary> {
    const t0 = Date.now();
    const inflight = new Set<Promise<void>>();
    for (;;) {
      // Tasks that lent their slot get one back before anything new starts (also once halted: they run).
      this.giveBackSlots();
      const held = !this.stopping && !this.halted ? this.startWhatCan(inflight) : 0;
      // Nothing running, and tasks held back until a time (an agent's usage limit an earlier run met).
      const until = inflight.size === 0 && held > 0 ? this.input.guard?.heldUntil?.() : undefined;
      if (inflight.size === 0 && until === undefined) break;
      // Woken by a task finishing, by cancel() or a guard's poke, or (when held) at the time; several
      // finishing at once are handled in one pass. The clock is read at least once a minute: timers
      // stand still while the machine sleeps.
      await new Promise<void>((resolve) => {
        const timer =
          until !== undefined
            ? setTimeout(resolve, Math.min(WALL_CLOCK_STEP_MS, Math.max(0, until - Date.now())))
            : undefined;
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.summary(Date.now() - t0);
  }

  /** Starts what may start; how many ready tasks a guard held back. */
  private startWhatCan(inflight: Set<Promise<void>>): number {
    const deferred: string[] = [];
    while (this.running < this.input.concurrency && this.ready.size > 0) {
      const id = this.ready.pop() as string;
      // Blocked while it waited in the heap (`block`).
      if (this.state.get(id) !== 'ready') continue;
      const task = this.byId.get(id) as Task;
      if (this.input.guard && !this.input.guard.canStart(task)) {
        deferred.push(id);
        continue;
      }
      this.input.guard?.acquire(task);
      this.state.set(id, 'running');
      this.running++;
      this.started.set(id, Date.now());
      const p: Promise<void> = this.input
        .execute(task, this.abort.signal, this.slotOf(id))
        .catch(
          (e: unknown): Result<TaskOutcome, TaskError> => ({
            ok: false,
            error: { reason: 'spawn-failed', message: e instanceof Error ? e.message : String(e) },
          }),
        )
        .then(async (r) => {
          const done = this.finish(task, r);
          // Dependents wait for the hook (a phase's gates) before they may start.
          const block = done && this.input.afterDone ? await this.input.afterDone(task) : undefined;
          if (done) {
            if (block) this.blockDependents(task.id, block);
            else this.release(task.id);
          }
          inflight.delete(p);
          this.wake?.();
        });
      inflight.add(p);
    }
    for (const id of deferred) this.ready.push(id);
    return deferred.length;
  }

  private slotOf(id: string): TaskSlot {
    return {
      lend: () => {
        if (this.lent.has(id) || this.state.get(id) !== 'running') return;
        this.lent.add(id);
        this.running--;
        this.wake?.();
      },
      reclaim: () =>
        this.lent.has(id) && !this.reclaims.some((r) => r.id === id)
          ? new Promise<void>((resolve) => {
              this.reclaims.push({ id, resolve });
              this.giveBackSlots();
            })
          : Promise.resolve(),
    };
  }

  /** Slots to the tasks that want theirs back, as they come free (all at once when stopping: they end). */
  private giveBackSlots(): void {
    while (this.reclaims.length > 0 && (this.running < this.input.concurrency || this.abort.signal.aborted)) {
      const r = this.reclaims.shift() as { id: string; resolve: () => void };
      this.lent.delete(r.id);
      this.running++;
      r.resolve();
    }
  }

  /**
   * Before `run`: these tasks and everything downstream of them cannot run, for `why` (the gates of a
   * phase they wait for, finished in an earlier run, fail).
   */
  block(ids: readonly string[], why: string): void {
    this.blockFrom(ids, why);
  }

  /**
   * A task that was done is not any more: its work is gone from the integration branch (the user
   * moved it back during the run). It counts as failed, for `message`; what already started on it
   * is left to its own verification and merge.
   */
  revoke(id: string, message: string): void {
    const task = this.byId.get(id);
    if (!task) return;
    // Merged, and not yet back from its run: it fails when it is.
    if (this.state.get(id) === 'running') this.revoked.set(id, message);
    if (this.state.get(id) !== 'done') return;
    this.recordFailure(task, this.durations.get(id) ?? 0, { reason: 'taken-off', message });
  }

  /** A task's state, error and event once it failed. */
  private recordFailure(task: Task, durationMs: number, error: TaskError): void {
    const message = describeTaskError(error);
    this.state.set(task.id, 'failed');
    if (error.reason === 'merge-conflict') this.outcomes.set(task.id, 'conflict');
    else if (error.reason === 'unverified') this.outcomes.set(task.id, 'unverified');
    else this.outcomes.delete(task.id);
    this.errors.set(task.id, message);
    this.input.log({ type: 'task-failed', taskId: task.id, title: task.title, durationMs, error, message });
  }

  /** Records how a task ended; true when it is done (its dependents are then released by the caller). */
  private finish(task: Task, r: Result<TaskOutcome, TaskError>): boolean {
    // A task that ends while its slot is lent (stopped while it waited) has none to give back.
    if (!this.lent.delete(task.id)) this.running--;
    this.input.guard?.release(task);
    const durationMs = Date.now() - (this.started.get(task.id) ?? Date.now());
    this.durations.set(task.id, durationMs);
    const revoked = this.revoked.get(task.id);
    if (r.ok && revoked !== undefined) r = { ok: false, error: { reason: 'taken-off', message: revoked } };
    if (r.ok) {
      this.state.set(task.id, 'done');
      this.input.log({ type: 'task-succeeded', taskId: task.id, title: task.title, durationMs, ...r.value });
      return true;
    }
    if (r.error.reason === 'cancelled') {
      this.state.set(task.id, 'cancelled');
      this.input.log({ type: 'task-cancelled', taskId: task.id, title: task.title });
      return false;
    }
    this.recordFailure(task, durationMs, r.error);
    this.blockDependents(task.id);
    if (this.input.failFast) this.halt(`--fail-fast: ${task.id} failed`, true);
    return false;
  }

  private release(id: string): void {
    for (const dep of this.dependents.get(id) ?? []) {
      const left = (this.waitingOn.get(dep) ?? 1) - 1;
      this.waitingOn.set(dep, left);
      if (left === 0 && this.state.get(dep) === 'waiting') {
        this.state.set(dep, 'ready');
        this.ready.push(dep);
      }
    }
  }

  /** Everything downstream of a failed task (or of a phase whose gates failed) can no longer run. */
  private blockDependents(failedId: string, why?: string): void {
    this.blockFrom(this.dependents.get(failedId) ?? [], why ?? failedId);
  }

  /** `ids` (those not started yet) and everything downstream of them are blocked, by `by`. */
  private blockFrom(ids: readonly string[], by: string): void {
    const stack = [...ids].reverse();
    while (stack.length > 0) {
      const id = stack.pop() as string;
      const task = this.byId.get(id);
      const s = this.state.get(id);
      if (!task || (s !== 'waiting' && s !== 'ready')) continue;
      this.state.set(id, 'blocked');
      this.errors.set(id, `blocked by ${by}`);
      this.input.log({ type: 'task-blocked', taskId: id, title: task.title, blockedBy: by });
      stack.push(...(this.dependents.get(id) ?? []));
    }
  }

  /** The run's outcome so far (`run()` returns it at the end; a `revoke` after that changes it). */
  summary(durationMs: number): RunSummary {
    const tasks: TaskSummary[] = [];
    const counts = { total: 0, done: 0, failed: 0, conflict: 0, unverified: 0, blocked: 0, cancelled: 0, skipped: 0 };
    for (const t of this.input.skipped ?? []) {
      counts.total++;
      counts.skipped++;
      tasks.push({ id: t.id, title: t.title, status: 'skipped', attempts: this.input.attempts?.(t.id) ?? 0 });
    }
    for (const t of this.input.tasks) {
      counts.total++;
      const s = this.state.get(t.id) as State;
      const status: TaskSummary['status'] =
        s === 'done'
          ? 'done'
          : s === 'failed'
            ? (this.outcomes.get(t.id) ?? 'failed')
            : s === 'blocked'
              ? 'blocked'
              : s === 'cancelled'
                ? 'cancelled'
                : 'pending';
      if (status === 'done') counts.done++;
      else if (status === 'failed') counts.failed++;
      else if (status === 'conflict') counts.conflict++;
      else if (status === 'unverified') counts.unverified++;
      else if (status === 'blocked') counts.blocked++;
      else counts.cancelled++;
      tasks.push({
        id: t.id,
        title: t.title,
        status,
        durationMs: this.durations.get(t.id),
        attempts: this.input.attempts?.(t.id) ?? 0,
        error: this.errors.get(t.id),
      });
    }
    const status: RunStatus = this.stopping
      ? 'interrupted'
      : // A halt (a budget reached) that left nothing unrun, as on the last task, stopped nothing.
        counts.failed > 0 ||
          counts.conflict > 0 ||
          counts.unverified > 0 ||
          counts.blocked > 0 ||
          (this.halted && counts.cancelled > 0)
        ? 'failed'
        : 'done';
    return { status, durationMs, counts, tasks, ...(this.halted && !this.stopping ? { stoppedBy: this.halted } : {}) };
  }
}
