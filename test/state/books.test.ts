import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../src/events.js';
import { Books } from '../../src/state/books.js';
import { loadExecution } from '../../src/state/execution.js';
import { ensureStateDir, type StatePaths, statePaths } from '../../src/state/paths.js';
import { gate, stateWith } from '../report/fixture.js';

/*
 * The journal is what a run is rebuilt from after a crash. An event that moves the run on (a task
 * started, finished, a retry) is on disk before anything else sees it; a note of progress (a gate's
 * result, the agent's activity) goes to disk with the next such event or snapshot, so a task's
 * gates do not cost an fsync each. A snapshot never counts journal lines that are not on disk.
 */

/** The inode of every file fsync'd, in order (the journal is told apart from the snapshot by it). */
const synced = vi.hoisted(() => [] as bigint[]);
/** Bytes the disk still takes: a write gets what fits (a short write), then ENOSPC. */
const disk = vi.hoisted(() => ({ left: Number.POSITIVE_INFINITY }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    fsyncSync: (fd: number) => {
      synced.push(fs.fstatSync(fd, { bigint: true }).ino);
      fs.fsyncSync(fd);
    },
    writeSync: (fd: number, buf: Uint8Array, offset = 0, length = buf.length - offset) => {
      if (disk.left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = Math.min(length, disk.left);
      disk.left -= n;
      return fs.writeSync(fd, buf, offset, n);
    },
  };
});

const dirs: string[] = [];
afterEach(() => {
  disk.left = Number.POSITIVE_INFINITY;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function books(onFailure?: (e: Error) => void): { books: Books; paths: StatePaths; journalSyncs: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-books-'));
  dirs.push(dir);
  const paths = statePaths(dir);
  ensureStateDir(paths);
  const b = new Books(paths, stateWith({}, { status: 'running' }), onFailure);
  const ino = statSync(paths.journal, { bigint: true }).ino;
  synced.length = 0;
  return { books: b, paths, journalSyncs: () => synced.filter((i) => i === ino).length };
}

const gateDone = (name: string): RunEvent => ({
  type: 'gate-finished',
  scope: { kind: 'task', taskId: 'T1' },
  result: gate({ name }),
});

describe('Books', () => {
  it('fsyncs an event that moves the run on, and lets notes of progress share the next fsync', () => {
    const { books: b, paths, journalSyncs } = books();
    b.log({ type: 'task-started', taskId: 'T1', title: 'one', attempt: 1, agent: 'a' });
    expect(journalSyncs()).toBe(1);

    b.log(gateDone('build'));
    b.log(gateDone('test'));
    b.log({ type: 'task-activity', taskId: 'T1', kind: 'tool', text: 'Edit src/a.ts' });
    expect(journalSyncs()).toBe(1);
    // Appended all the same: a crash of the process (not of the machine) loses none of them.
    expect(readFileSync(paths.journal, 'utf8').trim().split('\n')).toHaveLength(4);

    b.log({ type: 'task-succeeded', taskId: 'T1', title: 'one', durationMs: 5 });
    expect(journalSyncs()).toBe(2);
    b.close();
  });

  it('puts the journal on disk before a snapshot that counts its lines', () => {
    const { books: b, paths, journalSyncs } = books();
    b.log(gateDone('build'));
    expect(journalSyncs()).toBe(0);
    b.flush();
    expect(journalSyncs()).toBe(1);
    const snapshot = JSON.parse(readFileSync(paths.execution, 'utf8')) as { journalOffset: number };
    expect(snapshot.journalOffset).toBe(statSync(paths.journal).size);
    // Nothing new: the next snapshot costs the journal no fsync.
    b.flush();
    expect(journalSyncs()).toBe(1);
    b.close();
    expect(loadExecution(paths.execution, paths.journal)?.runId).toBe(stateWith({}).runId);
  });

  it('stops where a full disk stops it: a line cut short is taken back, and nothing more is written', () => {
    const failures: Error[] = [];
    const { books: b, paths } = books((e) => failures.push(e));
    b.log({ type: 'task-started', taskId: 'T1', title: 'one', attempt: 1, agent: 'a' });
    const before = readFileSync(paths.journal, 'utf8');
    // Room for half of the next line.
    disk.left = 40;
    b.log({ type: 'task-succeeded', taskId: 'T1', title: 'one', durationMs: 5 });
    expect(failures.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC']);
    expect(b.failure()).toBe(failures[0]);
    // Whole lines only: the next run reads every one of them.
    expect(readFileSync(paths.journal, 'utf8')).toBe(before);
    // With room again, still nothing: a gap in the journal would be worse than its end.
    disk.left = Number.POSITIVE_INFINITY;
    b.log({ type: 'run-stopping', reason: 'the disk is full' });
    b.close();
    expect(readFileSync(paths.journal, 'utf8')).toBe(before);
    expect(failures).toHaveLength(1);
    // The run itself still knows.
    expect(b.state.stopReason).toBe('the disk is full');
  });

  it('keeps the last whole snapshot when the disk fills while a new one is written', () => {
    const failures: Error[] = [];
    const { books: b, paths } = books((e) => failures.push(e));
    b.log({ type: 'task-started', taskId: 'T1', title: 'one', attempt: 1, agent: 'a' });
    b.flush();
    const snapshot = readFileSync(paths.execution, 'utf8');
    b.log({ type: 'run-stopping', reason: 'why' });
    disk.left = 100;
    b.flush();
    expect(failures).toHaveLength(1);
    expect(readFileSync(paths.execution, 'utf8')).toBe(snapshot);
    expect(readdirSync(paths.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
