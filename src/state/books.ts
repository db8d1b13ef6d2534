import type { Logger, RunEvent } from '../events.js';
import { faultPoint } from '../util/fault.js';
import { applyEvent, type ExecutionState, isJournaled, isProgressNote, writeExecution } from './execution.js';
import { Journal } from './journal.js';
import type { StatePaths } from './paths.js';

const SNAPSHOT_DELAY_MS = 200;

/**
 * Keeps the books of a run: every event is appended to the journal before anything else sees it,
 * and fsync'd then unless it is only a note of progress (`isProgressNote`), which goes to disk with
 * the next event or snapshot. The `execution.json` snapshot follows shortly after (batched, so a
 * plan of thousands of tasks does not rewrite it thousands of times).
 *
 * When a write fails (the disk is full, or went read-only), the books stop where they are, as a crash
 * at that moment would leave them (which the next run knows how to resume from), and `onFailure` is
 * told once: a run whose books cannot be kept must stop. Events still reach the state in memory.
 */
export class Books implements Logger {
  private readonly journal: Journal;
  private timer: NodeJS.Timeout | undefined;
  /** Why the books stopped being written. */
  private stoppedBy: Error | undefined;

  constructor(
    private readonly paths: StatePaths,
    readonly state: ExecutionState,
    private readonly onFailure: (error: Error) => void = (e) => {
      throw e;
    },
  ) {
    this.journal = new Journal(paths.journal);
    this.flush();
  }

  /** Why the books stopped being written, if they did. */
  failure(): Error | undefined {
    return this.stoppedBy;
  }

  log(event: RunEvent): void {
    if (!isJournaled(event)) return;
    const entry = { ...event, time: new Date().toISOString(), runId: this.state.runId };
    this.keep(() => this.journal.append(entry, !isProgressNote(event)));
    applyEvent(this.state, entry);
    if (event.type === 'run-finished' || event.type === 'run-started') this.flush();
    else if (!this.timer && !this.stoppedBy) this.timer = setTimeout(() => this.flush(), SNAPSHOT_DELAY_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.keep(() => {
      faultPoint('snapshot');
      // The snapshot says how much of the journal it holds: that much must be on disk before it is.
      this.journal.sync();
      this.state.journalOffset = this.journal.size();
      writeExecution(this.paths.execution, this.state);
    });
  }

  close(): void {
    this.flush();
    this.journal.close();
  }

  /** Run a write of the books, unless they stopped; a failure stops them. */
  private keep(write: () => void): void {
    if (this.stoppedBy) return;
    try {
      write();
    } catch (e) {
      this.stoppedBy = e instanceof Error ? e : new Error(String(e));
      this.onFailure(this.stoppedBy);
    }
  }
}
