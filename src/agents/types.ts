import type { TaskError, Usage } from '../events.js';
import type { Diagnostic } from '../plan/diagnostic.js';
import type { Task } from '../plan/types.js';
import type { Result } from '../result.js';

/** What an agent is doing, normalised from its own event stream; the live view shows the latest. */
export interface AgentActivity {
  kind: 'text' | 'tool' | 'error';
  /** One line: the text's first line, `Write src/a.ts`, `Bash npm test`, the error message. */
  text: string;
}

/** One headless run of an agent on one task. */
export interface AgentRequest {
  task: Task;
  prompt: string;
  /** The prompt, also written to a file for agents that prefer a path. */
  promptFile: string;
  /** The workspace the agent edits (its working directory). */
  cwd: string;
  attempt: number;
  /** Which repair of the attempt this run is: 0 for the first, 1 after the gates failed once, … */
  repair?: number;
  runId: string;
  timeoutMs?: number;
  signal: AbortSignal;
  killGraceMs?: number;
  /** A session of this agent to continue (a repair or follow-up attempt), where the agent supports it. */
  resumeSession?: string;
  /** Every line the agent prints, as printed (secrets are hidden by the caller). */
  onOutput(line: string, stream: 'stdout' | 'stderr'): void;
  /** Normalised events from agents with a structured output (text, tool use, errors). */
  onActivity?(activity: AgentActivity): void;
}

export interface AgentSuccess {
  /** The agent's final message, where it gives one. */
  summary?: string;
  usage?: Usage;
  /** The agent's session id, for resuming it on a later attempt. */
  sessionId?: string;
}

export interface AgentAdapter {
  /** The name in config (`agents.NAME`). */
  name: string;
  /** Whether the adapter can continue a session (`resumeSession`). */
  resumable?: boolean;
  /**
   * A resumed run reports the whole session's usage so far (Codex's thread totals), not its own:
   * the usage of a later run replaces an earlier one's instead of adding to it.
   */
  usageIsCumulative?: boolean;
  /**
   * What to fix when the agent cannot authenticate, in its own terms ("check ANTHROPIC_API_KEY, or
   * log in: …"); absent, a generic hint is given.
   */
  authHint?: string;
  /**
   * Checked before any task starts: the executable exists (on PATH or at `bin`). The error names
   * the agent and the config key that would fix it.
   */
  check?(): Result<void, Diagnostic>;
  run(req: AgentRequest): Promise<Result<AgentSuccess, TaskError>>;
}
