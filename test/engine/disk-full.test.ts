import { describe, expect, it } from 'vitest';
import { DiskFullWatch, saysDiskFull } from '../../src/engine/disk-full.js';
import { gate } from '../report/fixture.js';

describe('DiskFullWatch', () => {
  it('halts the run once, on the first task or task gate that failed for a full disk', () => {
    const halts: string[] = [];
    const watch = new DiskFullWatch((r) => halts.push(r));
    watch.log({
      type: 'task-failed',
      taskId: 'T1',
      title: 'one',
      durationMs: 1,
      error: { reason: 'agent-exit', exitCode: 1, signal: null, outputTail: '' },
      message: 'agent exited with code 1',
    });
    watch.log({
      type: 'gate-finished',
      scope: { kind: 'task', taskId: 'T2' },
      result: gate({ name: 'test', ok: false, message: 'npm ERR! code ENOSPC\nnpm ERR! syscall write' }),
    });
    watch.log({
      type: 'task-failed',
      taskId: 'T3',
      title: 'three',
      durationMs: 1,
      error: { reason: 'merge-failed', message: 'No space left on device' },
      message: 'could not merge it: No space left on device',
    });
    expect(halts).toEqual(['the disk is full (T2 failed for it); no new task starts: free some space and run again']);
  });

  it('halts when a task fails with next to nothing left on the disk, whatever the failure said', () => {
    const halts: string[] = [];
    let free = 50 * 1024 * 1024;
    const watch = new DiskFullWatch(
      (r) => halts.push(r),
      () => free,
    );
    const failed = (taskId: string) =>
      watch.log({
        type: 'task-failed',
        taskId,
        title: taskId,
        durationMs: 1,
        error: { reason: 'workspace-failed', message: 'error: unable to write file tasks.md' },
        message: 'could not prepare its worktree: error: unable to write file tasks.md',
      });
    failed('T1');
    expect(halts).toEqual([]);
    free = 12 * 1024;
    failed('T2');
    expect(halts).toEqual([
      'the disk is full (12 KB left when T2 failed); no new task starts: free some space and run again',
    ]);
  });

  it("leaves a phase's gates and passing gates alone", () => {
    const halts: string[] = [];
    const watch = new DiskFullWatch((r) => halts.push(r));
    watch.log({
      type: 'gate-finished',
      scope: { kind: 'final' },
      result: gate({ name: 'test', ok: false, message: 'ENOSPC' }),
    });
    watch.log({
      type: 'gate-finished',
      scope: { kind: 'task', taskId: 'T1' },
      result: gate({ name: 'test', message: 'ENOSPC' }),
    });
    expect(halts).toEqual([]);
  });

  it("knows a full disk in Node's, git's and the shell's words, and not in others", () => {
    for (const said of [
      'ENOSPC: no space left on device, write',
      "fatal: sha1 file '.git/index.lock' write error. Out of diskspace",
      'cp: error writing x: No space left on device',
      'EDQUOT: disk quota exceeded',
    ]) {
      expect(saysDiskFull(said), said).toBe(true);
    }
    expect(saysDiskFull('test failed: expected space left of 3')).toBe(false);
    expect(saysDiskFull('EACCES: permission denied')).toBe(false);
  });
});
