import type { Logger, RunEvent } from '../events.js';
import type { Plan, PlanFormat } from '../plan/types.js';
import type { ExecutionState } from './execution.js';

/** Events after which a format's own books change. */
const MOVES = new Set<RunEvent['type']>([
  'run-started',
  'task-started',
  'task-succeeded',
  'task-failed',
  'task-blocked',
  'task-cancelled',
  'run-finished',
]);

/**
 * Keeps the books a plan format defines for itself (a specs tree's `.claude/execution/execution.json`,
 * a platform-mode execution log, a phase document's status line) in step with the run. Writes go one
 * at a time; events that arrive during a write fold into one more write with the newest state.
 * Runs after `Books` in the fan-out, so the state it reads already holds the event.
 */
export class PlanBooks implements Logger {
  private running: Promise<void> = Promise.resolve();
  private pending = false;
  private warned = false;
  /** The files the format's books are kept in (absolute), as `recordProgress` named them this run. */
  readonly files = new Set<string>();

  constructor(
    private readonly format: PlanFormat,
    private readonly plan: Plan,
    private readonly state: ExecutionState,
    private readonly warn: (message: string) => void,
  ) {}

  log(event: RunEvent): void {
    if (!this.format.recordProgress || !MOVES.has(event.type)) return;
    if (this.pending) return;
    this.pending = true;
    this.running = this.running.then(() => this.write());
  }

  private async write(): Promise<void> {
    this.pending = false;
    const record = this.format.recordProgress;
    if (!record) return;
    try {
      const r = await record.call(this.format, this.plan, this.state);
      if (!r.ok) this.warnOnce(r.error.message);
      else if (r.value !== undefined) this.files.add(r.value);
    } catch (e) {
      this.warnOnce(e instanceof Error ? e.message : String(e));
    }
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.warn(`could not update the ${this.format.name} plan's own books: ${message}`);
  }

  /** Resolves when every write asked for so far is on disk. */
  async flush(): Promise<void> {
    await this.running;
  }

  close(): void {}
}
