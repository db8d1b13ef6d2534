import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConflictPrompt, renderTaskPrompt } from '../agents/prompt.js';
import type { AgentAdapter, AgentSuccess } from '../agents/types.js';
import { addUsage, type RunEvent, type TaskError } from '../events.js';
import type { Plan, PlanFormat, Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import type { TaskWorkspaces } from '../workspace/task-workspaces.js';
import type { TaskOutcome } from './scheduler.js';

export interface TaskRunnerDeps {
  plan: Plan;
  format: PlanFormat;
  /** The agent that runs a task (the config's routing rules may send tasks to different agents). */
  agentFor(task: Task): AgentAdapter;
  root: string;
  runId: string;
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
  log(e: RunEvent): void;
}

/**
 * Runs one task end to end: render the prompt, prepare its workspace, run the agent there, and
 * bring the result home: in a worktree, commit and hand it to the merge queue (which ticks the plan
 * in the same commit); in place, tick the plan file. Write-backs in place go one at a time, so two
 * tasks finishing together never lose each other's tick.
 */
export function createTaskRunner(deps: TaskRunnerDeps) {
  let writeQueue: Promise<unknown> = Promise.resolve();
  const attempts = new Map<string, number>();
  const sessions = new Map<string, string>();
  const promptsDir = join(deps.runDir, 'prompts');

  const tickInPlace = (task: Task): Promise<Result<TaskOutcome, TaskError>> => {
    const next = writeQueue.then(async (): Promise<Result<TaskOutcome, TaskError>> => {
      const r = await deps.format.writeStatus(deps.plan, task.id, 'done');
      return r.ok ? ok({}) : err({ reason: 'write-back-failed', message: r.error.message });
    });
    writeQueue = next.catch(() => undefined);
    return next;
  };

  const savePrompt = (task: Task, attempt: number, prompt: string, suffix = ''): string => {
    mkdirSync(promptsDir, { recursive: true });
    const file = join(promptsDir, `${task.id.replace(/[^\w.-]/g, '_')}.${attempt}${suffix}.md`);
    writeFileSync(file, prompt);
    return file;
  };

  const runAgent = async (
    task: Task,
    agent: AgentAdapter,
    prompt: string,
    promptFile: string,
    cwd: string,
    attempt: number,
    signal: AbortSignal,
  ): Promise<Result<AgentSuccess, TaskError>> => {
    const resume = agent.resumable ? (sessions.get(task.id) ?? deps.previousSession?.(task.id)) : undefined;
    const redact = deps.redact ?? ((s: string) => s);
    const r = await agent.run({
      task,
      prompt,
      promptFile,
      cwd,
      attempt,
      runId: deps.runId,
      timeoutMs: deps.timeoutFor?.(agent.name),
      killGraceMs: deps.killGraceMs,
      signal,
      ...(resume ? { resumeSession: resume } : {}),
      onOutput: (line, stream) => deps.log({ type: 'task-output', taskId: task.id, stream, line: redact(line) }),
      onActivity: (a) => deps.log({ type: 'task-activity', taskId: task.id, kind: a.kind, text: redact(a.text) }),
    });
    if (r.ok) {
      if (r.value.sessionId) sessions.set(task.id, r.value.sessionId);
      return r;
    }
    if (r.error.reason === 'agent-error' && r.error.sessionId) sessions.set(task.id, r.error.sessionId);
    if (r.error.reason === 'agent-exit') return err({ ...r.error, outputTail: redact(r.error.outputTail) });
    if (r.error.reason === 'agent-error') return err({ ...r.error, message: redact(r.error.message) });
    return r;
  };

  return {
    attempts(id: string): number {
      return attempts.get(id) ?? deps.previousAttempts(id);
    },
    async execute(task: Task, signal: AbortSignal): Promise<Result<TaskOutcome, TaskError>> {
      const attempt = (attempts.get(task.id) ?? deps.previousAttempts(task.id)) + 1;
      attempts.set(task.id, attempt);
      const agent = deps.agentFor(task);
      const prompt = renderTaskPrompt(deps.plan, task, deps.root);
      const promptFile = savePrompt(task, attempt, prompt);
      deps.log({ type: 'task-started', taskId: task.id, title: task.title, attempt, agent: agent.name });

      const ws = deps.workspaces;
      if (!ws) {
        const r = await runAgent(task, agent, prompt, promptFile, deps.root, attempt, signal);
        if (!r.ok) return r;
        const ticked = await tickInPlace(task);
        return ticked.ok ? ok(outcomeOf(r.value)) : ticked;
      }

      const opened = await ws.open(task, signal);
      if (!opened.ok) return err({ reason: 'workspace-failed', message: opened.error });
      const place = opened.value;
      const r = await runAgent(task, agent, prompt, promptFile, place.dir, attempt, signal);
      if (!r.ok) {
        const kept = await ws.abandon(place, task, `attempt ${attempt} failed`);
        if (kept) deps.log({ type: 'warning', message: `the work ${task.id} did is kept on branch ${kept}` });
        return r;
      }
      let outcome = outcomeOf(r.value);
      const merged = await ws.finish(place, task, r.value.summary, async (conflict) => {
        // One chance for the agent to resolve a conflict with what landed meanwhile, in its worktree.
        const conflictPrompt = renderConflictPrompt(prompt, conflict.files, ws.integrationBranch);
        const file = savePrompt(task, attempt, conflictPrompt, '.conflict');
        deps.log({
          type: 'task-activity',
          taskId: task.id,
          kind: 'text',
          text: `resolving a merge conflict in ${conflict.files.join(', ')}`,
        });
        const again = await runAgent(task, agent, conflictPrompt, file, place.dir, attempt, signal);
        if (again.ok) {
          const more = outcomeOf(again.value);
          const usage = agent.usageIsCumulative ? (more.usage ?? outcome.usage) : addUsage(outcome.usage, more.usage);
          outcome = { ...outcome, ...more, ...(usage ? { usage } : {}) };
        }
        return again.ok;
      });
      if (!merged.ok) return merged;
      return ok({ ...outcome, commit: merged.value.commit });
    },
  };
}

function outcomeOf(s: AgentSuccess): TaskOutcome {
  return { ...(s.usage ? { usage: s.usage } : {}), ...(s.sessionId ? { sessionId: s.sessionId } : {}) };
}
