import { readFileSync } from 'node:fs';
import { addUsage, type RunEvent, type Usage } from '../events.js';
import type { GateResult } from '../gates/types.js';
import { type Diagnostic, errorAt, type SourceSpan } from '../plan/diagnostic.js';
import { parseJsonDocument } from '../plan/formats/json-file.js';
import { err, ok, type Result } from '../result.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { type JournalEntry, readJournal } from './journal.js';

export type TaskRecordStatus =
  | 'pending'
  | 'running'
  | 'done'
  | 'failed'
  /** Failed to merge: its changes conflict with what landed meanwhile; its branch is kept. */
  | 'conflict'
  /** The agent said it finished but changed nothing: not done. */
  | 'unverified'
  | 'blocked'
  | 'cancelled'
  | 'skipped';

export interface TaskRecord {
  title: string;
  status: TaskRecordStatus;
  attempts: number;
  agent?: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /**
   * How long the last attempt that ran to its end took, kept when a new attempt starts (which clears
   * `durationMs`): a later attempt cut short must not erase what the task is known to take.
   */
  lastDurationMs?: number;
  usage?: Usage;
  commit?: string;
  /**
   * In place: done (ticked), but git could not commit it, for this reason (a hook of the user's that
   * rejected the commit); its changes are in the working tree, not staged.
   */
  uncommitted?: string;
  /** The agent's session, resumed by a later attempt where the agent supports it. */
  sessionId?: string;
  /** Gate results of the task's latest attempt, built-in checks first. */
  gates?: GateResult[];
  /** Repair attempts after failed gates, and retries after transient agent failures, in all runs. */
  repairs?: number;
  retries?: number;
  /** The agent's last final message. */
  summary?: string;
  error?: string;
  /**
   * Running, and waiting for its agent's usage limit to reset: when its agent runs again (ISO time),
   * and what the agent said.
   */
  waitingUntil?: string;
  limit?: string;
  /** Its agent could not authenticate on this attempt: what the agent said. */
  authFailure?: string;
  /** Waits for its agent's usage limit to reset, in all runs, and the time they took. */
  limitWaits?: number;
  limitWaitMs?: number;
  /**
   * In place, what an attempt that did not finish left in the working tree, until the task is done:
   * the base it started from and the tree the next task in place found (`task-started`'s `base`s,
   * one after the other). Its next attempt, after other tasks ran, counts those changes as its own.
   */
  inPlaceLeft?: InPlaceLeftover;
}

/** Two trees (or commits) whose difference is what an unfinished in-place attempt left behind. */
export interface InPlaceLeftover {
  base: string;
  tree: string;
}

/**
 * An agent's usage limit as a run met it, kept until a run of the agent gets through: a later run
 * that starts before the reset waits for it rather than meet it again with every task it starts.
 */
export interface AgentLimit {
  /** What the agent said. */
  message: string;
  /** When the agent said the limit resets (ISO time), where it said. */
  resetsAt?: string;
  /** When the run would have run the agent again (ISO time); absent when the limit stopped the run. */
  until?: string;
}

/** Options a run was started with, so that `taskwave resume` continues it the same way. */
export interface RunOptions {
  concurrency: number;
  /** `--agent`: one agent for every task; absent when the config's default and routing choose. */
  agent?: string;
  phases?: string[];
  only?: string[];
  from?: string;
  specs?: string[];
  specKinds?: ('infrastructure' | 'feature')[];
  withDeps?: boolean;
  includeOptional?: boolean;
  format?: string;
  tag?: string;
  config?: string;
  timeout?: string;
  /** Ran without worktrees. */
  inPlace?: boolean;
  /** `--no-commit`. */
  commit?: boolean;
  allowEmpty?: boolean;
  failFast?: boolean;
}

export interface ExecutionState {
  version: 1;
  runId: string;
  /**
   * The runs of this plan these books cover, oldest first, this one last (absent in books written
   * before it was kept): the task branches `taskwave/<run>/…` the books can speak for.
   */
  runs?: string[];
  plan: { path: string; format: string };
  status: 'running' | 'done' | 'failed' | 'interrupted';
  startedAt: string;
  updatedAt: string;
  options: RunOptions;
  tasks: Record<string, TaskRecord>;
  overall: {
    total: number;
    done: number;
    /** Every task that did not make it: `conflict` and `unverified` ones among them. */
    failed: number;
    /**
     * Of `failed`, those that conflict with what landed meanwhile and those that changed nothing:
     * counted apart, as the run's summary does, and still within `failed`, which scripts read as
     * "how many did not make it". (Books written before they were counted lack them; `overall` is
     * counted again whenever books are read.)
     */
    conflict: number;
    unverified: number;
    running: number;
    pending: number;
    skipped: number;
    blocked: number;
  };
  /** Journal size when this snapshot was written: entries after it are replayed on load. */
  journalOffset: number;
  /** Phase gates (by phase id) and final gates of this run. */
  gates?: { phase: Record<string, GateResult[]>; final: GateResult[] };
  /**
   * How each phase's gates went the last time a run of this plan before this one ran them (by phase
   * id): a finished phase owes its gates only when they failed or never ran, however many runs ago
   * they passed. This run's own results are in `gates`.
   */
  earlierPhaseGates?: Record<string, 'passed' | 'failed'>;
  /** Why the run stopped starting tasks early (a budget, --fail-fast). */
  stopReason?: string;
  /**
   * In place: the last task to start and what its changes are read against (`task-started`'s
   * `base`), until it is done. Its next attempt (after a crash, or a failure) reads against the same
   * where no task is committed: what the attempt before left in the tree is the task's work.
   */
  inPlaceStart?: { taskId: string; base: string };
  /**
   * By agent, the usage limits met and not known to have reset (no run of the agent got through
   * since): kept across runs, whatever their plan, while the limit stands (see `standingLimit`).
   */
  agentLimits?: Record<string, AgentLimit>;
}

/**
 * Until when a recorded limit holds the agent back (epoch ms): the time its run would have run the
 * agent again, or the reset the agent named; undefined once that is past, or when nothing says when.
 */
export function standingLimit(limit: AgentLimit, now: number): number | undefined {
  const times = [limit.until, limit.resetsAt].flatMap((t) => (t !== undefined ? [Date.parse(t)] : []));
  const until = Math.max(...times.filter(Number.isFinite));
  return until > now ? until : undefined;
}

export function computeOverall(tasks: Record<string, TaskRecord>): ExecutionState['overall'] {
  const o = {
    total: 0,
    done: 0,
    failed: 0,
    conflict: 0,
    unverified: 0,
    running: 0,
    pending: 0,
    skipped: 0,
    blocked: 0,
  };
  for (const t of Object.values(tasks)) {
    o.total++;
    if (t.status === 'done') o.done++;
    else if (t.status === 'failed' || t.status === 'conflict' || t.status === 'unverified') {
      o.failed++;
      if (t.status === 'conflict') o.conflict++;
      if (t.status === 'unverified') o.unverified++;
    } else if (t.status === 'running') o.running++;
    else if (t.status === 'skipped') o.skipped++;
    else if (t.status === 'blocked') o.blocked++;
    else o.pending++; // pending and cancelled: both will run again
  }
  return o;
}

/** Apply one event to the snapshot in memory. */
export function applyEvent(state: ExecutionState, e: JournalEntry): void {
  state.updatedAt = e.time;
  const rec = 'taskId' in e && e.taskId !== undefined ? state.tasks[e.taskId] : undefined;
  switch (e.type) {
    case 'task-started': {
      // In place, the tree this task starts from is what the last task to start left, and that one is
      // not done (a failure, a crash): between the two bases lies its leftover.
      const before = state.inPlaceStart;
      const unfinished = before && before.taskId !== e.taskId ? state.tasks[before.taskId] : undefined;
      if (before && e.base && unfinished && unfinished.status !== 'done') {
        unfinished.inPlaceLeft = { base: before.base, tree: e.base };
      }
      // Any task started since (in a worktree too) may have changed the tree: the base is not its.
      state.inPlaceStart = e.base ? { taskId: e.taskId, base: e.base } : undefined;
      if (rec) {
        // A new attempt's gates replace the last one's.
        rec.gates = undefined;
        rec.status = 'running';
        rec.attempts = e.attempt;
        rec.agent = e.agent;
        rec.startedAt = e.time;
        rec.endedAt = undefined;
        if (rec.durationMs !== undefined) rec.lastDurationMs = rec.durationMs;
        rec.durationMs = undefined;
        rec.error = undefined;
        rec.waitingUntil = undefined;
        rec.limit = undefined;
        rec.authFailure = undefined;
      }
      break;
    }
    case 'task-succeeded':
      if (state.inPlaceStart?.taskId === e.taskId) state.inPlaceStart = undefined;
      if (rec) {
        Object.assign(rec, { status: 'done', endedAt: e.time, durationMs: e.durationMs, error: undefined });
        rec.inPlaceLeft = undefined;
        rec.uncommitted = e.uncommitted;
        if (e.commit) rec.commit = e.commit;
        if (e.sessionId) rec.sessionId = e.sessionId;
      }
      break;
    case 'agent-finished':
      // A run of the agent got through: its limit is behind it.
      if (e.ok && rec?.agent) forgetLimit(state, rec.agent);
      if (rec) {
        rec.waitingUntil = undefined;
        rec.limit = undefined;
        // Every run of the agent costs, the failed ones too: usage adds up over attempts and runs.
        if (e.usage) rec.usage = addUsage(rec.usage, e.usage);
        if (e.sessionId) rec.sessionId = e.sessionId;
        if (e.summary) rec.summary = e.summary;
      }
      break;
    case 'gate-finished': {
      if (e.scope.kind === 'task') {
        const r = state.tasks[e.scope.taskId];
        if (r) r.gates = [...(r.gates ?? []).filter((g) => g.name !== e.result.name), e.result];
      } else {
        state.gates ??= { phase: {}, final: [] };
        if (e.scope.kind === 'final') state.gates.final.push(e.result);
        else state.gates.phase[e.scope.phase] = [...(state.gates.phase[e.scope.phase] ?? []), e.result];
      }
      break;
    }
    case 'task-retry':
      if (rec) {
        if (e.kind === 'repair') rec.repairs = (rec.repairs ?? 0) + 1;
        else rec.retries = (rec.retries ?? 0) + 1;
      }
      break;
    case 'run-stopping':
      state.stopReason = e.reason;
      break;
    case 'usage-limit':
      state.agentLimits = {
        ...state.agentLimits,
        [e.agent]: {
          message: e.message,
          ...(e.resetsAt !== undefined ? { resetsAt: new Date(e.resetsAt).toISOString() } : {}),
          ...(e.until !== undefined ? { until: new Date(e.until).toISOString() } : {}),
        },
      };
      if (rec) {
        rec.waitingUntil = e.until !== undefined ? new Date(e.until).toISOString() : undefined;
        rec.limit = e.message;
        if (e.until !== undefined) {
          rec.limitWaits = (rec.limitWaits ?? 0) + 1;
          rec.limitWaitMs = (rec.limitWaitMs ?? 0) + Math.max(0, e.until - Date.parse(e.time));
        }
      }
      break;
    case 'agent-auth-failed':
      if (rec) rec.authFailure = e.message;
      break;
    case 'task-failed':
      if (rec) {
        const status =
          e.error.reason === 'merge-conflict' ? 'conflict' : e.error.reason === 'unverified' ? 'unverified' : 'failed';
        Object.assign(rec, { status, endedAt: e.time, durationMs: e.durationMs, error: e.message });
        if (e.error.reason === 'agent-error' && e.error.sessionId) rec.sessionId = e.error.sessionId;
      }
      break;
    case 'task-blocked':
      if (rec) Object.assign(rec, { status: 'blocked', error: `blocked by ${e.blockedBy}` });
      break;
    case 'task-rebased':
      if (rec) rec.commit = e.commit;
      break;
    case 'task-cancelled':
      if (rec) {
        // A wait cut short: the time it did not wait is not the task's.
        if (rec.waitingUntil && rec.limitWaitMs !== undefined) {
          const unspent = Math.max(0, Date.parse(rec.waitingUntil) - Date.parse(e.time));
          rec.limitWaitMs = Math.max(0, rec.limitWaitMs - unspent);
        }
        // Stopped by the limit (a reset beyond usageLimit.wait), or by the run while it waited for one.
        // Or stopped because its agent could not authenticate.
        const error = rec.waitingUntil
          ? `stopped while it waited for its agent's usage limit to reset: ${rec.limit}`
          : rec.limit
            ? `stopped by its agent's usage limit: ${rec.limit}`
            : rec.authFailure
              ? `stopped: its agent could not authenticate: ${rec.authFailure}`
              : 'interrupted';
        Object.assign(rec, {
          status: 'cancelled',
          endedAt: e.time,
          error,
          waitingUntil: undefined,
          authFailure: undefined,
        });
      }
      break;
    case 'run-finished':
      state.status = e.summary.status;
      break;
    case 'run-started':
    case 'task-output':
    case 'task-activity':
    case 'interrupt':
    case 'warning':
      break;
    default: {
      const never: never = e;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
  // `overall` is not recounted here: that is O(tasks) per event, O(tasks²) over a run (a 10k-task
  // journal took 50 s to replay). It is counted once per snapshot and once per load.
}

function forgetLimit(state: ExecutionState, agent: string): void {
  if (!state.agentLimits?.[agent]) return;
  const { [agent]: _, ...rest } = state.agentLimits;
  state.agentLimits = Object.keys(rest).length > 0 ? rest : undefined;
}

export function writeExecution(path: string, state: ExecutionState): void {
  state.overall = computeOverall(state.tasks);
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * The last run's state: the snapshot plus whatever the journal recorded after it. A run whose
 * process died shows `status: running` with tasks still `running`: the caller decides (with the lock)
 * whether it is still alive. Undefined when there is no snapshot, or one that cannot be read (a run
 * then starts afresh from the plan's ticks and replaces it); `readExecution` says which.
 */
export function loadExecution(executionPath: string, journalPath: string): ExecutionState | undefined {
  const r = readExecution(executionPath, journalPath);
  return r.ok ? r.value : undefined;
}

/**
 * As `loadExecution`, telling a missing snapshot (undefined) from one that is there but unreadable
 * (the problem, at its line and column where it is a JSON error): `status` and `resume` must not say
 * "no run here" about a run whose books are damaged.
 */
export function readExecution(
  executionPath: string,
  journalPath: string,
): Result<ExecutionState | undefined, Diagnostic> {
  let text: string;
  try {
    text = readFileSync(executionPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(undefined);
    return err(unreadable(undefined, executionPath, (e as Error).message));
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Parsed again only to say where: jsonc-parser gives the offset of the first error.
    const where = parseJsonDocument(text, executionPath);
    const first = where.ok ? undefined : where.error[0];
    return err(unreadable(first?.location, executionPath, first?.message ?? 'invalid JSON'));
  }
  const shape = shapeProblem(data);
  if (shape) return err(unreadable({ file: executionPath, line: 1, column: 1 }, executionPath, shape));
  const state = data as ExecutionState;
  for (const entry of readJournal(journalPath, state.journalOffset)) {
    if (entry.runId === state.runId) applyEvent(state, entry);
  }
  state.overall = computeOverall(state.tasks);
  return ok(state);
}

/** What makes parsed JSON not a snapshot this version can read, if anything. */
function shapeProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'it is not a JSON object';
  const s = data as Partial<Record<keyof ExecutionState, unknown>>;
  if (s.version !== 1) return `version ${JSON.stringify(s.version)} is not one this taskwave reads (version 1)`;
  if (typeof s.runId !== 'string') return 'it names no runId';
  if (typeof s.plan !== 'object' || s.plan === null) return 'it names no plan';
  if (typeof s.tasks !== 'object' || s.tasks === null) return 'it holds no tasks';
  return undefined;
}

function unreadable(at: SourceSpan | undefined, path: string, why: string): Diagnostic {
  const what = at ? "the last run's state" : `the last run's state ${path}`;
  return errorAt(
    at,
    `${what} is unreadable (${why}); taskwave run PLAN starts afresh from the plan's ticks and replaces it (move the file away first to keep it)`,
  );
}

/** Events worth keeping in the journal: everything but the agents' raw output (that goes to logs/). */
export function isJournaled(e: RunEvent): boolean {
  return e.type !== 'task-output';
}

/**
 * Events that only describe how a task is getting on (a gate's result, what the agent is doing, a
 * warning): no step of the run waits on them, and whatever follows them (the task's outcome, the
 * next snapshot) fsyncs the journal with them in it. The rest are fsync'd as they are appended.
 */
export function isProgressNote(e: RunEvent): boolean {
  return e.type === 'gate-finished' || e.type === 'task-activity' || e.type === 'warning';
}

/** What a phase's gates came to in one run: passed, failed, or (no result) not run. */
export function phaseGatesVerdict(results: readonly GateResult[] | undefined): 'passed' | 'failed' | undefined {
  if (results === undefined || results.length === 0) return undefined;
  return results.every((g) => g.ok) ? 'passed' : 'failed';
}

/**
 * The phase gates' verdicts as a run after `previous` inherits them: `previous`'s own results over
 * what it inherited itself.
 */
export function inheritedPhaseGates(previous: ExecutionState | undefined): Record<string, 'passed' | 'failed'> {
  const out = { ...(previous?.earlierPhaseGates ?? {}) };
  for (const [phase, results] of Object.entries(previous?.gates?.phase ?? {})) {
    const verdict = phaseGatesVerdict(results);
    if (verdict) out[phase] = verdict;
  }
  return out;
}
