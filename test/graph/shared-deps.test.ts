import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/graph/index.js';
import { parseMarkdownPlan } from '../../src/plan/formats/markdown.js';
import type { Dependency, Task } from '../../src/plan/types.js';
import { makeTasks } from './helpers.js';

/*
 * A phase of `[P]` tasks after another: each task of the second waits for every task of the first.
 * The reader gives those tasks one shared list, and the graph reads it once and stores its edges once
 * (every task, every edge would be |phase|² of memory: 99 M edges for 100 phases of 1,000).
 */

/** The same tasks, each with a list of its own (what the graph must read the shared lists as). */
const unshared = (tasks: readonly Task[]): Task[] => tasks.map((t) => ({ ...t, deps: [...t.deps] }));

const edges = (tasks: readonly Task[]) => {
  const g = buildGraph(tasks);
  return {
    deps: g.deps.map((d) => [...d]),
    dependents: g.dependents.map((d) => [...d]),
    sources: g.depSources.map((s) => s.map((d) => d.id)),
    unknown: g.unknown.map((u) => [u.task, u.dep.id]),
    selfDeps: g.selfDeps.map((u) => [u.task, u.dep.id]),
  };
};

describe('shared dependency lists', () => {
  it('the markdown reader gives the first tasks of a phase one list, and the graph one set of edges', () => {
    const lines = ['# Tasks', '', '## Phase 1', ''];
    for (let i = 1; i <= 20; i++) lines.push(`- [ ] T${100 + i} [P] first ${i}`);
    lines.push('', '## Phase 2', '');
    for (let i = 1; i <= 20; i++) lines.push(`- [ ] T${200 + i} [P] second ${i}`);
    lines.push('- [ ] T300 Depends on T103 and T201');
    const r = parseMarkdownPlan(`${lines.join('\n')}\n`, '/repo/tasks.md');
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const tasks = r.value.tasks;
    const b1 = tasks.find((t) => t.id === 'T201') as Task;
    const b20 = tasks.find((t) => t.id === 'T220') as Task;
    expect(b1.deps.map((d) => d.id)).toEqual(Array.from({ length: 20 }, (_, i) => `T${101 + i}`));
    expect(b20.deps).toBe(b1.deps);
    const g = buildGraph(tasks);
    const i1 = g.index.get('T201') as number;
    const i20 = g.index.get('T220') as number;
    expect(g.deps[i20]).toBe(g.deps[i1]);
    // T103's dependents: every task of phase 2, then T300 (written by hand), in plan order.
    const a3 = g.dependents[g.index.get('T103') as number] as number[];
    expect(a3.map((i) => tasks[i]?.id)).toEqual([...Array.from({ length: 20 }, (_, i) => `T${201 + i}`), 'T300']);
    // T101 has no other dependent: the list is the one of phase 2's tasks, shared.
    expect(g.dependents[g.index.get('T101') as number]).toBe(g.dependents[g.index.get('T102') as number]);
    expect(edges(tasks)).toEqual(edges(unshared(tasks)));
  });

  it('reads shared lists exactly as lists of their own: any plan, any sharing', () => {
    // Mostly ids the plan has (an unknown one now and then), so that lists are shared and read once.
    const plan = fc
      .integer({ min: 2, max: 40 })
      .chain((n) =>
        fc.record({
          n: fc.constant(n),
          lists: fc.array(fc.array(fc.nat(n), { minLength: 14, maxLength: 24 }), { minLength: 1, maxLength: 3 }),
          owners: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(2), fc.array(fc.nat(n), { maxLength: 3 })), {
            maxLength: 40,
          }),
        }),
      )
      .map(({ n, lists, owners }) => {
        // Ids past n do not exist (unknown deps); a task may list itself.
        const id = (k: number) => `T${k}`;
        const tasks = makeTasks(Array.from({ length: n }, (_, i) => id(i)));
        const shared: Dependency[][] = lists.map((l) =>
          l.map((k) => ({ id: id(k), kind: 'phase-order' as const, source: { file: 'f', line: 1, column: 1 } })),
        );
        for (const [t, l, own] of owners) {
          const task = tasks[t % n] as Task;
          const list = shared[l % shared.length] as Dependency[];
          task.deps =
            own.length === 0
              ? list
              : [...own.map((k) => ({ id: id(k), kind: 'explicit' as const, source: task.source })), ...list];
        }
        return tasks;
      });
    fc.assert(
      fc.property(plan, (tasks) => {
        expect(edges(tasks)).toEqual(edges(unshared(tasks)));
      }),
      { numRuns: 300 },
    );
  });
});
