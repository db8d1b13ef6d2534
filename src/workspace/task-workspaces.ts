import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskError } from '../events.js';
import type { Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { runInProcessGroup } from '../util/process-group.js';
import { commitAll, taskCommitMessage } from './commit.js';
import { git, identityArgs } from './git.js';
import { type MergeFailure, MergeQueue } from './merge-queue.js';
import {
  createTaskWorkspace,
  deleteBranch,
  removeWorktree,
  type TaskWorkspace,
  worktreeGit,
  worktreesDir,
} from './worktrees.js';

/** A command run in each new worktree: a shell string (the user's own config) or an argv. */
export type SetupCommand = string | string[];

export interface TaskWorkspacesOptions {
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
}

export interface ConflictToResolve {
  files: string[];
  /** The integration head now merged into the worktree: the resolved work is judged against it. */
  head: string;
}

const MARKER = /^(?:<{7}|={7}|>{7})(?: |$)/m;

/**
 * Each task's worktree from start to end: created from the integration head, set up, committed
 * when the agent is done, merged by the queue, removed. A task that fails keeps its work on its
 * branch (committed, so removing the worktree loses nothing); a task that succeeds leaves nothing.
 */
export class TaskWorkspaces {
  private readonly queue: MergeQueue;
  readonly integrationBranch: string;

  constructor(private readonly o: TaskWorkspacesOptions) {
    this.integrationBranch = o.integrationBranch;
    this.queue = new MergeQueue(o.root, o.integrationBranch, join(worktreesDir(o.stateDir, o.runId), '_merge'));
  }

  async open(task: Task, signal: AbortSignal): Promise<Result<TaskWorkspace, string>> {
    const head = await this.queue.head();
    if (!head.ok) return head;
    const ws = await createTaskWorkspace(this.o.root, this.o.stateDir, this.o.runId, task.id, head.value, this.o.copy);
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
    const c = await commitAll(ws.dir, taskCommitMessage(task.id, `${task.title} (unfinished: ${why})`));
    await removeWorktree(this.o.root, ws.dir);
    const ahead = await git(this.o.root, ['rev-list', '--count', `${ws.base}..${ws.branch}`]);
    if (c.ok && ahead.ok && Number(ahead.value.trim()) === 0) {
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
  ): Promise<Result<{ commit: string }, TaskError>> {
    const message = taskCommitMessage(task.id, task.title, body);
    const committed = await commitAll(ws.dir, message);
    if (!committed.ok) return this.failMerge(ws, task, committed.error);
    const request = {
      taskId: task.id,
      branch: ws.branch,
      message,
      tick: (dir: string) => this.o.tick(dir, task.id),
    };
    let merged = await this.queue.enqueue(request);
    if (!merged.ok && merged.error.kind === 'conflict') {
      const resolved = await this.resolveConflict(ws, merged.error, resolve);
      if (!resolved.ok) {
        await this.abandon(ws, task, 'merge conflict');
        return err({ reason: 'merge-conflict', files: resolved.error, branch: ws.branch });
      }
      merged = await this.queue.enqueue(request);
    }
    if (!merged.ok) {
      if (merged.error.kind === 'conflict') {
        await this.abandon(ws, task, 'merge conflict');
        return err({ reason: 'merge-conflict', files: merged.error.files, branch: ws.branch });
      }
      return this.failMerge(ws, task, describeFailure(merged.error));
    }
    await removeWorktree(this.o.root, ws.dir);
    await deleteBranch(this.o.root, ws.branch);
    return ok({ commit: merged.value.commit });
  }

  /** The user's working tree as git sees it (changed and untracked paths), to notice writes into it. */
  async rootStatus(): Promise<Set<string>> {
    const r = await git(this.o.root, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
    return new Set(r.ok ? r.value.split('\0').filter(Boolean) : []);
  }

  /**
   * Did the agent stay in its worktree? Its branch must still be checked out there, and it must not
   * have written the files it works on into the user's working tree instead (an agent confused about
   * its directory). Only those files count: a person editing other files meanwhile is not the agent.
   */
  async checkStayed(ws: TaskWorkspace, task: Task, rootBefore: Set<string>): Promise<string | undefined> {
    const head = await git(ws.dir, ['symbolic-ref', '--quiet', 'HEAD']);
    const on = head.ok ? head.value.trim() : '(a detached HEAD)';
    if (on !== `refs/heads/${ws.branch}`) {
      return `the agent switched its worktree from ${ws.branch} to ${on.replace(/^refs\/heads\//, '')}; its work is not merged`;
    }
    const after = await this.rootStatus();
    const fresh = [...after].filter((l) => !rootBefore.has(l)).map((l) => l.slice(3));
    if (fresh.length === 0) return undefined;
    const own = await git(ws.dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
    const theirs = new Set([
      ...task.files,
      ...(own.ok
        ? own.value
            .split('\0')
            .filter(Boolean)
            .map((l) => l.slice(3))
        : []),
    ]);
    const outside = fresh.filter((f) => theirs.has(f));
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

  async close(): Promise<void> {
    await this.queue.close();
    await worktreeGit(this.o.root, ['worktree', 'prune']);
  }

  /** Merge the new integration head into the task's branch and let the agent resolve the markers. */
  private async resolveConflict(
    ws: TaskWorkspace,
    conflict: Extract<MergeFailure, { kind: 'conflict' }>,
    resolve: (c: ConflictToResolve) => Promise<boolean>,
  ): Promise<Result<void, string[]>> {
    const who = await identityArgs(ws.dir);
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
    const commit = add.ok ? await git(ws.dir, [...who, 'commit', '--no-edit', '--no-verify', '--quiet']) : add;
    return commit.ok ? ok(undefined) : err(files);
  }

  private async failMerge(ws: TaskWorkspace, task: Task, message: string): Promise<Result<never, TaskError>> {
    const branch = await this.abandon(ws, task, 'not merged');
    return err({ reason: 'merge-failed', message, ...(branch ? { branch } : {}) });
  }

  /** Remove a worktree that never got any work (setup failed). */
  private async discard(ws: TaskWorkspace): Promise<void> {
    await removeWorktree(this.o.root, ws.dir);
    await deleteBranch(this.o.root, ws.branch);
  }
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
