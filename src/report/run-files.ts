/**
 * Writes a run's files for people: `status.md` as the run goes, `report.md` (and the `--junit` file)
 * when it ends. It reads the books' `ExecutionState`, so the caller must hand it each event after the
 * books have applied it (put it after `Books` in the fanout).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger, RunEvent } from '../events.js';
import type { ExecutionState } from '../state/execution.js';
import { type AtomicWriteOptions, writeFileAtomic } from '../util/atomic-write.js';
import { terminalText } from '../util/terminal-text.js';
import { renderJUnit } from './junit.js';
import { type ReportPlan, renderReport } from './report-md.js';
import { renderStatus } from './status-md.js';

export interface RunFilesOptions {
  /** `.taskwave/runs/<run>`; must exist. */
  runDir: string;
  state: ExecutionState;
  plan: ReportPlan;
  /** How long `status.md` waits for more events before it is rewritten. */
  statusDebounceMs?: number;
  /** `--junit FILE`: written when the run ends; its folder is created. */
  junitPath?: string;
  retryCommand: (ids: string[]) => string;
  resumeCommand?: string;
  /** A file could not be written. The run goes on: these files are for people, the books are elsewhere. */
  warn?: (message: string) => void;
  /** The clock, for tests. */
  now?: () => Date;
}

export class RunFiles implements Logger {
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private readonly now: () => Date;
  private readonly warn: (message: string) => void;

  constructor(private readonly o: RunFilesOptions) {
    this.now = o.now ?? (() => new Date());
    this.warn = o.warn ?? ((m) => process.stderr.write(`taskwave: warning: ${m}\n`));
  }

  get statusPath(): string {
    return join(this.o.runDir, 'status.md');
  }

  get reportPath(): string {
    return join(this.o.runDir, 'report.md');
  }

  log(e: RunEvent): void {
    // Raw output and activity change nothing the files show (the books do not keep them).
    if (e.type === 'task-output' || e.type === 'task-activity') return;
    if (e.type === 'run-finished') {
      this.finish(e.summary.durationMs);
      return;
    }
    if (this.finished || this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.o.statusDebounceMs ?? 200);
    // A pending rewrite of status.md must not keep the process alive after the run.
    this.timer.unref();
  }

  /** Write a pending `status.md` now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.write(this.statusPath, () => renderStatus(this.o.state, this.o.plan, this.now()), { durable: false });
  }

  /**
   * A run that ends without `run-finished` (an error on the way out) still leaves a report of what
   * happened; after `run-finished` there is nothing left to write.
   */
  close(): void {
    if (!this.finished) this.finish();
  }

  private finish(durationMs?: number): void {
    this.finished = true;
    this.flush();
    const { state, plan, retryCommand, resumeCommand } = this.o;
    this.write(this.reportPath, () => renderReport({ state, plan, retryCommand, resumeCommand, durationMs }));
    const junit = this.o.junitPath;
    if (junit) {
      this.write(junit, () => {
        mkdirSync(dirname(junit), { recursive: true });
        return renderJUnit(state, plan);
      });
    }
  }

  private write(path: string, render: () => string, o?: AtomicWriteOptions): void {
    try {
      // People `cat` these files: escape sequences from titles or agents' messages are shown, not obeyed.
      writeFileAtomic(path, terminalText(render()), o);
    } catch (e) {
      this.warn(`could not write ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
