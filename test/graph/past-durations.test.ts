import { describe, expect, it } from 'vitest';
import { pastDurations } from '../../src/graph/index.js';
import type { TaskRecord } from '../../src/state/execution.js';
import { makeTasks } from './helpers.js';

const tasks = makeTasks(['A', 'B', 'C', 'D']);
const books = (records: Record<string, Partial<TaskRecord>>, updatedAt = '2026-01-01T10:00:00.000Z') => ({
  plan: { path: 'specs/tasks.md', format: 'spec-kit' },
  updatedAt,
  tasks: Object.fromEntries(
    Object.entries(records).map(([id, r]) => [id, { title: `do ${id}`, status: 'pending', attempts: 1, ...r }]),
  ) as Record<string, TaskRecord>,
});

describe('pastDurations', () => {
  it('turns recorded durations of done and failed tasks into minutes', () => {
    const past = pastDurations(
      books({ A: { status: 'done', durationMs: 90_000 }, B: { status: 'failed', durationMs: 6_000 } }),
      'specs/tasks.md',
      tasks,
    );
    expect(Object.fromEntries(past)).toEqual({ A: { minutes: 1.5 }, B: { minutes: 0.1 } });
  });

  it('keeps a duration carried over to a later run that has not started the task again', () => {
    const past = pastDurations(books({ A: { status: 'pending', durationMs: 120_000 } }), 'specs/tasks.md', tasks);
    expect(past.get('A')).toEqual({ minutes: 2 });
  });

  it('counts an interrupted attempt as a lower bound: until it was stopped, or until a dead run last wrote', () => {
    const past = pastDurations(
      books({
        A: { status: 'cancelled', startedAt: '2026-01-01T09:00:00.000Z', endedAt: '2026-01-01T09:03:00.000Z' },
        B: { status: 'running', startedAt: '2026-01-01T09:54:00.000Z' },
        // Carried over from a run that died: which run's clock would date its end is unknown.
        C: { status: 'pending', startedAt: '2026-01-01T08:00:00.000Z' },
      }),
      'specs/tasks.md',
      tasks,
    );
    expect(Object.fromEntries(past)).toEqual({ A: { minutes: 3, partial: true }, B: { minutes: 6, partial: true } });
  });

  it('keeps what a finished attempt took when a later attempt was cut short sooner', () => {
    const past = pastDurations(
      books({
        // Took 10 minutes once, then a new run started it and was stopped after 1.
        A: {
          status: 'cancelled',
          lastDurationMs: 600_000,
          startedAt: '2026-01-01T09:00:00.000Z',
          endedAt: '2026-01-01T09:01:00.000Z',
        },
        // Took 1 minute once; the attempt cut short had already run 5: that lower bound is the better one.
        B: {
          status: 'cancelled',
          lastDurationMs: 60_000,
          startedAt: '2026-01-01T09:00:00.000Z',
          endedAt: '2026-01-01T09:05:00.000Z',
        },
        // Still pending after a run that died: its last finished attempt still counts.
        C: { status: 'pending', lastDurationMs: 120_000, startedAt: '2026-01-01T08:00:00.000Z' },
      }),
      'specs/tasks.md',
      tasks,
    );
    expect(Object.fromEntries(past)).toEqual({
      A: { minutes: 10 },
      B: { minutes: 5, partial: true },
      C: { minutes: 2 },
    });
  });

  it('says nothing of another plan, of a reused id with another title, or without books', () => {
    const b = books({ A: { durationMs: 60_000 }, B: { durationMs: 60_000, title: 'something else' } });
    expect(pastDurations(b, 'other/tasks.md', tasks).size).toBe(0);
    expect([...pastDurations(b, 'specs/tasks.md', tasks).keys()]).toEqual(['A']);
    expect(pastDurations(undefined, 'specs/tasks.md', tasks).size).toBe(0);
  });
});
