import { describe, expect, it } from 'vitest';
import type { RunSummary, TaskSummary } from '../../src/events.js';
import { plainLine } from '../../src/report/plain.js';
import { renderSummary } from '../../src/report/summary.js';

function summary(tasks: TaskSummary[], extra: Partial<RunSummary> = {}): RunSummary {
  const count = (s: TaskSummary['status']) => tasks.filter((t) => t.status === s).length;
  return {
    status: 'failed',
    durationMs: 4000,
    counts: {
      total: tasks.length,
      done: count('done'),
      failed: count('failed'),
      conflict: count('conflict'),
      unverified: count('unverified'),
      blocked: count('blocked'),
      cancelled: count('cancelled') + count('pending'),
      skipped: count('skipped'),
    },
    tasks,
    ...extra,
  };
}
const row = (id: string, status: TaskSummary['status'], error?: string): TaskSummary => ({
  id,
  title: `task ${id}`,
  status,
  attempts: 1,
  ...(error ? { error } : {}),
});

describe('the plain lines and the summary', () => {
  const conflict = 'merge conflict in a.txt; its work is kept on branch taskwave/r/T002';

  it('say conflict for a merge conflict, as execution.json, status and report.md do', () => {
    expect(
      plainLine({
        type: 'task-failed',
        taskId: 'T002',
        title: 'task T002',
        durationMs: 10,
        error: { reason: 'merge-conflict', files: ['a.txt'], branch: 'taskwave/r/T002' },
        message: conflict,
      }),
    ).toBe(`conflict T002 task T002: ${conflict}`);
    expect(
      plainLine({
        type: 'task-failed',
        taskId: 'T001',
        title: 'task T001',
        durationMs: 10,
        error: { reason: 'agent-exit', exitCode: 1, signal: null, outputTail: '' },
        message: 'agent exited with code 1',
      }),
    ).toBe('failed  T001 task T001: agent exited with code 1');
    const text = renderSummary(
      summary([row('T001', 'done'), row('T002', 'conflict', conflict), row('T003', 'blocked', 'blocked by T002')]),
      { color: false },
    );
    expect(text).toMatch(/^T002 {2}✖ conflict/m);
    expect(text).toContain(`    ${conflict}`);
    expect(text).toContain('some tasks could not be merged: 1 done, 1 conflict, 1 blocked in 4.0s');
  });

  it('say the run stopped at its budget, with the figures, when nothing failed', () => {
    const text = renderSummary(
      summary([row('T001', 'done'), row('T002', 'done'), row('T003', 'pending'), row('T004', 'pending')], {
        stoppedBy: 'the budget of $0.90 (budget.usd) was reached ($1.00 spent)',
      }),
      { color: false },
    );
    expect(text).toContain(
      'stopped: the budget of $0.90 (budget.usd) was reached ($1.00 spent): 2 done, 2 not started in 4.0s',
    );
    expect(text).not.toContain('failed');
  });

  it('say the final gates failed, or that tasks are blocked, when no task failed', () => {
    const gates = renderSummary(
      summary([row('T001', 'done'), row('T002', 'skipped')], {
        gatesFailed: { scope: 'final', detail: 'finalcheck: exit 1' },
      }),
      { color: false },
    );
    expect(gates).toContain('the final gates failed (finalcheck: exit 1): 1 done, 1 already done in 4.0s');
    const blocked = renderSummary(
      summary([row('T002', 'blocked', 'blocked by phase 1 gates (phasecheck: exit 1)'), row('T001', 'skipped')]),
      { color: false },
    );
    expect(blocked).toContain('some tasks are blocked: 0 done, 1 blocked, 1 already done in 4.0s');
    expect(blocked).not.toContain('failed:');
  });

  it('say unverified for a task that changed nothing, as the books do', () => {
    const why = 'the agent finished but changed nothing; nothing to verify';
    expect(
      plainLine({
        type: 'task-failed',
        taskId: 'T002',
        title: 'x',
        durationMs: 5,
        error: { reason: 'unverified', message: why },
        message: why,
      }),
    ).toBe(`unverified T002 x: ${why}`);
    const text = renderSummary(summary([row('T001', 'done'), row('T002', 'unverified', why)]), { color: false });
    expect(text).toMatch(/^T002 {2}✖ unverified/m);
    expect(text).toContain('some tasks changed nothing: 1 done, 1 unverified in 4.0s');
  });

  it('tell tasks stopped while running from tasks never started', () => {
    const text = renderSummary(summary([row('T001', 'done'), row('T002', 'cancelled'), row('T003', 'pending')]), {
      color: false,
    });
    expect(text).toContain('1 done, 1 not finished, 1 not started');
  });
});
