import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger, RunEvent } from '../events.js';

/** Each task's full agent output, in `.taskwave/logs/<run>/<task>.log`. */
export class TaskLogs implements Logger {
  private readonly open = new Map<string, WriteStream>();
  readonly dir: string;

  constructor(logsDir: string, runId: string) {
    this.dir = join(logsDir, runId);
  }

  pathFor(taskId: string): string {
    return join(this.dir, `${taskId.replace(/[^\w.-]/g, '_')}.log`);
  }

  log(e: RunEvent): void {
    switch (e.type) {
      case 'task-started': {
        mkdirSync(this.dir, { recursive: true });
        this.open.get(e.taskId)?.end();
        const s = createWriteStream(this.pathFor(e.taskId), { flags: 'a' });
        s.write(`--- attempt ${e.attempt} (${e.agent}) started ${new Date().toISOString()}\n`);
        this.open.set(e.taskId, s);
        break;
      }
      case 'task-output':
        this.open.get(e.taskId)?.write(e.stream === 'stderr' ? `[stderr] ${e.line}\n` : `${e.line}\n`);
        break;
      case 'task-succeeded':
      case 'task-failed':
      case 'task-cancelled': {
        const s = this.open.get(e.taskId);
        if (s) {
          s.end(`--- ${e.type.replace('task-', '')} ${new Date().toISOString()}\n`);
          this.open.delete(e.taskId);
        }
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
