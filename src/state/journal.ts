import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import type { RunEvent } from '../events.js';
import { faultPoint } from '../util/fault.js';
import { timedSync } from '../util/timings.js';
import { writeAllSync } from '../util/write-all.js';

export type JournalEntry = RunEvent & { time: string; runId: string };

/**
 * Append-only event log, one JSON object a line: the record that survives a crash. An append that
 * is `durable` is fsync'd before it returns, with every append before it; the others reach the disk
 * with the next such append or `sync` (a run of gate results costs one fsync, not one each).
 * `execution.json` is a snapshot of it that can lag behind.
 */
export class Journal {
  private fd: number;
  /** Appended since the last fsync. */
  private unsynced = false;
  /** Bytes in the file: only this process appends to it (the run holds the lock). */
  private bytes: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
    this.bytes = fstatSync(this.fd).size;
  }

  /** Current size in bytes: the snapshot remembers it to replay only what came after. */
  size(): number {
    return this.bytes;
  }

  append(entry: JournalEntry, durable = true): void {
    faultPoint('journal:before');
    timedSync('journal append + fsync', () => {
      const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
      try {
        writeAllSync(this.fd, line);
      } catch (e) {
        // A line cut short (a full disk) would swallow the next one written after it: take it back.
        try {
          ftruncateSync(this.fd, this.bytes);
        } catch {}
        throw e;
      }
      this.bytes += line.length;
      this.unsynced = true;
      if (durable) this.sync();
    });
    faultPoint('journal:after');
  }

  /** Everything appended so far, on disk. */
  sync(): void {
    if (!this.unsynced) return;
    fsyncSync(this.fd);
    this.unsynced = false;
  }

  close(): void {
    try {
      this.sync();
      closeSync(this.fd);
    } catch {}
  }
}

/** Entries from byte `offset` on. A torn last line (a crash mid-write) is ignored. */
export function readJournal(path: string, offset = 0): JournalEntry[] {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return [];
  }
  const out: JournalEntry[] = [];
  for (const line of buf.subarray(offset).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // torn write at the end of the file
    }
  }
  return out;
}
