import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authFailureOf } from '../agents/auth-failure.js';
import { renderConflictPrompt, renderTaskPrompt } from '../agents/prompt.js';
import type { AgentAdapter, AgentSuccess } from '../agents/types.js';
import { type UsageLimit, usageLimitIn } from '../agents/usage-limit.js';
import { describeTaskError, type TaskError, type Usage, usageSince } from '../events.js';
import { describeGateFailure, type GateResult } from '../gates/types.js';
import type { Verified, Verifier, VerifyFailure } from '../gates/verifier.js';
import type { Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { cutText } from '../util/cut-text.js';
import { sleep as sleepUnlessAborted, sleepUntil } from '../util/sleep.js';
import { timed } from '../util/timings.js';
import type { ConflictToResolve, TaskWorkspaces } from '../workspace/task-workspaces.js';
import { saysDiskFull } from './disk-full.js';
import { type InPlaceDeps, InPlaceWork } from './in-place.js';
import type { TaskOutcome, TaskSlot } from './scheduler.js';
import type { UsageLimits } from './usage-limits.js';

/** The most of an agent's final message (its summary, or the error it reported) that is kept. */
const SAID_MAX_CHARS = 16_000;
/** The most of each line of a failed agent's output tail that is kept, as for a gate's. */
const TAIL_LINE_MAX_CHARS = 2000;

/** The plan, format, root, verifier, log and what is needed in place come from `InPlaceDeps`. */
export interface TaskRunnerDeps extends InPlaceDeps {
  /** The agent that runs a task (the config's routing rules may send tasks to different agents). */
  agentFor(task: Task): AgentAdapter;
  /** `.taskwave/runs/<run>`: prompts are kept there. */
  runDir: string;
  /** Per-task timeout for an agent, by agent name. */
  timeoutFor?(agent: string): number | undefined;
  killGraceMs?: number;
  /** Applied to every line of agent output before anyone sees it (hides secrets). */
  redact?: (text: string) => string;
  /** Attempts made before this run, per task. */
  previousAttempts(id: string): number;
  /** The agent session an earlier attempt left, per task. */
  previousSession?(id: string): string | undefined;
  /**
   * Worktrees and the merge queue; absent in place (`--in-place`, or no git), where the agent works in
   * the root and the plan is ticked there.
   */
  workspaces?: TaskWorkspaces;
  /** Attempts after a failed gate (default 2). */
  repairAttempts?: number;
  /** Retries after a transient agent failure (default 3). */
  retryAttempts?: number;
  /** Waits out an agent's usage limit (`usageLimit.wait`); absent, a limit fails the run like any error. */
  usageLimits?: UsageLimits;
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
  /** The gate results of a task's latest attempt (the books keep them), for its commit message. */
  gatesOf?(id: string): readonly GateResult[];
  /**
   * In place, after each agent: put back what it may have removed of taskwave's own folder (its
   * `.gitignore`, after a `git clean -fdx`), before the agent's work is read and committed: without
   * it taskwave's logs and prompts would be counted and committed as the task's.
   */
  restoreStateFolder?(): void;
}

/** One run of an agent on a task: who, with what prompt, where. */
interface AgentCall {
  task: Task;
  agent: AgentAdapter;
  prompt: string;
  promptFile: string;
  cwd: string;
  attempt: number;
  /** 0 for the attempt's first run of the agent; the count of failed verifications fed back so far. */
  repair?: number;
  signal: AbortSignal;
  /** The task's place among those running, lent while it waits for its agent's usage limit. */
  slot?: TaskSlot;
}

/**
 * Runs one task end to end: render the prompt, prepare its workspace, run the agent there (again
 * after a transient failure, with backoff), verify the result with the gates (feeding a failure back
 * to the agent up to `repairAttempts` times), and bring it home: in a worktree, commit and hand it to
 * the merge queue (which ticks the plan in the same commit); in place, tick the plan file (and
 * commit). Write-backs in place go one at a time, so two tasks finishing together never lose each
 * other's tick.
 */
export function createTaskRunner(deps: TaskRunnerDeps) {
  const attempts = new Map<string, number>();
  const sessions = new Map<string, string>();
  /** For agents whose resumed runs report the session's running total: the total seen so far. */
  const cumulative = new Map<string, Usage>();
  const promptsDir = join(deps.runDir, 'prompts');
  const sleep = deps.sleep ?? ((ms: number, signal: AbortSignal) => sleepUnlessAborted(ms, signal).then(() => {}));
  const inPlace = new InPlaceWork(deps);

  const savePrompt = (task: Task, attempt: number, prompt: string, suffix = ''): string => {
    mkdirSync(promptsDir, { recursive: true });
    const file = join(promptsDir, `${task.id.replace(/[^\w.-]/g, '_')}.${attempt}${suffix}.md`);
    writeFileSync(file, prompt);
    return file;
  };

  /** This run's own usage: a cumulative report minus what the session had already reported. */
  const ownUsage = (task: Task, agent: AgentAdapter, usage: Usage | undefined): Usage | undefined => {
    if (!usage || !agent.usageIsCumulative) return usage;
    const before = cumulative.get(task.id);
    cumulative.set(task.id, usage);
    return usageSince(usage, before);
  };

  /** One run of the agent; every run is on the record with what it cost. */
  const runAgentOnce = async (call: AgentCall): Promise<Result<AgentSuccess, TaskError>> => {
    const { task, agent, prompt, promptFile, cwd, attempt, repair, signal } = call;
    const resume = agent.resumable ? (sessions.get(task.id) ?? deps.previousSession?.(task.id)) : undefined;
    const redact = deps.redact ?? ((s: string) => s);
    const r = await timed('agent (its process, start to end)', () =>
      agent.run({
        task,
        prompt,
        promptFile,
        cwd,
        attempt,
        repair: repair ?? 0,
        runId: deps.runId,
        timeoutMs: deps.timeoutFor?.(agent.name),
        killGraceMs: deps.killGraceMs,
        signal,
        ...(resume ? { resumeSession: resume } : {}),
        onOutput: (line, stream) => deps.log({ type: 'task-output', taskId: task.id, stream, line: redact(line) }),
        onActivity: (a) => deps.log({ type: 'task-activity', taskId: task.id, kind: a.kind, text: redact(a.text) }),
      }),
    );
    const failure = !r.ok && r.error.reason === 'agent-error' ? r.error : undefined;
    const session = r.ok ? r.value.sessionId : failure?.sessionId;
    if (session) sessions.set(task.id, session);
    // A run that failed after some work (an API error, its turn limit) was paid for all the same.
    const usage = ownUsage(task, agent, r.ok ? r.value.usage : failure?.usage);
    // What the agent said goes into the journal, execution.json (rewritten at every snapshot) and
    // the commit: masked, then cut, as one line of megabytes would be copied into each.
    const summary = r.ok && r.value.summary ? cutText(redact(r.value.summary), SAID_MAX_CHARS) : undefined;
    deps.log({
      type: 'agent-finished',
      taskId: task.id,
      attempt,
      ok: r.ok,
      ...(usage ? { usage } : {}),
      ...(session ? { sessionId: session } : {}),
      ...(summary ? { summary } : {}),
    });
    if (r.ok) return summary === undefined ? r : ok({ ...r.value, summary });
    if (r.error.reason === 'agent-exit') {
      const { said } = r.error;
      const tail = redact(r.error.outputTail)
        .split('\n')
        .map((line) => cutText(line, TAIL_LINE_MAX_CHARS));
      return err({
        ...r.error,
        outputTail: tail.join('\n'),
        ...(said ? { said: cutText(redact(said), TAIL_LINE_MAX_CHARS) } : {}),
      });
    }
    if (failure) {
      // Its usage is on the record above; the error says why it failed.
      const { usage: _paid, ...why } = failure;
      return err({ ...why, message: cutText(redact(why.message), SAID_MAX_CHARS) });
    }
    return r;
  };

  /**
   * Waits for the agent's reset. With worktrees, the task's slot goes to other agents' tasks meanwhile
   * (in place, the working tree stays this task's). False: the run stopped meanwhile.
   */
  const waitOutLimit = async (call: AgentCall, until: number, limits: UsageLimits): Promise<boolean> => {
    const done = limits.startWaiting(call.agent.name);
    const stop = AbortSignal.any([call.signal, limits.waitsEnd]);
    const slot = deps.workspaces ? call.slot : undefined;
    try {
      slot?.lend();
      await sleepUntil(until, stop, sleep);
      if (stop.aborted) return false;
      await slot?.reclaim();
      return !stop.aborted;
    } finally {
      done();
    }
  };

  /**
   * The agent, run again after transient failures (rate limits, API 5xx, crashes) with backoff, and
   * after its usage limit resets (neither counts as a repair; waiting for a limit is not a retry).
   */
  const runAgent = async (call: AgentCall): Promise<Result<AgentSuccess, TaskError>> => {
    const { task, agent, signal } = call;
    const max = deps.retryAttempts ?? 3;
    for (let retry = 0; ; ) {
      const r = await runAgentOnce(call);
      if (r.ok) deps.usageLimits?.cleared(agent.name);
      if (r.ok || signal.aborted) return r;
      // Every task would fail the same way: stop as a limit beyond usageLimit.wait stops, resumable.
      const auth = deps.usageLimits ? authFailureOf(r.error) : undefined;
      if (auth && deps.usageLimits) {
        const reason = deps.usageLimits.refused(agent.name, auth, agent.authHint ?? GENERIC_AUTH_HINT);
        deps.log({ type: 'agent-auth-failed', taskId: task.id, agent: agent.name, message: auth.message });
        deps.usageLimits.stopRun(reason);
        return err({ reason: 'cancelled' });
      }
      const limit = deps.usageLimits ? usageLimitOf(r.error) : undefined;
      if (limit && deps.usageLimits) {
        const decision = deps.usageLimits.hit(agent.name, limit);
        const until = 'until' in decision ? { until: decision.until } : {};
        const resets = limit.resetsAt !== undefined ? { resetsAt: limit.resetsAt } : {};
        deps.log({
          type: 'usage-limit',
          taskId: task.id,
          agent: agent.name,
          message: limit.message,
          ...resets,
          ...until,
        });
        // Stopped: the task did not fail, it did not get to run. A resumed run starts it again.
        if ('stop' in decision) {
          deps.usageLimits.stopRun(decision.stop);
          return err({ reason: 'cancelled' });
        }
        if (!(await waitOutLimit(call, decision.until, deps.usageLimits))) return err({ reason: 'cancelled' });
        continue;
      }
      if (retry >= max || !deps.verifier?.isTransient(r.error)) return r;
      retry++;
      const delayMs = deps.verifier.backoffMs(retry);
      // What failed, as the task's error would say it: `agent-error` alone tells nobody why it was retried.
      const reason = describeTaskError(r.error);
      deps.log({ type: 'task-retry', taskId: task.id, kind: 'retry', attempt: retry, reason, delayMs });
      await sleep(delayMs, signal);
      if (signal.aborted) return err({ reason: 'cancelled' });
    }
  };

  /**
   * Agent, then gates, until the gates pass or the repairs are used up. Returns the last run's
   * success (its summary) and what its verification found; what each run cost is on the record
   * through `agent-finished`. A staged copy in `verified` is the caller's to dispose of.
   */
  const workAndVerify = async (
    task: Task,
    agent: AgentAdapter,
    basePrompt: string,
    dir: string,
    base: string | undefined,
    attempt: number,
    signal: AbortSignal,
    slot?: TaskSlot,
  ): Promise<Result<{ agent: AgentSuccess; verified: Verified }, TaskError>> => {
    let prompt = basePrompt;
    const maxRepairs = deps.repairAttempts ?? 2;
    for (let repair = 0; ; repair++) {
      const file = savePrompt(task, attempt, prompt, repair > 0 ? `.repair${repair}` : '');
      const r = await runAgent({ task, agent, prompt, promptFile: file, cwd: dir, attempt, repair, signal, slot });
      if (!deps.workspaces) deps.restoreStateFolder?.();
      if (!r.ok) return r;
      const verifier = deps.verifier;
      const checked: Result<Verified, VerifyFailure> = verifier
        ? await timed('verify (built-in checks and gates)', () => verifier.verify(task, dir, base, attempt, signal))
        : ok({});
      if (signal.aborted) {
        if (checked.ok) checked.value.staged?.dispose();
        return err({ reason: 'cancelled' });
      }
      if (checked.ok) return ok({ agent: r.value, verified: checked.value });
      const failure = checked.error;
      if (failure.kind === 'secret') return err({ reason: 'secret-in-diff', findings: failure.findings ?? [] });
      // No agent can repair a full disk: its next run would fail the same way, at a cost.
      if (repair >= maxRepairs || saysDiskFull(failure.result.message ?? '')) {
        if (failure.kind === 'unverified') return err({ reason: 'unverified', message: failure.result.message ?? '' });
        return err({
          reason: 'gate-failed',
          gate: failure.result.name,
          message: failure.result.message ?? 'failed',
          repairs: repair,
        });
      }
      deps.log({
        type: 'task-retry',
        taskId: task.id,
        kind: 'repair',
        attempt: repair + 1,
        reason: describeGateFailure(failure.result),
      });
      prompt = (deps.verifier as Verifier).repairPrompt(basePrompt, failure, repair + 1, maxRepairs);
    }
  };

  return {
    attempts(id: string): number {
      return attempts.get(id) ?? deps.previousAttempts(id);
    },
    async execute(task: Task, signal: AbortSignal, slot?: TaskSlot): Promise<Result<TaskOutcome, TaskError>> {
      const attempt = (attempts.get(task.id) ?? deps.previousAttempts(task.id)) + 1;
      attempts.set(task.id, attempt);
      const agent = deps.agentFor(task);
      const prompt = renderTaskPrompt(deps.plan, task, deps.root);
      const ws = deps.workspaces;
      // In place, the base is taken before the task is on the record as started: the books keep it.
      const base = ws ? undefined : await inPlace.start(task);
      deps.log({
        type: 'task-started',
        taskId: task.id,
        title: task.title,
        attempt,
        agent: agent.name,
        ...(base ? { base } : {}),
      });

      if (!ws) {
        let r = await workAndVerify(task, agent, prompt, deps.root, base, attempt, signal);
        // Another branch checked out, or the branch moved back, says more than what the checks found.
        const strayed = r.ok || r.error.reason !== 'cancelled' ? await inPlace.strayed(task) : undefined;
        if (strayed) {
          if (r.ok) r.value.verified.staged?.dispose();
          r = err(strayed);
        }
        if (!r.ok) {
          await inPlace.afterFailure(task, r.error);
          return r;
        }
        const { staged } = r.value.verified;
        try {
          const body = commitBody(r.value.agent.summary, agent.name, attempt, deps.gatesOf?.(task.id) ?? []);
          const ticked = await inPlace.tick(task, body, staged);
          if (!ticked.ok) {
            // Not ticked: its changes are left in the tree as a failed agent's are.
            await inPlace.afterFailure(task, ticked.error);
            return ticked;
          }
          return ok({ ...outcomeOf(r.value.agent), ...ticked.value });
        } finally {
          staged?.dispose();
        }
      }

      const opened = await timed('worktree create', () => ws.open(task, signal));
      if (!opened.ok) return err({ reason: 'workspace-failed', message: opened.error });
      const place = opened.value;
      const agentStarted = Date.now();
      const r = await workAndVerify(task, agent, prompt, place.dir, place.base, attempt, signal, slot);
      const staged = r.ok ? r.value.verified.staged : undefined;
      const giveUp = async <T>(failure: T): Promise<T> => {
        const kept = await ws.abandon(place, task, `attempt ${attempt} failed`);
        if (kept) deps.log({ type: 'warning', message: `the work ${task.id} did is kept on branch ${kept}` });
        return failure;
      };
      try {
        if (!r.ok) return await giveUp(r);
        const { changed } = r.value.verified;
        const strayed = await timed('outside-worktree check', () => ws.checkStayed(place, task, agentStarted, changed));
        if (strayed) return await giveUp(err({ reason: 'left-worktree', message: strayed }));
        const body = commitBody(r.value.agent.summary, agent.name, attempt, deps.gatesOf?.(task.id) ?? []);
        /** The agent resolving a conflict was stopped (Ctrl-C, a usage limit that stops the run). */
        let stopped = false;
        const resolveConflict = async (conflict: ConflictToResolve): Promise<boolean> => {
          // One chance for the agent to resolve a conflict with what landed meanwhile, in its worktree.
          const conflictPrompt = renderConflictPrompt(prompt, conflict.files, ws.integrationBranch);
          const file = savePrompt(task, attempt, conflictPrompt, '.conflict');
          deps.log({
            type: 'task-activity',
            taskId: task.id,
            kind: 'text',
            text: `resolving a merge conflict in ${conflict.files.join(', ')}`,
          });
          const again = await runAgent({
            task,
            agent,
            prompt: conflictPrompt,
            promptFile: file,
            cwd: place.dir,
            attempt,
            signal,
            slot,
          });
          if (!again.ok) {
            stopped = again.error.reason === 'cancelled';
            return false;
          }
          // The resolution must pass the gates too: a merged conflict can break the build.
          // Against the head it merged in: what landed meanwhile (other tasks' ticks included) is not its change.
          if (!deps.verifier) return true;
          const checked = await deps.verifier.verify(task, place.dir, conflict.head, attempt, signal);
          // The resolution is committed by the merge that follows, not from this copy.
          if (checked.ok) checked.value.staged?.dispose();
          return checked.ok;
        };
        const merged = await ws.finish(place, task, body, resolveConflict, staged);
        // Stopped before it could try: not a conflict it failed to resolve, and its dependents may run later.
        if (!merged.ok && stopped && merged.error.reason === 'merge-conflict') {
          const kept = merged.error.branch;
          if (kept) deps.log({ type: 'warning', message: `the work ${task.id} did is kept on branch ${kept}` });
          return err({ reason: 'cancelled' });
        }
        if (!merged.ok) return merged;
        return ok({ ...outcomeOf(r.value.agent), commit: merged.value.commit });
      } finally {
        staged?.dispose();
      }
    },
  };
}

/** A task commit's body: what the agent said, then who did it and what verified it. */
export function commitBody(
  summary: string | undefined,
  agent: string,
  attempt: number,
  gates: readonly GateResult[],
): string {
  const lines = [summary?.trim() ?? '', ''];
  lines.push(`Agent: ${agent}`, `Attempt: ${attempt}`);
  if (gates.length > 0) {
    lines.push(`Gates: ${gates.map((g) => `${g.name} ${g.ok ? 'passed' : 'FAILED'}`).join(', ')}`);
  }
  return lines.join('\n').trim();
}

function outcomeOf(s: AgentSuccess): TaskOutcome {
  return { ...(s.sessionId ? { sessionId: s.sessionId } : {}) };
}

/** What to fix when an agent without an `authHint` of its own cannot authenticate. */
const GENERIC_AUTH_HINT = "check the agent's API key (in the environment or its agents.NAME.env), or log it in";

/** The usage limit an agent's failure reports, if it is one (its output's end, or its own error). */
function usageLimitOf(e: TaskError): UsageLimit | undefined {
  if (e.reason === 'agent-exit') return usageLimitIn(e.outputTail);
  if (e.reason === 'agent-error') return usageLimitIn(e.message);
  return undefined;
}
