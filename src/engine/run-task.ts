import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTaskPrompt } from '../agents/prompt.js';
import type { AgentAdapter } from '../agents/types.js';
import type { RunEvent, TaskError } from '../events.js';
import type { Plan, PlanFormat, Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';

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
  log(e: RunEvent): void;
}

/**
 * Runs one task end to end: render the prompt, run the agent in the workspace, and, when it
 * finished, record the task as done in the plan file. Write-backs go one at a time, so two tasks
 * finishing together never lose each other's tick.
 */
export function createTaskRunner(deps: TaskRunnerDeps) {
  let writeQueue: Promise<unknown> = Promise.resolve();
  const attempts = new Map<string, number>();
  const promptsDir = join(deps.runDir, 'prompts');

  const recordDone = (task: Task): Promise<Result<void, TaskError>> => {
    const next = writeQueue.then(async (): Promise<Result<void, TaskError>> => {
      const r = await deps.format.writeStatus(deps.plan, task.id, 'done');
      return r.ok ? ok(undefined) : err({ reason: 'write-back-failed', message: r.error.message });
    });
    writeQueue = next.catch(() => undefined);
    return next;
  };

  return {
    attempts(id: string): number {
      return attempts.get(id) ?? deps.previousAttempts(id);
    },
    async execute(task: Task, signal: AbortSignal): Promise<Result<void, TaskError>> {
      const attempt = (attempts.get(task.id) ?? deps.previousAttempts(task.id)) + 1;
      attempts.set(task.id, attempt);
      const prompt = renderTaskPrompt(deps.plan, task, deps.root);
      mkdirSync(promptsDir, { recursive: true });
      const promptFile = join(promptsDir, `${task.id.replace(/[^\w.-]/g, '_')}.${attempt}.md`);
      writeFileSync(promptFile, prompt);
      const agent = deps.agentFor(task);
      deps.log({ type: 'task-started', taskId: task.id, title: task.title, attempt, agent: agent.name });
      const r = await agent.run({
        task,
        prompt,
        promptFile,
        cwd: deps.root,
        attempt,
        runId: deps.runId,
        timeoutMs: deps.timeoutFor?.(agent.name),
        killGraceMs: deps.killGraceMs,
        signal,
        onOutput: (line, stream) =>
          deps.log({ type: 'task-output', taskId: task.id, stream, line: deps.redact ? deps.redact(line) : line }),
      });
      if (!r.ok) {
        if (r.error.reason === 'agent-exit' && deps.redact)
          return err({ ...r.error, outputTail: deps.redact(r.error.outputTail) });
        return r;
      }
      return recordDone(task);
    },
  };
}
