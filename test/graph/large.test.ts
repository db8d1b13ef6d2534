import { describe, expect, it } from 'vitest';
import {
  buildGraph,
  criticalPath,
  remainingPath,
  scheduleInfo,
  selectTasks,
  validateGraph,
  waves,
} from '../../src/graph/index.js';
import type { Plan } from '../../src/plan/types.js';
import { makePlan, type TaskSpec } from './helpers.js';

const N = 100_000;
const id = (i: number) => `T${i}`;

function chainPlan(closed = false): Plan {
  const specs: TaskSpec[] = [];
  for (let i = 0; i < N; i++) {
    const deps = i > 0 ? [id(i - 1)] : closed ? [id(N - 1)] : [];
    specs.push({ id: id(i), deps, status: i === 0 ? 'done' : 'pending' });
  }
  return makePlan(specs);
}

/** One root, N - 2 tasks that need it, and one task that needs them all. */
function widePlan(): Plan {
  const specs: TaskSpec[] = [{ id: 'root' }];
  const middle: string[] = [];
  for (let i = 0; i < N - 2; i++) {
    specs.push({ id: id(i), deps: ['root'] });
    middle.push(id(i));
  }
  specs.push({ id: 'sink', deps: middle });
  return makePlan(specs);
}

describe('100k tasks (iterative algorithms, no stack overflow)', () => {
  it('handles a 100k chain', () => {
    const plan = chainPlan();
    const graph = buildGraph(plan.tasks);
    expect(validateGraph(graph)).toEqual([]);
    const sel = selectTasks(plan, { only: [id(N - 1)], withDeps: true }, graph);
    expect(sel.ok).toBe(true);
    if (!sel.ok) return;
    expect(sel.value.run).toHaveLength(N - 1);
    expect(sel.value.pulledIn).toHaveLength(N - 2);
    const w = waves(graph, sel.value.run);
    expect(w).toHaveLength(N - 1);
    expect(w[N - 2]).toEqual([id(N - 1)]);
    const rem = remainingPath(graph, sel.value.run);
    expect(rem.get(id(1))).toBe(N - 1);
    expect(rem.get(id(N - 1))).toBe(1);
    expect(criticalPath(graph, sel.value.run)).toHaveLength(N - 1);
  });

  it('reports a 100k cycle once, shortened in the middle', () => {
    const diags = validateGraph(chainPlan(true));
    expect(diags).toHaveLength(1);
    const message = diags[0]?.message ?? '';
    expect(message.startsWith('dependency cycle: T0 -> T1 -> T2')).toBe(true);
    expect(message).toContain(`… ${N + 1 - 100} more …`);
    expect(message.endsWith(`-> ${id(N - 1)} -> T0`)).toBe(true);
    expect(diags[0]?.related).toHaveLength(100);
  });

  it('reports a missing prerequisite deep in a 100k chain without walking it all per task', () => {
    const plan = chainPlan();
    const r = selectTasks(plan, { only: [id(N - 1)] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toHaveLength(1);
    expect(r.error[0]?.message).toBe(
      `${id(N - 1)} needs ${id(N - 2)}, ${id(N - 3)}, ${id(N - 4)}, ${id(N - 5)}, ${id(N - 6)} and more, which are not done and not selected (add --with-deps to run them too)`,
    );
  });

  it('handles a 100k wide graph', () => {
    const plan = widePlan();
    const graph = buildGraph(plan.tasks);
    expect(validateGraph(graph)).toEqual([]);
    const sel = selectTasks(plan, {}, graph);
    if (!sel.ok) throw new Error('selection failed');
    const info = scheduleInfo(graph, sel.value.run);
    expect(info.waves.map((w) => w.length)).toEqual([1, N - 2, 1]);
    expect(info.remaining.get('root')).toBe(3);
    expect(info.criticalPath).toEqual(['root', id(0), 'sink']);
  });
});
