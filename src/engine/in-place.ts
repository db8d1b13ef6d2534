import type { RunEvent, TaskError } from '../events.js';
import type { Verifier } from '../gates/verifier.js';
import type { Plan, PlanFormat, Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import type { StagedIndex } from '../workspace/staged-index.js';

/** What the runner knows of a run whose tasks work in the user's checkout (`--in-place`, or no git). */
export interface InPlaceDeps {
  plan: Plan;
  format: PlanFormat;
  root: string;
  /** The run: a tick is written as its (a platform-mode story goes into this run's log). */
  runId: string;
  /** Gates and built-in checks; absent: a task is done when its agent finishes. */
  verifier?: Verifier;
  /**
   * In place: commit the task's changes and tick once verified (undefined: commit nothing). `staged`:
   * the tree as verified, staged (see `commitAll`).
   */
  commitInPlace?(
    task: Task,
    summary: string | undefined,
    staged?: StagedIndex,
  ): Promise<Result<string | undefined, string>>;
  /**
   * In place: the task the books say started last and what its changes were read against, when it
   * is not done (and git still has that base): where no task is committed, its next attempt reads
   * against the same base.
   */
  lastInPlaceStart?: { taskId: string; base: string };
  /**
   * In place, what an unfinished earlier attempt of a task left in the tree (the books'
   * `inPlaceLeft`): where no task is committed, its next attempt after other tasks ran counts it as
   * its own change.
   */
  inPlaceLeftOf?(id: string): { base: string; tree: string } | undefined;
  /**
   * In place, what a failed task left in the working tree (the plan's own files aside): while there is
   * any, no later task is committed, since its commit would sweep that in.
   */
  inPlaceLeftovers?(): Promise<string[]>;
  /**
   * In place in git: whether the checkout is still on the branch the run started on, with every
   * commit a task of this run made on it (`landed`). An agent may switch branches or `git reset`
   * there, where a worktree's would be caught; what is wrong, and the tasks whose commits are gone.
   */
  checkoutMoved?(landed: readonly LandedInPlace[]): Promise<CheckoutMoved | undefined>;
  /**
   * Of `ids`, tasks this run ticked in place, those the plan as it is now holds and does not call
   * done: their ticks were undone in the working tree (an agent's `git stash`, `git checkout .`).
   */
  untickedInPlace?(ids: readonly string[]): Promise<string[]>;
  /** A task that was done is not: its commit is gone from the branch (see `Scheduler.revoke`). */
  revoke?(taskId: string, message: string): void;
  /** Start no more tasks (see `Scheduler.halt`). */
  halt?(reason: string): void;
  log(e: RunEvent): void;
}

/** A verified task ticked in place: its commit, or why git could not commit it. */
export interface Ticked {
  commit?: string;
  uncommitted?: string;
}

/** A task of this run committed in place, and its commit. */
export interface LandedInPlace {
  taskId: string;
  commit: string;
}

/** What an agent did to the checkout that no task may: the refusal, and the tasks it took off. */
export interface CheckoutMoved {
  message: string;
  lost: LandedInPlace[];
}

/**
 * The tasks of a run in the user's checkout, one after the other: what each one's changes are read
 * against, its tick and commit (one write-back at a time, so two tasks finishing together never lose
 * each other's tick), and when the commits of each task stop.
 */
export class InPlaceWork {
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** The commit the last verified task made: the next task starts there (no need to ask git). */
  private head: string | undefined;
  /** The last task to start and its base (at first, the books' word for the last run). */
  private lastStart: { taskId: string; base: string } | undefined;
  /** Committing each task stopped: a task left its changes in the tree. */
  private commitsStopped = false;
  /** The commits this run's tasks made, oldest first. */
  private readonly landed: LandedInPlace[] = [];
  /** The tasks this run ticked, committed or not. */
  private readonly ticked = new Set<string>();

  constructor(private readonly deps: InPlaceDeps) {
    this.lastStart = deps.lastInPlaceStart;
  }

  /** A task starts: what its changes are read against (taken before it is on the record as started: the books keep it). */
  async start(task: Task): Promise<string | undefined> {
    const base = await this.base(task);
    this.lastStart = base ? { taskId: task.id, base } : undefined;
    return base;
  }

  /** A task failed: if it left changes in the tree, no later task is committed. */
  async afterFailure(task: Task, failure: TaskError): Promise<void> {
    const { deps } = this;
    if (!this.commitsEachTask() || !deps.inPlaceLeftovers || failure.reason === 'cancelled') return;
    const left = await deps.inPlaceLeftovers();
    if (left.length === 0) return;
    this.commitsStopped = true;
    const files = `${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''}`;
    deps.log({
      type: 'warning',
      message: `${task.id} failed and left changes in the working tree (${files}): no later task is committed this run, as its commit would sweep those in; each is still checked against the tree as its agent found it`,
    });
  }

  /**
   * After a task's agent: if it switched the checkout to another branch or moved the branch back past
   * what this run committed, why the task is refused. The tasks whose commits it took off are done no
   * more, and the run starts nothing more: a later task would work, and be committed, on a branch
   * that is not the run's, on top of whatever the agent left.
   */
  async strayed(task: Task): Promise<TaskError | undefined> {
    const moved = await this.deps.checkoutMoved?.(this.landed);
    if (!moved) return this.untickedBy(task);
    this.commitsStopped = true;
    this.deps.halt?.(`${moved.message}, found after ${task.id}'s agent: run again once it is put right`);
    for (const lost of moved.lost) {
      this.landed.splice(this.landed.indexOf(lost), 1);
      this.deps.revoke?.(
        lost.taskId,
        `its commit ${lost.commit.slice(0, 12)} is no longer on the branch (found after ${task.id}'s agent): the branch was moved back, and the task's tick went with it; it runs again next time`,
      );
    }
    return { reason: 'left-worktree', message: moved.message };
  }

  /**
   * Ticks of earlier tasks that `task`'s agent undid, uncommitted, with their work (a `git stash`, a
   * `git checkout .`): those tasks are done no more, the task is refused and the run stops, as for a
   * branch moved back.
   */
  private async untickedBy(task: Task): Promise<TaskError | undefined> {
    const { deps } = this;
    const earlier = [...this.ticked];
    const undone = earlier.length > 0 && deps.untickedInPlace ? await deps.untickedInPlace(earlier) : [];
    if (undone.length === 0) return undefined;
    this.commitsStopped = true;
    const message = `the ticks of ${undone.join(', ')} were undone in the working tree, with whatever else of theirs went with them (a git stash, a checkout, a reset)`;
    deps.halt?.(`${message}, found after ${task.id}'s agent: run again once it is put right`);
    for (const id of undone) {
      this.ticked.delete(id);
      deps.revoke?.(
        id,
        `its tick was undone in the working tree (found after ${task.id}'s agent); it runs again next time`,
      );
    }
    return { reason: 'left-worktree', message };
  }

  /**
   * Tick a verified task in the plan, and commit it (`staged`: the tree as verified): the commit, if
   * one was made, or why git could not make it.
   */
  tick(task: Task, summary: string | undefined, staged: StagedIndex | undefined): Promise<Result<Ticked, TaskError>> {
    const { deps } = this;
    const next = this.writeQueue.then(async (): Promise<Result<Ticked, TaskError>> => {
      const r = await deps.format.writeStatus(deps.plan, task.id, 'done', deps.runId);
      if (!r.ok) return err({ reason: 'write-back-failed', message: r.error.message });
      this.ticked.add(task.id);
      if (!deps.commitInPlace || !this.commitsEachTask()) return ok({});
      const c = await deps.commitInPlace(task, summary, staged);
      if (c.ok) {
        if (c.value) {
          this.head = c.value;
          this.landed.push({ taskId: task.id, commit: c.value });
        }
        return ok(c.value ? { commit: c.value } : {});
      }
      // Verified and ticked: the task is done, as with --no-commit (failed, the plan would say done
      // and the books not). Its changes stay in the tree (not staged: the commit put the index back),
      // where the next commit would sweep them in.
      this.commitsStopped = true;
      deps.log({
        type: 'warning',
        message: `${task.id} is done, but git could not commit it (${firstLine(c.error)}): its changes are left in the working tree, not staged; no later task is committed this run, as its commit would sweep ${task.id}'s changes in; each is still checked against the tree as its agent found it`,
      });
      return ok({ uncommitted: c.error });
    });
    this.writeQueue = next.catch(() => undefined);
    return next;
  }

  private commitsEachTask(): boolean {
    return this.deps.commitInPlace !== undefined && !this.commitsStopped;
  }

  /**
   * What an in-place task's changes are read against. Where each verified task is committed, the
   * last commit. Where none is (`--no-commit`, or the user's own changes in the tree), the last
   * commit holds neither the earlier tasks' work nor the user's changes: the tree as it is just
   * before the agent starts (two git processes) — unless the task was the last to start and is not
   * done (killed mid-attempt, or failed): then what its earlier attempt started from, so that what
   * that attempt left in the tree counts as the task's, as it would against a commit. An unfinished
   * attempt with other tasks after it: the tree with what it left taken out, for the same reason.
   */
  private async base(task: Task): Promise<string | undefined> {
    const { deps } = this;
    const v = deps.verifier;
    if (!v) return undefined;
    if (this.commitsEachTask()) return this.head ?? (await v.baseline(deps.root));
    if (this.lastStart?.taskId === task.id) return this.lastStart.base;
    // Where git could not write the tree: the last commit, if any, as before.
    return (await v.snapshot(deps.root, deps.inPlaceLeftOf?.(task.id))) ?? (await v.baseline(deps.root));
  }
}

/** The first line of a git error that quotes the command and its output. */
function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
