import type { TaskError, Usage } from '../events.js';
import type { Task } from '../plan/types.js';
import type { Result } from '../result.js';

/** One headless run of an agent on one task. */
export interface AgentRequest {
  task: Task;
  prompt: string;
  /** The prompt, also written to a file for agents that prefer a path. */
  promptFile: string;
  /** The workspace the agent edits (its working directory). */
  cwd: string;
  attempt: number;
  runId: string;
  timeoutMs?: number;
  signal: AbortSignal;
  killGraceMs?: number;
  onOutput(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface AgentSuccess {
  /** The agent's final message, where it gives one. */
  summary?: string;
  usage?: Usage;
}

export interface AgentAdapter {
  /** The name in config (`agents.NAME`). */
  name: string;
  run(req: AgentRequest): Promise<Result<AgentSuccess, TaskError>>;
}
