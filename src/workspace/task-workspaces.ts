import { readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TaskError } from '../events.js';
import type { Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { faultPoint } from '../util/fault.js';
import { runInProcessGroup } from '../util/process-group.js';
import { timed } from '../util/timings.js';
import { commitAll, taskCommitMessage, UNSIGNED } from './commit.js';
import { git, identityArgs, readRef } from './git.js';
import { type MergeFailure, MergeQueue, type MergeQueueOptions, type MergeRequest } from './merge-queue.js';
import type { StagedIndex } from './staged-index.js';
import { statusPaths } from './status-paths.js';
import {
  createTaskWorkspace,
  deleteBranch,
  deleteBranches,
  removeWorktree,
  type TaskWorkspace,
  worktreeGit,
  worktreesDir,
} from './worktrees.js';

/** A command run in each new worktree: a shell string (the user's own config) or an argv. */
export type SetupCommand = string | string[];

/**
 * With the merge queue's own options: what the user's moves of the integration branch did to the
 * landed tasks, and the plan files whose uncommitted changes merges wait out (see MergeQueue).
 */
export interface TaskWorkspacesOptions extends MergeQueueOptions {
  root: string;
  /** `.taskwave` */
  stateDir: string;
  runId: string;
  /** The branch the user was on: tasks start from its head and merge back into it. */
  integrationBranch: string;
  /** Run in each new worktree before the agent: install dependencies and the like. */
  setup?: readonly SetupCommand[];
  /** Untracked files (`.env`) copied from the root into each new worktree. */
  copy?: readonly string[];
  killGraceMs?: number;
  /** Writes task `taskId`'s tick (and the plan's own books) into the checkout at `dir`. */
  tick(dir: string, taskId: string): Promise<Result<void, string>>;
  /** The tick only edits files git already tracks (see MergeRequest). */
  tickEditsTrackedFiles?: boolean;
  /**
   * Applied to every commit message built here: the body quotes the agent's final message, which may
   * echo a secret from the environment, and a commit outlives every log.
   */
  redact?: (text: string) => string;
}

export interface ConflictToResolve {
  files: string[];
  /** The integration head now merged into the worktree: the resolved work is judged against it. */
  head: string;
}

const MARKER = /^(?:<{7}|={7}|>{7})(?: |$)/m;

/**
 * Each task's worktree from start to end: created from the integration head (or taken over from a
 * task that merged), set up, committed when the agent is done, merged by the queue, handed on or
 * removed. A task that fails keeps its work on its branch (committed, so removing the worktree loses
 * nothing); a task that succeeds leaves nothing once the run closes.
 */
export class TaskWorkspaces {
  private readonly queue: MergeQueue;
  private readonly mergedBranches: string[] = [];
  /** Worktrees of tasks that merged, clean at their commit: the next tasks take them over. */
  private readonly spares: string[] = [];
  readonly integrationBranch: string;

  constructor(private readonly o: TaskWorkspacesOptions) {
    this.integrationBranch = o.integrationBranch;
    this.queue = new MergeQueue(o.root, o.integrationBranch, join(worktreesDir(o.stateDir, o.runId), '_merge'), o);
  }

  async open(task: Task, signal: AbortSignal): Promise<Result<TaskWorkspace, string>> {
    const head = await this.queue.startingPoint();
    if (!head.ok) return head;
    const ws = await createTaskWorkspace(
      this.o.root,
      this.o.stateDir,
      this.o.runId,
      task.id,
      head.value,
      this.o.copy,
      this.spares.pop(),
    );
    if (!ws.ok) return ws;
    for (const cmd of this.o.setup ?? []) {
      const argv = typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd;
      const tail: string[] = [];
      const r = await runInProcessGroup(argv, {
        cwd: ws.value.dir,
        env: process.env as Record<string, string>,
        signal,
        killGraceMs: this.o.killGraceMs,
        onLine: (line) => {
          tail.push(line);
          if (tail.length > 10) tail.shift();
        },
      });
      if (r.kind !== 'exited' || r.exitCode !== 0) {
        await this.discard(ws.value);
        const how = r.kind === 'exited' ? `exit ${r.exitCode ?? r.signal}` : r.kind;
        const shown = typeof cmd === 'string' ? cmd : cmd.join(' ');
        return err(`setup command '${shown}' failed (${how})${tail.length ? `:\n${tail.join('\n')}` : ''}`);
      }
    }
    return ws;
  }

  /**
   * The agent failed: keep what it did on its branch (committed), remove the worktree. Returns the
   * branch when it holds work, else deletes it and returns undefined.
   */
  async abandon(ws: TaskWorkspace, task: Task, why: string): Promise<string | undefined> {
    await git(ws.dir, ['merge', '--abort']);
    const c = await commitAll(ws.dir, this.commitMessage(task, undefined, `unfinished: ${why}`), {
      identityOf: this.o.root,
      unsigned: true,
      ignoreErrors: true,
      ownCheckout: true,
    });
    if (c.ok && c.value) faultPoint('worktree:committed');
    await removeWorktree(this.o.root, ws.dir);
    const ahead = await git(this.o.root, ['rev-list', '--count', `${ws.base}..${ws.branch}`]);
    // Nothing on it: no work to keep, or none could be kept; either way the branch holds none.
    if (ahead.ok && Number(ahead.value.trim()) === 0) {
      await deleteBranch(this.o.root, ws.branch);
      return undefined;
    }
    return ws.branch;
  }

  /**
   * The agent finished: commit its changes, merge them (the tick in the same commit), remove the
   * worktree and its branch. A conflict gets one resolution attempt from `resolve` (the agent, in
   * this worktree, with the conflict merged in).
   */
  async finish(
    ws: TaskWorkspace,
    task: Task,
    /** The commit's body: the agent's summary and what verified the task. */
    body: string | undefined,
    resolve: (conflict: ConflictToResolve) => Promise<boolean>,
    /** The worktree as verified, staged (see `commitAll`). */
    staged?: StagedIndex,
  ): Promise<Result<{ commit: string }, TaskError>> {
    const message = this.commitMessage(task, body);
    // Read before the commit, from git's files: the agent made no commits of its own.
    const onBase = readRef(ws.dir, 'HEAD')?.commit === ws.base;
    const committed = await timed('commit in the worktree', () =>
      commitAll(ws.dir, message, {
        identityOf: this.o.root,
        unsigned: true,
        ownCheckout: true,
        ...(staged ? { staged } : {}),
      }),
    );
    if (committed.ok && committed.value) faultPoint('worktree:committed');
    if (!committed.ok) return this.failMerge(ws, task, committed.error);
    const request: MergeRequest = {
      taskId: task.id,
      branch: ws.branch,
      base: ws.base,
      oneCommitOnBase: onBase && committed.value,
      message,
      tick: (dir: string) => this.o.tick(dir, task.id),
      tickEditsTrackedFiles: this.o.tickEditsTrackedFiles,
    };
    let merged = await this.queue.enqueue(request);
    if (!merged.ok && merged.error.kind === 'conflict') {
      const resolved = await this.resolveConflict(ws, merged.error, resolve);
      if (!resolved.ok) {
        await this.abandon(ws, task, 'merge conflict');
        return err({ reason: 'merge-conflict', files: resolved.error, branch: ws.branch });
      }
      // The branch now holds that head: it is what the task builds on.
      request.base = merged.error.head;
      request.oneCommitOnBase = false;
      merged = await this.queue.enqueue(request);
    }
    if (!merged.ok) {
      if (merged.error.kind === 'conflict') {
        await this.abandon(ws, task, 'merge conflict');
        return err({ reason: 'merge-conflict', files: merged.error.files, branch: ws.branch });
      }
      return this.failMerge(ws, task, describeFailure(merged.error));
    }
    // Merged: its worktree waits for the next task, and its branch goes with the others when the run
    // closes (one git process for them all; a run that dies first leaves them to the next run's
    // clean-up, which removes merged branches and every worktree).
    this.spares.push(ws.dir);
    this.mergedBranches.push(ws.branch);
    return ok({ commit: merged.value.commit });
  }

  /**
   * Did the agent stay in its worktree? Its branch must still be checked out there, and it must not
   * have written the files it works on into the user's working tree instead (an agent confused about
   * its directory). Only those files count, and only writes since `since` (when the agent started): a
   * person editing other files meanwhile, or these files earlier, is not the agent. `changed`: what
   * the verification found the task changed in its worktree, when it read that (else git is asked).
   */
  async checkStayed(
    ws: TaskWorkspace,
    task: Task,
    since: number,
    changed?: readonly string[],
  ): Promise<string | undefined> {
    const on = await checkedOutBranch(ws.dir);
    if (on !== `refs/heads/${ws.branch}`) {
      const now = on?.replace(/^refs\/heads\//, '') ?? '(a detached HEAD)';
      return `the agent switched its worktree from ${ws.branch} to ${now}; its work is not merged`;
    }
    // File times are a little coarse: a write at the very start may carry a time just before it.
    const writtenSince = (f: string) => {
      try {
        return statSync(join(this.o.root, f)).mtimeMs >= since - 20;
      } catch {
        return false; // Absent or deleted: nothing of the agent's to find there.
      }
    };
    let outside: string[];
    if (changed) {
      // The task's own files first, by their times alone: most often none was written in the user's
      // tree since, and git need not read it at all. Those that were, git says whether they differ.
      const fresh = [...new Set([...task.files, ...changed])].filter(writtenSince);
      if (fresh.length === 0) return undefined;
      // (A long list is cheaper read whole than passed as arguments.)
      const dirty = new Set(await statusPaths(this.o.root, fresh.length <= 500 ? fresh : undefined));
      outside = fresh.filter((f) => dirty.has(f));
    } else {
      const fresh = (await statusPaths(this.o.root)).filter(writtenSince);
      if (fresh.length === 0) return undefined;
      const theirs = new Set([...task.files, ...(await statusPaths(ws.dir))]);
      outside = fresh.filter((f) => theirs.has(f));
    }
    if (outside.length === 0) return undefined;
    return `the agent wrote outside its worktree, into your working tree: ${outside.join(', ')} (left as they are)`;
  }

  /** A change of taskwave's own on the integration branch (the plan's books at the end of a run). */
  async commitBooks(
    message: string,
    write: (dir: string) => Promise<Result<void, string>>,
  ): Promise<Result<void, string>> {
    const r = await this.queue.enqueue({ taskId: 'books', message, tick: write });
    return r.ok ? ok(undefined) : err(describeFailure(r.error));
  }

  /** Run `fn` in a clean checkout of the integration head, between merges. */
  atHead<T>(fn: (dir: string) => Promise<T>): Promise<Result<T, string>> {
    return this.queue.atHead((dir) => fn(dir));
  }

  /** Merges no longer wait for the user's changes to the plan: the run is stopping. */
  stopWaiting(): void {
    this.queue.stopWaiting();
  }

  /** Whether what the run merged is still on the integration branch; what is not goes to `onLost`. */
  recheck(): Promise<void> {
    return this.queue.recheck();
  }

  async close(): Promise<void> {
    await this.queue.close();
    for (const dir of this.spares.splice(0)) await removeWorktree(this.o.root, dir);
    await deleteBranches(this.o.root, this.mergedBranches.splice(0));
    await worktreeGit(this.o.root, ['worktree', 'prune']);
    removeIfEmpty(worktreesDir(this.o.stateDir, this.o.runId));
  }

  /** Merge the new integration head into the task's branch and let the agent resolve the markers. */
  private async resolveConflict(
    ws: TaskWorkspace,
    conflict: Extract<MergeFailure, { kind: 'conflict' }>,
    resolve: (c: ConflictToResolve) => Promise<boolean>,
  ): Promise<Result<void, string[]>> {
    const who = await identityArgs(this.o.root);
    const m = await git(ws.dir, [...who, 'merge', '--no-edit', '--no-ff', '--quiet', conflict.head]);
    if (m.ok) return ok(undefined); // What landed meanwhile no longer conflicts.
    const unmerged = await git(ws.dir, ['diff', '--name-only', '--diff-filter=U']);
    const files = unmerged.ok ? unmerged.value.split('\n').filter(Boolean) : conflict.files;
    if (!(await resolve({ files, head: conflict.head }))) return err(files);
    const left = files.filter((f) => {
      try {
        return MARKER.test(readFileSync(join(ws.dir, f), 'utf8'));
      } catch {
        return false; // Deleted while resolving: git add records that.
      }
    });
    if (left.length > 0) return err(left);
    const add = await git(ws.dir, ['add', '-A']);
    const commit = add.ok
      ? await git(ws.dir, [...who, ...UNSIGNED, 'commit', '--no-edit', '--no-verify', '--quiet'])
      : add;
    return commit.ok ? ok(undefined) : err(files);
  }

  private async failMerge(ws: TaskWorkspace, task: Task, message: string): Promise<Result<never, TaskError>> {
    const branch = await this.abandon(ws, task, 'not merged');
    return err({ reason: 'merge-failed', message, ...(branch ? { branch } : {}) });
  }

  private commitMessage(task: Task, body?: string, note?: string): string {
    const message = taskCommitMessage(task.id, task.title, body, note);
    return this.o.redact ? this.o.redact(message) : message;
  }

  /** Remove a worktree that never got any work (setup failed). */
  private async discard(ws: TaskWorkspace): Promise<void> {
    await removeWorktree(this.o.root, ws.dir);
    await deleteBranch(this.o.root, ws.branch);
  }
}

/**
 * The run's folder of worktrees, and `.taskwave/worktrees/` above it, once nothing is left in them. A
 * folder still holding something (a worktree that could not be removed) stays: the next run's start
 * looks there for what to clear.
 */
function removeIfEmpty(runDir: string): void {
  for (const dir of [runDir, dirname(runDir)]) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty, or already gone
    }
  }
}

/** `refs/heads/…` checked out at `dir`, read from its HEAD file; undefined when detached. */
async function checkedOutBranch(dir: string): Promise<string | undefined> {
  const known = readRef(dir, 'HEAD');
  if (known) return known.branch;
  const head = await git(dir, ['symbolic-ref', '--quiet', 'HEAD']);
  return head.ok ? head.value.trim() : undefined;
}

function describeFailure(f: MergeFailure): string {
  switch (f.kind) {
    case 'conflict':
      return `conflict in ${f.files.join(', ')}`;
    case 'local-changes':
    case 'error':
      return f.message;
    default: {
      const never: never = f;
      return never;
    }
  }
}
