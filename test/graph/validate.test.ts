import { describe, expect, it } from 'vitest';
import { buildGraph, findCycles, validateGraph } from '../../src/graph/index.js';
import { formatDiagnostic } from '../../src/plan/diagnostic.js';
import { depAt, FILE, makePlan, makeTasks, taskAt } from './helpers.js';

describe('buildGraph', () => {
  it('indexes tasks, deduplicates edges and keeps plan order', () => {
    const g = buildGraph(makeTasks(['A', 'B', { id: 'C', deps: ['B', 'A', 'B'] }, { id: 'D', deps: ['A', 'X', 'D'] }]));
    expect(g.index.get('C')).toBe(2);
    expect(g.deps[2]).toEqual([1, 0]);
    expect(g.depSources[2]?.map((d) => d.source.column)).toEqual([20, 21]);
    expect(g.dependents[0]).toEqual([2, 3]);
    expect(g.unknown.map((u) => u.dep.id)).toEqual(['X']);
    expect(g.selfDeps.map((u) => u.task)).toEqual([3]);
  });
});

describe('validateGraph', () => {
  it('accepts a valid plan, including a diamond (no false cycles)', () => {
    const plan = makePlan(['A', { id: 'B', deps: ['A'] }, { id: 'C', deps: ['A'] }, { id: 'D', deps: ['B', 'C'] }]);
    expect(validateGraph(plan)).toEqual([]);
  });

  it('reports a dependency on an unknown id where the dependency is written', () => {
    const plan = makePlan(['T001', 'T002', { id: 'T012', deps: ['T001', 'T099'] }]);
    const diags = validateGraph(plan);
    expect(diags).toEqual([{ severity: 'error', location: depAt(2, 1), message: 'T012 depends on unknown task T099' }]);
    expect(formatDiagnostic(diags[0] ?? { severity: 'error', message: '' })).toBe(
      `${FILE}:3:21: error: T012 depends on unknown task T099`,
    );
  });

  it('reports a task that depends on itself', () => {
    const diags = validateGraph(makePlan([{ id: 'A', deps: ['A'] }]));
    expect(diags).toEqual([{ severity: 'error', location: depAt(0), message: 'A depends on itself' }]);
  });

  it('reports a 3-cycle and a 2-cycle: one diagnostic each, naming every task, a note per edge', () => {
    // index: 0 T001, 1 T003, 2 T004, 3 T005, 4 T006, 5 T007, 6 T008
    const plan = makePlan([
      'T001',
      { id: 'T003', deps: ['T001', 'T004'] }, // T003 depends on T004 (dep 1)
      { id: 'T004', deps: ['T005'] }, // T004 depends on T005
      { id: 'T005', deps: ['T003'] }, // T005 depends on T003
      { id: 'T006', deps: ['T007'] },
      { id: 'T007', deps: ['T001', 'T006'] },
      { id: 'T008', deps: ['T003', 'T007'] }, // depends on both cycles, is in neither
    ]);
    const diags = validateGraph(plan);
    expect(diags).toHaveLength(2);
    expect(diags[0]).toEqual({
      severity: 'error',
      location: taskAt(1),
      message: 'dependency cycle: T003 -> T005 -> T004 -> T003',
      related: [
        { ...depAt(3, 0), message: 'T005 depends on T003 here' },
        { ...depAt(2, 0), message: 'T004 depends on T005 here' },
        { ...depAt(1, 1), message: 'T003 depends on T004 here' },
      ],
    });
    expect(diags[1]).toEqual({
      severity: 'error',
      location: taskAt(4),
      message: 'dependency cycle: T006 -> T007 -> T006',
      related: [
        { ...depAt(5, 1), message: 'T007 depends on T006 here' },
        { ...depAt(4, 0), message: 'T006 depends on T007 here' },
      ],
    });
  });

  it('extracts one real cycle from a larger knot and names the other members', () => {
    // A -> B -> C -> A and B -> D -> A: one component {A, B, C, D}
    const plan = makePlan([
      { id: 'A', deps: ['C', 'D'] },
      { id: 'B', deps: ['A'] },
      { id: 'C', deps: ['B'] },
      { id: 'D', deps: ['B'] },
    ]);
    const diags = validateGraph(plan);
    expect(diags).toHaveLength(1);
    expect(diags[0]?.message).toBe('dependency cycle: A -> B -> C -> A (also caught in it: D)');
    expect(diags[0]?.related).toHaveLength(3);
    const cycles = findCycles(buildGraph(plan.tasks));
    expect(cycles).toEqual([{ path: [0, 1, 2], others: [3] }]);
  });

  it('orders diagnostics by task in the plan', () => {
    const plan = makePlan([
      { id: 'A', deps: ['B'] },
      { id: 'B', deps: ['A'] },
      { id: 'C', deps: ['nope'] },
    ]);
    expect(validateGraph(plan).map((d) => d.message)).toEqual([
      'dependency cycle: A -> B -> A',
      'C depends on unknown task nope',
    ]);
  });
});
