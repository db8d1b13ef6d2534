import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger, RunEvent } from '../events.js';

/**
 * Each task's full agent output, in `.taskwave/logs/<run>/<task>.jsonl`: one JSON record per line —
 * an attempt starting and ending, every line the agent printed (`out`/`err`, as printed, so an agent's
 * own JSON events stay intact inside it), and the normalised activity taken from them.
 */
export class TaskLogs implements Logger {
  private readonly open = new Map<string, WriteStream>();
  readonly dir: string;
  /** A write failed (a full disk): told once, and no more logs are written this run. */
  private failed = false;

  constructor(
    logsDir: string,
    runId: string,
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.dir = join(logsDir, runId);
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.close();
    this.warn(
      `could not write the agents' logs in ${this.dir} (${e instanceof Error ? e.message : String(e)}); the run goes on without them`,
    );
  }

  pathFor(taskId: string): string {
    return join(this.dir, `${taskId.replace(/[^\w.-]/g, '_')}.jsonl`);
  }

  private write(taskId: string, record: Record<string, unknown>): void {
    this.open.get(taskId)?.write(`${JSON.stringify({ t: new Date().toISOString(), ...record })}\n`);
  }

  log(e: RunEvent): void {
    if (this.failed) return;
    switch (e.type) {
      case 'task-started': {
        this.open.get(e.taskId)?.end();
        try {
          mkdirSync(this.dir, { recursive: true });
        } catch (error) {
          this.fail(error);
          return;
        }
        // A write that fails later (the disk filled up) is told here, not thrown at the process.
        const stream = createWriteStream(this.pathFor(e.taskId), { flags: 'a' }).on('error', (error) =>
          this.fail(error),
        );
        this.open.set(e.taskId, stream);
        this.write(e.taskId, { event: 'start', attempt: e.attempt, agent: e.agent });
        break;
      }
      case 'task-output':
        this.write(e.taskId, { [e.stream === 'stderr' ? 'err' : 'out']: e.line });
        break;
      case 'task-activity':
        this.write(e.taskId, { activity: e.kind, text: e.text });
        break;
      case 'task-succeeded':
      case 'task-failed':
      case 'task-cancelled': {
        this.write(e.taskId, { event: e.type.replace('task-', ''), ...('message' in e ? { error: e.message } : {}) });
        this.open.get(e.taskId)?.end();
        this.open.delete(e.taskId);
        break;
      }
      default:
        break;
    }
  }

  close(): void {
    for (const s of this.open.values()) s.end();
    this.open.clear();
  }
}
