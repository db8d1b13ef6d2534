import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { faultPoint } from './fault.js';
import { writeAllSync } from './write-all.js';

/** Folders whose files need no fsync: scratch checkouts whose content goes into a git commit. */
const scratch = new Set<string>();

/**
 * Writes under `dir` stay atomic but skip their fsyncs: the merge queue's checkout, where a tick is
 * committed to git right after it is written (git does not fsync what it reads from there either)
 * and a crash throws the whole checkout away. Returns the undo.
 */
export function markScratch(dir: string): () => void {
  const full = resolve(dir);
  const key = full.endsWith(sep) ? full : full + sep;
  scratch.add(key);
  return () => scratch.delete(key);
}

function durable(path: string): boolean {
  const full = resolve(path);
  for (const dir of scratch) if (full.startsWith(dir)) return false;
  return true;
}

export interface AtomicWriteOptions {
  /**
   * False for a file that is rewritten every few hundred milliseconds for people to look at (a
   * run's `status.md`): still never a mix, but not worth two fsyncs each time.
   */
  durable?: boolean;
}

/**
 * Replace `path` with `data` so that a reader (or a crash) sees either the old file or the new one,
 * never a mix: write a temp file beside it, fsync, rename over, fsync the folder. Keeps the old
 * file's permission bits.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    // New file: default mode.
  }
  const sync = o.durable !== false && durable(path);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeAllSync(fd, data);
    if (sync) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
  closeSync(fd);
  faultPoint('atomic:before-rename');
  renameSync(tmp, path);
  if (sync) fsyncDir(dir);
  faultPoint('atomic:after-rename');
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
