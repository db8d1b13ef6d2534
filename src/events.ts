/**
 * What every stage reports, through one `Logger.log(event)`. The terminal view, plain CI lines and
 * JSON lines are implementations chosen once at start-up.
 */

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Tokens read from the provider's prompt cache, where the agent reports them (part of the input). */
  cacheReadTokens?: number;
  costUsd?: number;
  /** Model turns the agent took. */
  turns?: number;
}

/** Why a task did not finish; a union tagged by `reason`. */
export type TaskError =
  | { reason: 'agent-exit'; exitCode: number | null; signal: string | null; outputTail: string }
  | { reason: 'spawn-failed'; message: string }
  /** The agent ran and exited but reported failure itself (Claude Code `is_error`, Codex `turn.failed`). */
  | { reason: 'agent-error'; message: string; sessionId?: string }
  | { reason: 'timeout'; timeoutMs: number }
  | { reason: 'write-back-failed'; message: string }
  /** The task's worktree could not be made ready (created, copied into, set up). */
  | { reason: 'workspace-failed'; message: string }
  /** Its changes conflict with what landed meanwhile, and the agent's attempt to resolve it failed. */
  | { reason: 'merge-conflict'; files: string[]; branch: string }
  /** It could not be merged for another reason (the user's uncommitted changes, git itself). */
  | { reason: 'merge-failed'; message: string; branch?: string }
  | { reason: 'cancelled' };

export type RunStatus = 'done' | 'failed' | 'interrupted';

export interface TaskSummary {
  id: string;
  title: string;
  status: 'done' | 'failed' | 'blocked' | 'cancelled' | 'pending' | 'skipped';
  durationMs?: number;
  attempts: number;
  error?: string;
}

export interface RunSummary {
  status: RunStatus;
  durationMs: number;
  counts: { total: number; done: number; failed: number; blocked: number; cancelled: number; skipped: number };
  tasks: TaskSummary[];
}

export type RunEvent =
  | {
      type: 'run-started';
      runId: string;
      plan: string;
      format: string;
      /** Tasks to run in this run (selected and not done). */
      toRun: number;
      /** Selected tasks that were already done. */
      alreadyDone: number;
      concurrency: number;
      agent: string;
      resumed: boolean;
    }
  | { type: 'task-started'; taskId: string; title: string; attempt: number; agent: string }
  | { type: 'task-output'; taskId: string; stream: 'stdout' | 'stderr'; line: string }
  | {
      type: 'task-succeeded';
      taskId: string;
      title: string;
      durationMs: number;
      usage?: Usage;
      /** The integration branch's commit that holds the task. */
      commit?: string;
      sessionId?: string;
    }
  /** What a running agent is doing now (its latest text, tool use or error). */
  | { type: 'task-activity'; taskId: string; kind: 'text' | 'tool' | 'error'; text: string }
  | { type: 'task-failed'; taskId: string; title: string; durationMs: number; error: TaskError; message: string }
  | { type: 'task-blocked'; taskId: string; title: string; blockedBy: string }
  | { type: 'task-cancelled'; taskId: string; title: string }
  | { type: 'interrupt'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'run-finished'; runId: string; summary: RunSummary };

export interface Logger {
  log(event: RunEvent): void;
  /** Called once, after the last event; stops live rendering. */
  close(): void;
}

/** One line a person can read for each kind of task error. */
export function describeTaskError(e: TaskError): string {
  switch (e.reason) {
    case 'agent-exit':
      return e.signal ? `agent killed by ${e.signal}` : `agent exited with code ${e.exitCode}`;
    case 'spawn-failed':
      return `agent could not start: ${e.message}`;
    case 'agent-error':
      return `the agent reported an error: ${e.message}`;
    case 'timeout':
      return `timed out after ${formatDuration(e.timeoutMs)}`;
    case 'write-back-failed':
      return `could not record the task as done in the plan: ${e.message}`;
    case 'workspace-failed':
      return `could not prepare its worktree: ${e.message}`;
    case 'merge-conflict':
      return `merge conflict in ${e.files.join(', ')}; its work is kept on branch ${e.branch}`;
    case 'merge-failed':
      return `could not merge it: ${e.message}${e.branch ? `; its work is kept on branch ${e.branch}` : ''}`;
    case 'cancelled':
      return 'cancelled';
    default: {
      const never: never = e;
      return never;
    }
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rs = Math.round(s - m * 60);
  if (m < 60) return `${m}m${String(rs).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m - h * 60).padStart(2, '0')}m`;
}
