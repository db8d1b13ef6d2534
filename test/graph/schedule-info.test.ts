import { describe, expect, it } from 'vitest';
import {
  buildGraph,
  CycleError,
  criticalPath,
  estimateWeight,
  remainingPath,
  scheduleInfo,
  waves,
} from '../../src/graph/index.js';
import { makeTasks, type TaskSpec } from './helpers.js';

const ids = (specs: (TaskSpec | string)[]) => specs.map((s) => (typeof s === 'string' ? s : s.id));

//   A
//  / \
// B   C
//  \ /
//   D
const diamond: TaskSpec[] = [
  { id: 'A' },
  { id: 'B', deps: ['A'] },
  { id: 'C', deps: ['A'] },
  { id: 'D', deps: ['B', 'C'] },
];
const chain: TaskSpec[] = [{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C', deps: ['B'] }];

describe('waves', () => {
  it('layers a diamond', () => {
    expect(waves(makeTasks(diamond), ids(diamond))).toEqual([['A'], ['B', 'C'], ['D']]);
  });

  it('layers a chain', () => {
    expect(waves(makeTasks(chain), ids(chain))).toEqual([['A'], ['B'], ['C']]);
  });

  it('places a task one wave after its deepest prerequisite, in plan order within a wave', () => {
    const specs: TaskSpec[] = [
      { id: 'E', deps: ['A', 'C'] }, // deepest prerequisite C is in wave 1
      { id: 'A' },
      { id: 'C', deps: ['A'] },
      { id: 'F' },
    ];
    expect(waves(makeTasks(specs), ids(specs))).toEqual([['A', 'F'], ['C'], ['E']]);
  });

  it('counts tasks that are not run as satisfied', () => {
    expect(waves(makeTasks(diamond), ['B', 'C', 'D'])).toEqual([['B', 'C'], ['D']]);
    expect(waves(makeTasks(diamond), [])).toEqual([]);
  });

  it('throws CycleError on a cycle among the tasks to run', () => {
    const tasks = makeTasks([{ id: 'A', deps: ['B'] }, { id: 'B', deps: ['A'] }, 'C']);
    expect(() => waves(tasks, ['A', 'B', 'C'])).toThrow(CycleError);
    expect(waves(tasks, ['A', 'C'])).toEqual([['A', 'C']]);
  });
});

describe('remaining path and critical path', () => {
  it('without estimates counts tasks', () => {
    const g = buildGraph(makeTasks(diamond));
    expect([...remainingPath(g, ids(diamond))]).toEqual([
      ['A', 3],
      ['B', 2],
      ['C', 2],
      ['D', 1],
    ]);
    // B and C tie: plan order picks B
    expect(criticalPath(g, ids(diamond))).toEqual(['A', 'B', 'D']);
  });

  it('weighs by estimates', () => {
    const specs: TaskSpec[] = [
      { id: 'A', estimate: 10 },
      { id: 'B', deps: ['A'], estimate: 5 },
      { id: 'C', deps: ['A'], estimate: 30 },
      { id: 'D', deps: ['B', 'C'], estimate: 1 },
      { id: 'E', estimate: 35 },
    ];
    const info = scheduleInfo(makeTasks(specs), ids(specs));
    expect(Object.fromEntries(info.remaining)).toEqual({ A: 41, B: 6, C: 31, D: 1, E: 35 });
    expect(info.criticalPath).toEqual(['A', 'C', 'D']);
    expect(info.waves).toEqual([['A', 'E'], ['B', 'C'], ['D']]);
  });

  it('fills missing estimates with the median of the known ones', () => {
    const specs: TaskSpec[] = [
      { id: 'A', estimate: 10 },
      { id: 'B', deps: ['A'] },
      { id: 'C', deps: ['A'], estimate: 40 },
      { id: 'D', deps: ['B'], estimate: 20 },
      { id: 'E', deps: ['D'], estimate: 30 },
    ];
    const tasks = makeTasks(specs);
    // known: 10, 20, 30, 40 → median 25
    expect(tasks.map(estimateWeight(tasks))).toEqual([10, 25, 40, 20, 30]);
    const rem = remainingPath(tasks, ids(specs));
    expect(Object.fromEntries(rem)).toEqual({ A: 85, B: 75, C: 40, D: 50, E: 30 });
    expect(criticalPath(tasks, ids(specs))).toEqual(['A', 'B', 'D', 'E']);
  });

  it('uses an odd count median and a custom weight', () => {
    const tasks = makeTasks([
      { id: 'A', estimate: 3 },
      { id: 'B', estimate: 100 },
      { id: 'C', estimate: 7 },
      { id: 'D' },
    ]);
    expect(tasks.map(estimateWeight(tasks))).toEqual([3, 100, 7, 7]);
    expect(Object.fromEntries(remainingPath(tasks, ['A', 'D'], () => 2))).toEqual({ A: 2, D: 2 });
  });

  it('only walks tasks to run', () => {
    const tasks = makeTasks(chain);
    expect(Object.fromEntries(remainingPath(tasks, ['A', 'C']))).toEqual({ A: 1, C: 1 });
    expect(criticalPath(tasks, ['B', 'C'])).toEqual(['B', 'C']);
    expect(criticalPath(tasks, [])).toEqual([]);
  });

  it('breaks critical path ties by plan order at the start too', () => {
    const tasks = makeTasks(['X', 'Y', { id: 'Z', deps: ['Y'] }, { id: 'W', deps: ['X'] }]);
    expect(criticalPath(tasks, ['X', 'Y', 'Z', 'W'])).toEqual(['X', 'W']);
  });
});

describe('weights from past durations', () => {
  const minutes = (entries: Record<string, number | [number, 'partial']>) =>
    new Map(
      Object.entries(entries).map(([id, m]) => [
        id,
        Array.isArray(m) ? { minutes: m[0], partial: true } : { minutes: m },
      ]),
    );

  it('prefers a measured duration over the plan estimate, in minutes', () => {
    const tasks = makeTasks([
      { id: 'A', estimate: 10 },
      { id: 'B', estimate: 10 },
    ]);
    expect(tasks.map(estimateWeight(tasks, minutes({ A: 45 })))).toEqual([45, 10]);
  });

  it('fills tasks with neither from the median of the known figures, measured and estimated', () => {
    const tasks = makeTasks([{ id: 'A', estimate: 10 }, { id: 'B', estimate: 50 }, { id: 'C' }, { id: 'D' }]);
    // A measured at 2 replaces its estimate of 10: the known figures are 2, 50, 30 → median 30
    expect(tasks.map(estimateWeight(tasks, minutes({ A: 2, D: 30 })))).toEqual([2, 50, 30, 30]);
  });

  it('weighs only measured tasks when the plan has no estimates', () => {
    const tasks = makeTasks(['A', 'B', 'C']);
    expect(tasks.map(estimateWeight(tasks, minutes({ A: 0.5, B: 3 })))).toEqual([0.5, 3, 1.75]);
  });

  it('raises a weight to what an interrupted attempt already took, and no further', () => {
    const tasks = makeTasks([{ id: 'A', estimate: 10 }, { id: 'B', estimate: 10 }, { id: 'C' }]);
    const w = estimateWeight(tasks, minutes({ A: [25, 'partial'], B: [4, 'partial'], C: [12, 'partial'] }));
    // C has no figure of its own: the median of A and B's estimates, raised to the 12 it ran
    expect(tasks.map(w)).toEqual([25, 10, 12]);
  });

  it('falls back on interrupted attempts for the median when nothing else is known', () => {
    const tasks = makeTasks(['A', 'B', 'C']);
    expect(tasks.map(estimateWeight(tasks, minutes({ A: [1, 'partial'], B: [3, 'partial'] })))).toEqual([2, 3, 2]);
  });

  it('ignores figures that are not finite numbers ≥ 0', () => {
    const tasks = makeTasks([{ id: 'A', estimate: 7 }, 'B', 'C']);
    const w = estimateWeight(tasks, minutes({ A: Number.NaN, B: -1, C: Number.POSITIVE_INFINITY }));
    expect(tasks.map(w)).toEqual([7, 7, 7]);
  });

  it('orders the remaining path by the measured durations', () => {
    const tasks = makeTasks(['A', 'B', { id: 'C', deps: ['A'] }]);
    const rem = remainingPath(tasks, ['A', 'B', 'C'], estimateWeight(tasks, minutes({ A: 1, B: 9, C: 2 })));
    expect(Object.fromEntries(rem)).toEqual({ A: 3, B: 9, C: 2 });
  });
});
