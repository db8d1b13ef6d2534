/*
 * Gates decide whether a task (a phase, the whole run) is verified: the project's own commands from
 * the config, and taskwave's built-in checks. A result is on the record whether it passed or not.
 */

/** Where a gate ran: after one task (in its worktree), after a phase's last merge, or at the end. */
export type GateScope = { kind: 'task'; taskId: string } | { kind: 'phase'; phase: string } | { kind: 'final' };

/** One command to run, from the config (`gates.task` …) or from the plan (a task's own test). */
export interface GateSpec {
  /** `lint`, or the command itself when the config gives no name. */
  name: string;
  /** A shell string (the user's own config: it may use pipes) or an argv. */
  command: string | string[];
  timeoutMs?: number;
}

export interface GateResult {
  name: string;
  /** The command as a person would type it, or `builtin:<check>` for taskwave's own checks. */
  command: string;
  /** Built-in checks: `changed-something`, `named-files-exist`, `no-secrets`. */
  builtin?: boolean;
  ok: boolean;
  exitCode?: number | null;
  timedOut?: boolean;
  durationMs: number;
  /** The last lines of its output (secrets hidden), for the repair prompt and the report. */
  outputTail: string;
  /** One line for a person when it failed: `exit 1`, `timed out after 2m`, `no file changed`. */
  message?: string;
}

/** A failed gate in a few words: `build: exit 1`. */
export function describeGateFailure(g: Pick<GateResult, 'name' | 'message'>): string {
  return `${g.name}: ${g.message ?? 'failed'}`;
}
