import type { Dependency, Task } from '../plan/types.js';
import { at, buildGraph, type TaskGraph, topoOrder } from './dag.js';

const doneOrSkipped = (t: Task) => t.status === 'done' || t.status === 'skipped';

/**
 * Dependencies are transitive, and formats write them compactly: "after every earlier task" becomes
 * "after the previous one". When that previous task is already done (ticked out of order), the
 * unfinished tasks behind it must not drop out of sight. For every unfinished task this adds an edge
 * to each unfinished task reached through done ones only. Done tasks keep their deps as written.
 * `satisfied` says which tasks count as done: a run also passes over optional tasks it does not run.
 * Run it on a validated (acyclic) plan; O(V + E) plus the size of the sets it adds. `graph`, when
 * given, is the graph of `tasks` (the one validation built), so it is not built again.
 */
export function bridgeDoneTasks(
  tasks: readonly Task[],
  satisfied: (t: Task) => boolean = doneOrSkipped,
  graph?: TaskGraph,
): Task[] {
  // Nothing done (a fresh plan): nothing to bridge, and no graph to build for it.
  if (!tasks.some(satisfied)) return tasks.slice();
  const g = graph ?? buildGraph(tasks);
  const n = tasks.length;
  const all = new Uint8Array(n).fill(1);
  // For a done task: the unfinished tasks it reaches through done tasks only, with the edge that leads there.
  const behind = new Map<number, Map<number, Dependency>>();
  const out = tasks.slice();
  for (const i of topoOrder(g, all)) {
    const task = at(tasks, i);
    const deps = at(g.deps, i);
    if (satisfied(task)) {
      let reach: Map<number, Dependency> | undefined;
      for (let k = 0; k < deps.length; k++) {
        const d = at(deps, k);
        const add = (j: number, via: Dependency) => {
          reach ??= new Map();
          if (!reach.has(j)) reach.set(j, via);
        };
        if (!satisfied(at(tasks, d))) add(d, at(at(g.depSources, i), k));
        else for (const [j, via] of behind.get(d) ?? []) add(j, via);
      }
      if (reach) behind.set(i, reach);
      continue;
    }
    let extra: Dependency[] | undefined;
    // Made when first needed: a task of a wide phase has a thousand deps, most of them not done.
    let direct: Set<number> | undefined;
    for (let k = 0; k < deps.length; k++) {
      const d = at(deps, k);
      if (!satisfied(at(tasks, d))) continue;
      const edge = at(at(g.depSources, i), k);
      for (const j of behind.get(d)?.keys() ?? []) {
        direct ??= new Set(deps);
        if (direct.has(j) || j === i) continue;
        direct.add(j);
        extra ??= [];
        extra.push({ id: at(tasks, j).id, kind: edge.kind, source: edge.source });
      }
    }
    if (extra) out[i] = { ...task, deps: [...task.deps, ...extra] };
  }
  return out;
}
