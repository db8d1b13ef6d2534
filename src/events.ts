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

import type { GateResult, GateScope } from './gates/types.js';
import type { SourceSpan } from './plan/diagnostic.js';
import { readableError } from './util/readable-error.js';

/** Why a task did not finish; a union tagged by `reason`. */
export type TaskError =
  /** `said`: the line of its error output that says why, where one does ("error: unknown option …"). */
  | { reason: 'agent-exit'; exitCode: number | null; signal: string | null; outputTail: string; said?: string }
  | { reason: 'spawn-failed'; message: string }
  /**
   * The agent ran and exited but reported failure itself (Claude Code `is_error`, Codex `turn.failed`).
   * `usage`: what the run cost before it failed, where the agent said (a failed run is paid for too).
   */
  | { reason: 'agent-error'; message: string; sessionId?: string; usage?: Usage }
  /** `retrying`: the API error the agent was retrying when it was stopped, where it said. */
  | { reason: 'timeout'; timeoutMs: number; retrying?: string }
  | { reason: 'write-back-failed'; message: string }
  /** A gate still failed after the repair attempts. */
  | { reason: 'gate-failed'; gate: string; message: string; repairs: number }
  /** The agent changed nothing (and the task is not a check-only task). */
  | { reason: 'unverified'; message: string }
  /** The agent left its worktree: wrote into the user's working tree, or switched the worktree's branch. */
  | { reason: 'left-worktree'; message: string }
  /** The task's diff holds something that looks like a secret; it is not merged. */
  | { reason: 'secret-in-diff'; findings: string[] }
  /** The task's worktree could not be made ready (created, copied into, set up). */
  | { reason: 'workspace-failed'; message: string }
  /** Its changes conflict with what landed meanwhile, and the agent's attempt to resolve it failed. */
  | { reason: 'merge-conflict'; files: string[]; branch: string }
  /** It could not be merged for another reason (the user's uncommitted changes, git itself). */
  | { reason: 'merge-failed'; message: string; branch?: string }
  /** It was merged, and the user moved the branch back (or rewrote it) during the run: it is off it. */
  | { reason: 'taken-off'; message: string }
  | { reason: 'cancelled' };

export type RunStatus = 'done' | 'failed' | 'interrupted';

export interface TaskSummary {
  id: string;
  title: string;
  /**
   * `conflict`: its changes conflict with what landed meanwhile; `unverified`: its agent said it
   * finished and changed nothing (execution.json says the same of both).
   */
  status: 'done' | 'failed' | 'conflict' | 'unverified' | 'blocked' | 'cancelled' | 'pending' | 'skipped';
  durationMs?: number;
  attempts: number;
  error?: string;
}

export interface RunSummary {
  status: RunStatus;
  durationMs: number;
  /** `cancelled` counts the tasks that did not finish: stopped while running, or never started. */
  counts: {
    total: number;
    done: number;
    failed: number;
    conflict: number;
    unverified: number;
    blocked: number;
    cancelled: number;
    skipped: number;
  };
  tasks: TaskSummary[];
  /** Why the run stopped starting tasks before the end (a budget reached, --fail-fast), if it did. */
  stoppedBy?: string;
  /**
   * Gates that failed with no task failing for it: a phase's (its last phase's, with no task after
   * it to block) or the final ones. `scope`: `final`, or the phase's id.
   */
  gatesFailed?: { scope: string; detail: string };
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
  | {
      type: 'task-started';
      taskId: string;
      title: string;
      attempt: number;
      agent: string;
      /**
       * In place: what the task's changes are read against (the commit it starts from, or with no
       * commit per task the working tree as it starts, as a git tree). The books keep the last one, so
       * that the task's next attempt after an interruption reads against it too.
       */
      base?: string;
    }
  | { type: 'task-output'; taskId: string; stream: 'stdout' | 'stderr'; line: string }
  | {
      type: 'task-succeeded';
      taskId: string;
      title: string;
      durationMs: number;

      /** The integration branch's commit that holds the task. */
      commit?: string;
      sessionId?: string;
      /** In place: git could not commit the task, for this reason; its changes are in the working tree. */
      uncommitted?: string;
    }
  /** One run of an agent on a task ended (a task may take several: repairs, a conflict); usage is this run's own. */
  | {
      type: 'agent-finished';
      taskId: string;
      attempt: number;
      ok: boolean;
      usage?: Usage;
      sessionId?: string;
      /** The agent's final message: what it did and the decisions it reports. */
      summary?: string;
    }
  /** A gate or built-in check finished. */
  | { type: 'gate-finished'; scope: GateScope; result: GateResult; attempt?: number }
  /** A task gets another attempt: a gate failed (`repair`) or the agent failed for a passing reason (`retry`). */
  | { type: 'task-retry'; taskId: string; kind: 'repair' | 'retry'; attempt: number; reason: string; delayMs?: number }
  /**
   * An agent run ended on the agent's usage limit (its account's, not the task's fault). `until`: when
   * the task runs its agent again (nothing else starts on that agent before); absent, the run stops.
   * Without `taskId`: a limit an earlier run met that has not reset yet, as this run starts; nothing
   * starts on the agent until `until`.
   */
  | {
      type: 'usage-limit';
      taskId?: string;
      agent: string;
      message: string;
      /** When the limit resets (epoch ms), where the agent said. */
      resetsAt?: number;
      until?: number;
    }
  /**
   * An agent run ended because the agent could not authenticate (a wrong or expired key, a CLI
   * logged out): not the task's failure. Nothing more starts on the agent, and the run stops.
   */
  | { type: 'agent-auth-failed'; taskId: string; agent: string; message: string }
  /** The run stops starting tasks: a budget was reached, or --fail-fast saw a failure. */
  | { type: 'run-stopping'; reason: string }
  /** What a running agent is doing now (its latest text, tool use or error). */
  | { type: 'task-activity'; taskId: string; kind: 'text' | 'tool' | 'error'; text: string }
  | { type: 'task-failed'; taskId: string; title: string; durationMs: number; error: TaskError; message: string }
  | { type: 'task-blocked'; taskId: string; title: string; blockedBy: string }
  /** A task that landed is on the integration branch under another commit: the user rebased the branch. */
  | { type: 'task-rebased'; taskId: string; commit: string; was: string }
  | { type: 'task-cancelled'; taskId: string; title: string }
  | { type: 'interrupt'; message: string }
  /** Something worth knowing that does not stop the run; `location` where it is about a place in the user's files. */
  | { type: 'warning'; message: string; location?: SourceSpan }
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
      return `${e.signal ? `agent killed by ${e.signal}` : `agent exited with code ${e.exitCode}`}${e.said ? `: ${e.said}` : ''}`;
    case 'spawn-failed':
      return `agent could not start: ${e.message}`;
    case 'agent-error':
      return `the agent reported an error: ${readableError(e.message)}`;
    case 'timeout':
      return `timed out after ${formatDuration(e.timeoutMs)}${e.retrying ? ` while the agent was retrying: ${e.retrying}` : ''}`;
    case 'write-back-failed':
      return `could not record the task as done in the plan: ${e.message}`;
    case 'gate-failed':
      return `gate ${e.gate} failed${e.repairs > 0 ? ` after ${e.repairs} repair attempt(s)` : ''}: ${e.message}`;
    case 'unverified':
      return `unverified: ${e.message}`;
    case 'left-worktree':
      return `refused: ${e.message}`;
    case 'secret-in-diff':
      return `not merged: the diff looks like it holds a secret (${e.findings.join('; ')})`;
    case 'workspace-failed':
      return `could not prepare its worktree: ${e.message}`;
    case 'merge-conflict':
      return `merge conflict in ${e.files.join(', ')}; its work is kept on branch ${e.branch}`;
    case 'merge-failed':
      return `could not merge it: ${e.message}${e.branch ? `; its work is kept on branch ${e.branch}` : ''}`;
    case 'taken-off':
      return e.message;
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

/** The usage of two runs added up (cost and counts only where either reports them). */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a || !b) return a ?? b;
  const sum = (x?: number, y?: number) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const out: Usage = { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
  const cache = sum(a.cacheReadTokens, b.cacheReadTokens);
  const cost = sum(a.costUsd, b.costUsd);
  const turns = sum(a.turns, b.turns);
  if (cache !== undefined) out.cacheReadTokens = cache;
  if (cost !== undefined) out.costUsd = cost;
  if (turns !== undefined) out.turns = turns;
  return out;
}

/**
 * What `total` (a running total, e.g. a resumed Codex thread's tokens) adds to `before`: one run's own
 * usage. Turns are the run's own already: the adapter counts them in the run's output.
 */
export function usageSince(total: Usage, before: Usage | undefined): Usage {
  if (!before) return total;
  const minus = (a?: number, b?: number) => (a === undefined ? undefined : Math.max(0, a - (b ?? 0)));
  return {
    inputTokens: Math.max(0, total.inputTokens - before.inputTokens),
    outputTokens: Math.max(0, total.outputTokens - before.outputTokens),
    ...(total.cacheReadTokens !== undefined
      ? { cacheReadTokens: minus(total.cacheReadTokens, before.cacheReadTokens) }
      : {}),
    ...(total.costUsd !== undefined ? { costUsd: minus(total.costUsd, before.costUsd) } : {}),
    ...(total.turns !== undefined ? { turns: total.turns } : {}),
  };
}
