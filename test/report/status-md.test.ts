import { describe, expect, it } from 'vitest';
import { progressBar, renderStatus } from '../../src/report/status-md.js';
import type { TaskRecord } from '../../src/state/execution.js';
import { at, mixedState, plan, stateWith } from './fixture.js';

describe('progressBar', () => {
  it('fills in proportion to the done tasks', () => {
    expect(progressBar(5, 10, 10)).toBe('[#####.....] 5/10');
    expect(progressBar(0, 0, 4)).toBe('[....] 0/0');
    expect(progressBar(3, 3, 4)).toBe('[####] 3/3');
  });
});

describe('renderStatus', () => {
  it('shows progress, the running tasks with elapsed time and attempt, what failed and what is next', () => {
    const state = mixedState();
    state.status = 'running';
    Object.assign(state.tasks.T005 as TaskRecord, { status: 'pending', error: undefined });
    Object.assign(state.tasks.T006 as TaskRecord, { status: 'running', attempts: 2, durationMs: undefined });
    const md = renderStatus(state, plan, new Date('2025-01-02T12:05:30Z'));
    expect(md).toBe(
      [
        '# taskwave run r-20250102-1000: running',
        '',
        '- Plan: `specs/tasks.md` (spec-kit)',
        '- Started: 2025-01-02 10:00:00 UTC',
        '- Updated: 2025-01-02 12:05:30 UTC',
        '',
        'Progress: [###.................] 1/6 done',
        '',
        '1 running, 1 pending, 1 failed, 1 conflict, 1 unverified',
        '',
        '## Running',
        '',
        '- `T006` Release notes: 25m 30s, attempt 2, claude',
        '',
        '## Needs attention',
        '',
        '- `T002` Add the | parser with a second line: **failed**: gate test failed after 2 repair attempt(s): exit 1',
        '- `T003` Write the store: **conflict**: merge conflict in src/store.ts; its work is kept on branch taskwave/r-20250102-1000/T003',
        '- `T004` Wire the CLI: **unverified**: no file changed',
        '',
        '## Next up',
        '',
        '- `T005` Docs',
        '',
      ].join('\n'),
    );
  });

  it('lists the first ten pending tasks in plan order, and says how many more', () => {
    const tasks: Record<string, TaskRecord> = {};
    const many = Array.from({ length: 14 }, (_, i) => ({
      id: `P${String(i).padStart(2, '0')}`,
      title: `Task ${i}`,
      phase: '1',
    }));
    for (const t of many) tasks[t.id] = { title: t.title, status: 'pending', attempts: 0 };
    const md = renderStatus(
      stateWith(tasks, { status: 'running', stopReason: '--fail-fast: T001 failed' }),
      { ...plan, tasks: many },
      new Date(at('10:01')),
    );
    expect(md).toContain('- Stopping: --fail-fast: T001 failed');
    expect(md).toContain('Progress: [....................] 0/14 done');
    expect(md).toContain('- `P00` Task 0\n');
    expect(md).toContain('- `P09` Task 9\n- … and 4 more');
    expect(md).not.toContain('P10');
    expect(md).not.toContain('## Running');
  });
});
