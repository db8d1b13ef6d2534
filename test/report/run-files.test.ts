import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../src/events.js';
import { RunFiles } from '../../src/report/run-files.js';
import type { TaskRecord } from '../../src/state/execution.js';
import { mixedState, plan, retryCommand } from './fixture.js';

const finished: RunEvent = {
  type: 'run-finished',
  runId: 'r-20250102-1000',
  summary: {
    status: 'failed',
    durationMs: 150 * 60_000,
    counts: { total: 6, done: 2, failed: 3, conflict: 0, unverified: 0, blocked: 1, cancelled: 0, skipped: 2 },
    tasks: [],
  },
};

describe('RunFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskwave-run-files-'));
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rewrites status.md once per burst of events, from the state as it is then', () => {
    const state = mixedState();
    state.status = 'running';
    const files = new RunFiles({
      runDir: dir,
      state,
      plan,
      retryCommand,
      statusDebounceMs: 100,
      now: () => new Date(),
    });
    const status = join(dir, 'status.md');
    files.log({ type: 'task-started', taskId: 'T005', title: 'Docs', attempt: 1, agent: 'claude' });
    expect(existsSync(status)).toBe(false);
    // The books applied the event before this logger saw it; a later change in the burst is seen too.
    Object.assign(state.tasks.T005 as TaskRecord, { status: 'running', attempts: 1, error: undefined });
    files.log({ type: 'task-output', taskId: 'T005', stream: 'stdout', line: 'hello' });
    vi.advanceTimersByTime(100);
    expect(readFileSync(status, 'utf8')).toContain('- `T005` Docs: ');
    expect(existsSync(join(dir, 'report.md'))).toBe(false);
  });

  it('ignores raw output: it changes nothing the files show', () => {
    const files = new RunFiles({ runDir: dir, state: mixedState(), plan, retryCommand, statusDebounceMs: 10 });
    files.log({ type: 'task-output', taskId: 'T005', stream: 'stdout', line: 'hello' });
    files.log({ type: 'task-activity', taskId: 'T005', kind: 'text', text: 'thinking' });
    vi.advanceTimersByTime(50);
    expect(existsSync(join(dir, 'status.md'))).toBe(false);
  });

  it('writes report.md, the final status.md and the JUnit file (creating its folder) when the run finishes', () => {
    const junitPath = join(dir, 'ci', 'out', 'taskwave.xml');
    const files = new RunFiles({ runDir: dir, state: mixedState(), plan, retryCommand, junitPath });
    files.log({ type: 'warning', message: 'x' });
    files.log(finished);
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(report).toContain('# taskwave run r-20250102-1000');
    expect(report).toContain('- Duration: 2h 30m');
    expect(report).toContain('taskwave run specs/tasks.md --only T002 T003 T004 T005');
    expect(readFileSync(join(dir, 'status.md'), 'utf8')).toContain('# taskwave run r-20250102-1000: failed');
    expect(readFileSync(junitPath, 'utf8')).toContain('<testsuites name="taskwave r-20250102-1000"');
    // Nothing is left pending to write over the final files.
    expect(vi.getTimerCount()).toBe(0);
    files.close();
  });

  it('leaves a report when the run ends without run-finished', () => {
    const files = new RunFiles({ runDir: dir, state: mixedState(), plan, retryCommand });
    files.log({ type: 'interrupt', message: 'SIGINT' });
    files.close();
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('## Next steps');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('warns instead of throwing when a file cannot be written', () => {
    const warn = vi.fn();
    const files = new RunFiles({ runDir: join(dir, 'missing'), state: mixedState(), plan, retryCommand, warn });
    expect(() => files.log(finished)).not.toThrow();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`could not write ${join(dir, 'missing', 'status.md')}`));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('report.md'));
  });
});
