import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { LONGEST_TIMER_MS } from './sleep.js';

export interface GroupRunOptions {
  cwd: string;
  env: Record<string, string>;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
  /** Aborting stops the child: SIGINT, then SIGTERM, then SIGKILL to its whole process group. */
  signal?: AbortSignal;
  /** Time between escalation steps. */
  killGraceMs?: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Lines longer than this are handed on in pieces this long (default `MAX_LINE_CHARS`). */
  maxLineChars?: number;
}

/** Process groups started here and still running: a second Ctrl-C kills them all at once. */
const liveGroups = new Set<number>();

export function killAllProcessGroups(): void {
  for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
  liveGroups.clear();
}

export type GroupRunResult =
  | { kind: 'exited'; exitCode: number | null; signal: string | null }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'spawn-failed'; message: string };

/**
 * Run argv in its own process group, so that a timeout or Ctrl-C reaches everything the child
 * started (an agent's shells, its test runners), not only the child itself. argv is passed to the
 * OS as an array: no shell ever sees it.
 */
export async function runInProcessGroup(argv: readonly string[], opts: GroupRunOptions): Promise<GroupRunResult> {
  const [file, ...args] = argv;
  if (!file) return { kind: 'spawn-failed', message: 'empty command' };

  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    return { kind: 'spawn-failed', message: (e as Error).message };
  }

  if (child.pid) liveGroups.add(child.pid);
  const grace = opts.killGraceMs ?? 5000;
  let stopReason: 'timeout' | 'aborted' | undefined;
  let escalation: NodeJS.Timeout | undefined;
  let exited = false;
  const stop = (reason: 'timeout' | 'aborted') => {
    if (stopReason || exited) return;
    stopReason = reason;
    const steps: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
    const next = () => {
      const sig = steps.shift();
      if (!sig || exited) return;
      signalGroup(child.pid, sig);
      if (steps.length > 0) escalation = setTimeout(next, grace);
    };
    next();
  };

  // A longer timeout waits this long (about 24.8 days): Node would fire it after 1 ms.
  const timer = opts.timeoutMs
    ? setTimeout(() => stop('timeout'), Math.min(opts.timeoutMs, LONGEST_TIMER_MS))
    : undefined;
  const onAbort = () => stop('aborted');
  if (opts.signal) {
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  }

  const maxLine = opts.maxLineChars ?? MAX_LINE_CHARS;
  const stdoutDone = pumpLines(child.stdout, 'stdout', opts.onLine, maxLine);
  const stderrDone = pumpLines(child.stderr, 'stderr', opts.onLine, maxLine);
  child.stdin?.on('error', () => {}); // a child that exits without reading its stdin is not an error
  child.stdin?.end(opts.input ?? '');

  try {
    const outcome = await new Promise<GroupRunResult>((resolve) => {
      child.once('error', (e) => resolve({ kind: 'spawn-failed', message: e.message }));
      child.once('exit', (code, sig) => resolve({ kind: 'exited', exitCode: code, signal: sig }));
    });
    exited = true;
    if (child.pid) liveGroups.delete(child.pid);
    // Whatever the child left running in its group (a dev server, a stuck test runner) must not
    // outlive the task, nor hold its output pipes open.
    signalGroup(child.pid, 'SIGKILL');
    const drained = await Promise.race([
      Promise.all([stdoutDone, stderrDone]).then(() => true),
      delay(2000).then(() => false),
    ]);
    // A process that left the group (setsid, a daemon) and kept the pipes is out of reach of the
    // kill: let go of our ends, or their open handles keep taskwave from exiting for as long as
    // it lives (the run over, its summary printed, the shell never given back).
    if (!drained) {
      // One turn of the event loop first: what is in the pipes already (a loop that stalled past the
      // wait) is read before they are let go.
      await new Promise<void>((r) => setImmediate(r));
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    if (outcome.kind === 'spawn-failed') return outcome;
    if (stopReason) return { kind: stopReason };
    return outcome;
  } finally {
    if (timer) clearTimeout(timer);
    if (escalation) clearTimeout(escalation);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The longest line handed on whole. A process that never ends its line (a progress bar redrawn
 * with \r all night) would otherwise be held in memory whole; longer lines go on in pieces this
 * long. Far above any one JSON event an agent prints (a Write of a large file included).
 */
export const MAX_LINE_CHARS = 32 * 1024 * 1024;

function pumpLines(
  stream: Readable | null,
  name: 'stdout' | 'stderr',
  onLine: GroupRunOptions['onLine'],
  maxLineChars: number,
): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise<void>((resolve) => {
    // The line so far, in the pieces it came in: each chunk is searched once, so a long line costs
    // its length, not its length times the number of chunks it came in.
    let pieces: string[] = [];
    let held = 0;
    // However the output was cut into chunks, a line goes on as pieces of maxLineChars and the rest.
    const emit = (line: string) => {
      let rest = line;
      for (; rest.length > maxLineChars; rest = rest.slice(maxLineChars)) onLine?.(rest.slice(0, maxLineChars), name);
      onLine?.(rest.replace(/\r$/, ''), name);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
        pieces.push(chunk.slice(start, nl));
        emit(pieces.join(''));
        pieces = [];
        held = 0;
        start = nl + 1;
      }
      if (start < chunk.length) {
        pieces.push(chunk.slice(start));
        held += chunk.length - start;
      }
      if (held > maxLineChars) {
        // Held no longer than it must be: all but the last piece goes on now.
        const line = pieces.join('');
        const keep = line.length - (((line.length - 1) % maxLineChars) + 1);
        for (let at = 0; at < keep; at += maxLineChars) onLine?.(line.slice(at, at + maxLineChars), name);
        pieces = [line.slice(keep)];
        held = line.length - keep;
      }
    });
    const finish = () => {
      const rest = pieces.join('');
      pieces = [];
      held = 0;
      if (rest) emit(rest);
      resolve();
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}
