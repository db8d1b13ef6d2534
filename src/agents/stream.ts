import type { TaskError, Usage } from '../events.js';
import { err, ok, type Result } from '../result.js';
import { runInProcessGroup } from '../util/process-group.js';
import type { AgentActivity, AgentRequest, AgentSuccess } from './types.js';

/** What a parser made of an agent's output once the agent has exited. */
export interface ParsedOutcome {
  summary?: string;
  usage?: Usage;
  sessionId?: string;
  /** The agent reported a failure itself (Claude Code `is_error`, Codex `turn.failed`). */
  error?: string;
  /**
   * The output lacks the event that says how the run ended (Claude Code's `result`): a clean exit
   * without it is not a success.
   */
  incomplete?: string;
  /**
   * The API error the agent was retrying when its output stopped (Claude Code's `api_retry`, Codex's
   * `Reconnecting...`): a run stopped at its timeout meanwhile says so, or "timed out" would hide an
   * API that was down, or a key it refused, behind the agent's own retries.
   */
  retrying?: string;
}

/** Reads one agent's stdout, line by line; one instance per run, since it keeps state. */
export interface StreamParser {
  line(text: string): void;
  outcome(): ParsedOutcome;
}

export interface ParserContext {
  /** The workspace, so that paths can be shown relative to it. */
  cwd: string;
  emit(activity: AgentActivity): void;
}

export type ParserFactory = (ctx: ParserContext) => StreamParser;

/** One process to start for one run. */
export interface Invocation {
  /** argv, executable first; never run through a shell. */
  argv: string[];
  /** Written to stdin, which is then closed; absent means an empty, closed stdin. */
  input?: string;
  /** Variables the adapter needs on top of the process's and the config's. */
  env?: Record<string, string>;
}

const OUTPUT_TAIL_LINES = 20;
/** The most of an error line that goes into a task's error. */
const SAID_MAX = 300;

/**
 * The line of an agent's error output that says why it exited: the last one that names an error
 * ("error: unknown option '--x'", "Error: ENOENT …", "ValueError: …", "fatal: …", a panic). None
 * when no line does: a startup note on stderr ("Reading additional input from stdin...") says
 * nothing about the exit.
 */
export function exitCause(stderr: readonly string[]): string | undefined {
  const line = stderr
    .map((l) => l.trim())
    .filter((l) => /(?:error|exception)\b|\bfatal\b|\bpanick?(?:ed)?\b/i.test(l))
    .at(-1);
  return line && line.length > SAID_MAX ? `${line.slice(0, SAID_MAX - 1)}…` : line;
}
/**
 * The most of the task's text (its id, its title) that goes into one environment variable. Linux
 * refuses to start a process with any one variable over 128 KB (E2BIG), and a plan's line can be
 * longer; the whole text is in the prompt anyway.
 */
export const ENV_TEXT_MAX = 4096;

/** The variables every agent gets: which task, which attempt (and repair of it), where the prompt is. */
export function taskwaveEnv(req: AgentRequest): Record<string, string> {
  return {
    TASKWAVE_TASK_ID: capEnvText(req.task.id),
    TASKWAVE_TASK_TITLE: capEnvText(req.task.title),
    TASKWAVE_PROMPT_FILE: req.promptFile,
    TASKWAVE_ATTEMPT: String(req.attempt),
    TASKWAVE_REPAIR: String(req.repair ?? 0),
    TASKWAVE_RUN_ID: req.runId,
  };
}

/** `text` cut to `ENV_TEXT_MAX` characters with `…` at the end, never between a surrogate pair. */
export function capEnvText(text: string): string {
  if (text.length <= ENV_TEXT_MAX) return text;
  let end = ENV_TEXT_MAX - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${text.slice(0, end)}…`;
}

/**
 * Run an agent process in the workspace and turn its exit and output into the task's result: a
 * timeout, a cancel or a failed start are what they are; a non-zero exit is `agent-exit` with the
 * output's tail unless the agent said why it failed; a clean exit is what the parser makes of it.
 */
export async function runAgentProcess(
  inv: Invocation,
  configEnv: Record<string, string> | undefined,
  parser: StreamParser,
  req: AgentRequest,
): Promise<Result<AgentSuccess, TaskError>> {
  const tail: string[] = [];
  const errTail: string[] = [];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...configEnv,
    ...inv.env,
    ...taskwaveEnv(req),
  };
  const result = await runInProcessGroup(inv.argv, {
    cwd: req.cwd,
    env,
    input: inv.input,
    timeoutMs: req.timeoutMs,
    signal: req.signal,
    killGraceMs: req.killGraceMs,
    onLine: (line, stream) => {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
      if (stream === 'stderr') {
        errTail.push(line);
        if (errTail.length > OUTPUT_TAIL_LINES) errTail.shift();
      }
      req.onOutput(line, stream);
      if (stream === 'stdout') parser.line(line);
    },
  });
  switch (result.kind) {
    case 'exited': {
      const out = parser.outcome();
      const paid = out.usage ? { usage: out.usage } : {};
      if (out.error !== undefined)
        return err({ reason: 'agent-error', message: out.error, sessionId: out.sessionId, ...paid });
      if (result.exitCode !== 0) {
        const said = exitCause(errTail);
        return err({
          reason: 'agent-exit',
          exitCode: result.exitCode,
          signal: result.signal,
          outputTail: tail.join('\n'),
          ...(said ? { said } : {}),
        });
      }
      if (out.incomplete !== undefined) {
        return err({ reason: 'agent-error', message: out.incomplete, sessionId: out.sessionId, ...paid });
      }
      return ok({
        ...(out.summary ? { summary: out.summary } : {}),
        ...(out.usage ? { usage: out.usage } : {}),
        ...(out.sessionId ? { sessionId: out.sessionId } : {}),
      });
    }
    case 'timeout': {
      const { retrying } = parser.outcome();
      return err({ reason: 'timeout', timeoutMs: req.timeoutMs ?? 0, ...(retrying ? { retrying } : {}) });
    }
    case 'aborted':
      return err({ reason: 'cancelled' });
    case 'spawn-failed':
      return err({ reason: 'spawn-failed', message: `${inv.argv[0]}: ${result.message}` });
    default: {
      const never: never = result;
      return never;
    }
  }
}

/** Hands activities to the request, if it listens. */
export function parserContext(req: AgentRequest): ParserContext {
  return { cwd: req.cwd, emit: (a) => (a.text ? req.onActivity?.(a) : undefined) };
}
