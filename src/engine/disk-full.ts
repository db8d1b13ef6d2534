import { statfsSync } from 'node:fs';
import type { Logger, RunEvent } from '../events.js';

/** What a full disk (or quota) says: Node's error codes, and git's and the shell's words. */
const FULL = /\b(?:ENOSPC|EDQUOT)\b|no space left on device|out of diskspace|disk quota exceeded/i;

/** Below this, a disk counts as full: git cannot write a commit's objects, nor an agent its files. */
const NEARLY_NOTHING = 1024 * 1024;

export function saysDiskFull(message: string): boolean {
  return FULL.test(message);
}

/** Bytes this process may still write on the disk holding `path` (root may use the reserved ones too). */
export function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return (process.getuid?.() === 0 ? s.bfree : s.bavail) * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Asks the scheduler to start nothing more once a task fails, or a task's gate fails, because the
 * disk is full: every task after it would fail the same way, each after its agent's work (and
 * cost). A failure says so in its message, or the disk has next to nothing left when a task fails
 * (git's own words for it are often only "unable to write file"). Running tasks finish or fail on
 * their own.
 */
export class DiskFullWatch implements Logger {
  private seen = false;

  constructor(
    private readonly halt: (reason: string) => void,
    /** Bytes left on the disk the run writes to. */
    private readonly free: () => number | undefined = () => undefined,
  ) {}

  log(e: RunEvent): void {
    if (this.seen) return;
    const said =
      e.type === 'task-failed'
        ? { taskId: e.taskId, message: e.message }
        : e.type === 'gate-finished' && !e.result.ok && e.scope.kind === 'task'
          ? { taskId: e.scope.taskId, message: e.result.message ?? '' }
          : undefined;
    if (said === undefined) return;
    let why: string | undefined;
    if (saysDiskFull(said.message)) {
      why = `${said.taskId} failed for it`;
    } else if (e.type === 'task-failed') {
      const left = this.free();
      if (left !== undefined && left < NEARLY_NOTHING)
        why = `${Math.floor(left / 1024)} KB left when ${said.taskId} failed`;
    }
    if (why === undefined) return;
    this.seen = true;
    this.halt(`the disk is full (${why}); no new task starts: free some space and run again`);
  }

  close(): void {}
}
