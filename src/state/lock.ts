import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { err, ok, type Result } from '../result.js';
import { isProcessAlive } from '../util/process-alive.js';

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface Lock {
  release(): void;
}

/**
 * One run per repository at a time. The lock file names its owner; a lock whose process is gone
 * (on this host) is stale and taken over, so a crash never leaves the repository locked.
 */
export function acquireLock(path: string, command: string): Result<Lock, Diagnostic> {
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${JSON.stringify(info)}\n`);
      closeSync(fd);
      let released = false;
      return ok({
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch {}
        },
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        return err(errorAt(undefined, `cannot create lock ${path}: ${(e as Error).message}`));
      }
      const holder = readLock(path);
      if (holder && isAlive(holder)) {
        return err(
          errorAt(
            undefined,
            `another taskwave run holds this repository (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}: ${holder.command}); wait for it or stop it`,
          ),
        );
      }
      try {
        unlinkSync(path);
      } catch {}
    }
  }
  return err(errorAt(undefined, `cannot take the lock ${path}`));
}

export function readLock(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

export function isAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true; // cannot tell; assume it is running
  return isProcessAlive(info.pid);
}
