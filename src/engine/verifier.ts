import type { TaskError } from '../events.js';
import type { GateResult } from '../gates/types.js';
import type { Task } from '../plan/types.js';

/** Why a task's result is not verified. */
export interface VerifyFailure {
  /** `gate`: a command or check failed (repairable); `unverified`: nothing changed; `secret`: never merged. */
  kind: 'gate' | 'unverified' | 'secret';
  result: GateResult;
  findings?: string[];
}

/** What the task runner needs from the gates stage. */
export interface Verifier {
  /** The commit a task starts from in place (worktrees know theirs). */
  baseline(dir: string): Promise<string | undefined>;
  /** Built-in checks, then the task's gates, in `dir`; each result is logged. The first failure, if any. */
  verify(task: Task, dir: string, base: string | undefined, attempt: number): Promise<VerifyFailure | undefined>;
  repairPrompt(taskPrompt: string, failure: VerifyFailure, repair: number, maxRepairs: number): string;
  /** A failure worth running the agent again for, without counting as a repair. */
  isTransient(error: TaskError): boolean;
  backoffMs(retry: number): number;
}
