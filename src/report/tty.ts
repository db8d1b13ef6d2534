import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import { formatClock } from '../agents/usage-limit.js';
import { formatDuration, type Logger, type RunEvent } from '../events.js';
import { formatLocation } from '../plan/diagnostic.js';
import { isOpen, writeIfOpen } from '../util/closed-output.js';
import { plainLine } from './plain.js';
import { renderSummary } from './summary.js';
import { terminalEvent } from './terminal-event.js';

interface Running {
  title: string;
  since: number;
  attempt: number;
  lastAction: string;
  /** Set once the agent reports structured activity: raw output lines then stop replacing it. */
  structured: boolean;
}

const REFRESH_MS = 100;

/**
 * The live terminal view: finished tasks scroll by as lines; below them, redrawn in place, the
 * running tasks with elapsed time and each agent's latest output, the counts and a progress bar.
 */
export class TtyLogger implements Logger {
  private readonly out: NodeJS.WriteStream;
  private readonly update: ReturnType<typeof createLogUpdate>;
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | undefined;
  private total = 0;
  private finished = 0;
  private failed = 0;
  private blocked = 0;
  private startedAt = Date.now();
  private note = '';

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.out = out;
    this.update = createLogUpdate(out);
  }

  log(raw: RunEvent): void {
    const e = terminalEvent(raw);
    switch (e.type) {
      case 'run-started':
        this.total = e.toRun;
        this.startedAt = Date.now();
        this.print(pc.bold(plainLine(e) ?? ''));
        this.timer = setInterval(() => this.render(), REFRESH_MS);
        this.timer.unref();
        break;
      case 'task-started':
        this.running.set(e.taskId, {
          title: e.title,
          since: Date.now(),
          attempt: e.attempt,
          lastAction: '',
          structured: false,
        });
        break;
      case 'task-output': {
        const r = this.running.get(e.taskId);
        if (r && !r.structured && e.line.trim()) r.lastAction = e.line.trim();
        break;
      }
      case 'task-activity': {
        // An agent's JSON events are not for reading; its latest normalised action is.
        const r = this.running.get(e.taskId);
        if (r && e.text.trim()) {
          r.structured = true;
          r.lastAction = e.kind === 'error' ? `error: ${e.text.trim()}` : e.text.trim();
        }
        break;
      }
      case 'task-succeeded':
        this.running.delete(e.taskId);
        this.finished++;
        this.print(`${pc.green('✔')} ${pc.bold(e.taskId)} ${e.title} ${pc.dim(formatDuration(e.durationMs))}`);
        break;
      case 'task-failed':
        this.running.delete(e.taskId);
        this.failed++;
        this.print(`${pc.red('✖')} ${pc.bold(e.taskId)} ${e.title} ${pc.red(e.message)}`);
        break;
      case 'task-blocked':
        this.blocked++;
        this.print(`${pc.yellow('⊘')} ${pc.bold(e.taskId)} ${e.title} ${pc.yellow(`blocked by ${e.blockedBy}`)}`);
        break;
      case 'task-cancelled':
        this.running.delete(e.taskId);
        this.print(`${pc.yellow('◌')} ${pc.bold(e.taskId)} ${e.title} ${pc.yellow('stopped')}`);
        break;
      case 'interrupt':
        this.note = e.message;
        this.render();
        break;
      case 'warning':
        this.print(pc.yellow(`${e.location ? `${formatLocation(e.location)}: ` : ''}warning: ${e.message}`));
        break;
      case 'gate-finished':
      case 'task-retry':
      case 'task-rebased':
      case 'run-stopping': {
        const line = plainLine(e);
        if (line) this.print(e.type === 'gate-finished' && e.result.ok ? pc.dim(line) : pc.yellow(line));
        break;
      }
      case 'agent-auth-failed':
        this.print(pc.yellow(plainLine(e) ?? ''));
        break;
      case 'usage-limit': {
        const r = e.taskId !== undefined ? this.running.get(e.taskId) : undefined;
        if (r && e.until !== undefined)
          r.lastAction = `waiting for ${e.agent}'s usage limit, until ${formatClock(e.until)}`;
        this.print(pc.yellow(plainLine(e) ?? ''));
        break;
      }
      case 'agent-finished':
        break;
      case 'run-finished':
        this.stop();
        writeIfOpen(this.out, `\n${renderSummary(e.summary, { color: true, width: this.out.columns })}\n`);
        break;
      default: {
        const never: never = e;
        throw new Error(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  close(): void {
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (isOpen(this.out)) this.update.clear();
  }

  /** A permanent line above the live block. */
  private print(line: string): void {
    // A terminal closed under a running run: the run goes on, its books are the record.
    if (!isOpen(this.out)) return;
    this.update.clear();
    this.out.write(`${line}\n`);
    this.render();
  }

  private render(): void {
    if (!this.timer || !isOpen(this.out)) return;
    const width = Math.max(40, (this.out.columns || 100) - 1);
    const now = Date.now();
    const lines: string[] = [];
    for (const [id, r] of this.running) {
      const head = `${pc.cyan('▶')} ${pc.bold(id)} ${r.title}`;
      const time = pc.dim(` ${formatDuration(now - r.since)}${r.attempt > 1 ? ` attempt ${r.attempt}` : ''}`);
      lines.push(truncate(head, width - 16) + time);
      if (r.lastAction) lines.push(pc.dim(`    ${truncate(r.lastAction, width - 4)}`));
    }
    const done = this.finished + this.failed + this.blocked;
    const barW = Math.min(30, Math.max(10, width - 60));
    const filled = this.total > 0 ? Math.round((done / this.total) * barW) : barW;
    const bar = pc.green('█'.repeat(filled)) + pc.dim('░'.repeat(barW - filled));
    const counts = [
      `${this.finished}/${this.total} done`,
      `${this.running.size} running`,
      ...(this.failed ? [pc.red(`${this.failed} failed`)] : []),
      ...(this.blocked ? [pc.yellow(`${this.blocked} blocked`)] : []),
    ].join(', ');
    lines.push(`${bar} ${counts} ${pc.dim(formatDuration(now - this.startedAt))}`);
    if (this.note) lines.push(pc.yellow(this.note));
    this.update(lines.join('\n'));
  }
}

/** Cut to `max` visible characters; escape codes are not counted. */
function truncate(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes to measure width
  const visible = text.replace(/\u001b\[[0-9;]*m/g, '');
  if (visible.length <= max) return text;
  return `${visible.slice(0, Math.max(0, max - 1))}…`;
}
