import { formatDuration } from '../events.js';
import { cutText } from '../util/cut-text.js';
import { faultPoint } from '../util/fault.js';
import { runInProcessGroup } from '../util/process-group.js';
import { displayCommand } from './specs.js';
import type { GateResult, GateSpec } from './types.js';

export interface RunGateOptions {
  cwd: string;
  env: Record<string, string>;
  signal?: AbortSignal;
  /** Time between SIGINT, SIGTERM and SIGKILL when the gate times out or the run is stopped. */
  killGraceMs?: number;
  /** Hides secret values in each output line before it is kept. */
  redact?: (text: string) => string;
  /** How many of the last output lines the result keeps. */
  tailLines?: number;
  /** Each output line as it comes (redacted), for a live view. */
  onLine?: (line: string) => void;
}

/**
 * One line of a minified bundle or a base64 blob can be megabytes; the tail goes into a prompt and
 * the books, so each line is cut.
 */
const MAX_LINE = 2000;

/**
 * Run one gate command in `cwd` (its own process group, so a timeout reaches the test runner's
 * children too) and keep the tail of its stdout and stderr, interleaved as they came.
 */
export async function runGate(spec: GateSpec, opts: RunGateOptions): Promise<GateResult> {
  const redact = opts.redact ?? ((t: string) => t);
  const max = Math.max(1, opts.tailLines ?? 40);
  const tail: string[] = [];
  const command = displayCommand(spec.command);
  // A string is the user's own config, written for a shell (pipes, `&&`, globs): give it one.
  const argv = typeof spec.command === 'string' ? ['sh', '-c', spec.command] : spec.command;
  faultPoint('gate:start');
  const started = performance.now();
  const outcome = await runInProcessGroup(argv, {
    cwd: opts.cwd,
    env: opts.env,
    timeoutMs: spec.timeoutMs,
    signal: opts.signal,
    killGraceMs: opts.killGraceMs,
    onLine: (raw) => {
      // Masked whole, then cut: a secret across the cut would leave its start unmasked.
      const line = cutText(redact(raw), MAX_LINE);
      tail.push(line);
      if (tail.length > max) tail.shift();
      opts.onLine?.(line);
    },
  });
  const durationMs = Math.round(performance.now() - started);
  const base = { name: spec.name, command, durationMs, outputTail: tail.join('\n') };
  switch (outcome.kind) {
    case 'exited': {
      const ok = outcome.exitCode === 0;
      const result: GateResult = { ...base, ok, exitCode: outcome.exitCode };
      if (!ok) result.message = outcome.signal ? `killed by ${outcome.signal}` : `exit ${outcome.exitCode}`;
      return result;
    }
    case 'timeout':
      return {
        ...base,
        ok: false,
        exitCode: null,
        timedOut: true,
        message: `timed out after ${formatDuration(spec.timeoutMs ?? durationMs)}`,
      };
    case 'aborted':
      return { ...base, ok: false, exitCode: null, message: 'cancelled' };
    case 'spawn-failed':
      return { ...base, ok: false, exitCode: null, message: `could not start: ${redact(outcome.message)}` };
    default: {
      const never: never = outcome;
      return never;
    }
  }
}
