import { describe, expect, it } from 'vitest';
import { bridgeDoneTasks } from '../../src/graph/index.js';
import type { Task, TaskStatus } from '../../src/plan/types.js';

function task(id: string, deps: string[], status: TaskStatus = 'pending'): Task {
  return {
    id,
    idKind: 'explicit',
    title: id,
    body: '',
    phase: '1',
    deps: deps.map((d) => ({ id: d, kind: 'sequential' as const, source: { file: 'p.md', line: 1, column: 1 } })),
    status,
    optional: false,
    parallel: false,
    tags: [],
    requirements: [],
    files: [],
    criteria: [],
    source: { file: 'p.md', line: 1, column: 1 },
  };
}

const depIds = (tasks: Task[], id: string) => tasks.find((t) => t.id === id)?.deps.map((d) => d.id);

describe('bridgeDoneTasks', () => {
  it('keeps an unfinished task behind a done one in sight of what depends on it', () => {
    // A (pending) <- B (done) <- C (pending): C must still wait for A.
    const out = bridgeDoneTasks([task('A', []), task('B', ['A'], 'done'), task('C', ['B'])]);
    expect(depIds(out, 'C')).toEqual(['B', 'A']);
    expect(depIds(out, 'B')).toEqual(['A']);
  });

  it('walks through chains of done tasks and stops at unfinished ones', () => {
    const out = bridgeDoneTasks([
      task('A', []),
      task('B', ['A']),
      task('C', ['B'], 'done'),
      task('D', ['C'], 'skipped'),
      task('E', ['D']),
    ]);
    // E reaches B through D and C; A is behind B, which is unfinished, so B's own edge covers it.
    expect(depIds(out, 'E')).toEqual(['D', 'B']);
  });

  it('changes nothing when no done task stands between unfinished ones', () => {
    const tasks = [task('A', [], 'done'), task('B', ['A']), task('C', ['B'])];
    const out = bridgeDoneTasks(tasks);
    expect(out[1]).toBe(tasks[1]);
    expect(out[2]).toBe(tasks[2]);
  });
});
