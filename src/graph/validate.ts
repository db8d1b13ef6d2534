import { type Diagnostic, errorAt, type RelatedLocation } from '../plan/diagnostic.js';
import type { Plan } from '../plan/types.js';
import { at, buildGraph, type TaskGraph } from './dag.js';

/** At most this many tasks are named in one cycle diagnostic; longer cycles are shortened in the middle. */
const MAX_CYCLE_NAMES = 100;

/**
 * Errors in the plan's dependency graph: dependencies on unknown ids, tasks that depend on themselves, and
 * dependency cycles (one diagnostic per strongly connected component). Duplicate ids are the format
 * reader's to report. Diagnostics come in plan order of the task they belong to. O(V + E), iterative.
 */
export function validateGraph(plan: Plan | TaskGraph): Diagnostic[] {
  const graph = 'deps' in plan ? plan : buildGraph(plan.tasks);
  const found: { task: number; diagnostic: Diagnostic }[] = [];
  const reported = new Set<string>();
  for (const { task, dep } of graph.unknown) {
    const id = at(graph.tasks, task).id;
    const key = `${task}\u0000${dep.id}`;
    if (reported.has(key)) continue;
    reported.add(key);
    found.push({ task, diagnostic: errorAt(dep.source, `${id} depends on unknown task ${dep.id}`) });
  }
  for (const { task, dep } of graph.selfDeps) {
    const id = at(graph.tasks, task).id;
    const key = `${task}\u0000${dep.id}`;
    if (reported.has(key)) continue;
    reported.add(key);
    found.push({ task, diagnostic: errorAt(dep.source, `${id} depends on itself`) });
  }
  for (const cycle of findCycles(graph)) {
    found.push({ task: at(cycle.path, 0), diagnostic: cycleDiagnostic(graph, cycle) });
  }
  // Stable sort: within one task, unknown ids first, then self-dependencies, then the cycle.
  found.sort((a, b) => a.task - b.task);
  return found.map((f) => f.diagnostic);
}

/**
 * Strongly connected components with more than one task, by an iterative Tarjan. Each is returned as
 * its members in plan order (so `[0]` is the first task of the cycle in the plan); components are
 * ordered by their first task.
 */
export function stronglyConnected(graph: TaskGraph): number[][] {
  const n = graph.tasks.length;
  const order = new Int32Array(n).fill(-1); // Tarjan's discovery index
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  let csp = 0;
  let counter = 0;
  const components: number[][] = [];
  for (let root = 0; root < n; root++) {
    if (at(order, root) !== -1) continue;
    order[root] = low[root] = counter++;
    stack[sp++] = root;
    onStack[root] = 1;
    callNode[0] = root;
    callEdge[0] = 0;
    csp = 1;
    while (csp > 0) {
      const v = at(callNode, csp - 1);
      const edges = at(graph.deps, v);
      const k = at(callEdge, csp - 1);
      if (k < edges.length) {
        callEdge[csp - 1] = k + 1;
        const w = at(edges, k);
        if (at(order, w) === -1) {
          order[w] = low[w] = counter++;
          stack[sp++] = w;
          onStack[w] = 1;
          callNode[csp] = w;
          callEdge[csp] = 0;
          csp++;
        } else if (onStack[w]) {
          low[v] = Math.min(at(low, v), at(order, w));
        }
        continue;
      }
      csp--;
      if (csp > 0) {
        const parent = at(callNode, csp - 1);
        low[parent] = Math.min(at(low, parent), at(low, v));
      }
      if (at(low, v) === at(order, v)) {
        const start = sp;
        let w: number;
        do {
          w = at(stack, --sp);
          onStack[w] = 0;
        } while (w !== v);
        if (start - sp > 1) components.push(Array.from(stack.subarray(sp, start)).sort((a, b) => a - b));
      }
    }
  }
  return components.sort((a, b) => at(a, 0) - at(b, 0));
}

/** A dependency cycle, as task indices. */
export interface Cycle {
  /**
   * A shortest cycle through the component's first task (plan order), following "is needed by" edges:
   * `[a, b, c]` means b depends on a, c depends on b, and a depends on c.
   */
  path: number[];
  /** Members of the same strongly connected component that the path does not pass through, plan order. */
  others: number[];
}

/** One cycle per strongly connected component of more than one task, ordered by their first task. */
export function findCycles(graph: TaskGraph): Cycle[] {
  const n = graph.tasks.length;
  const component = new Int32Array(n).fill(-1);
  const components = stronglyConnected(graph);
  components.forEach((members, c) => {
    for (const v of members) component[v] = c;
  });
  const parent = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  const cycles: Cycle[] = [];
  components.forEach((members, c) => {
    const start = at(members, 0);
    // BFS from start along dependents inside the component until an edge leads back to start.
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    parent[start] = start;
    let last = -1;
    while (head < tail && last === -1) {
      const v = at(queue, head++);
      for (const w of at(graph.dependents, v)) {
        if (w === start) {
          last = v;
          break;
        }
        if (at(component, w) !== c || at(parent, w) !== -1) continue;
        parent[w] = v;
        queue[tail++] = w;
      }
    }
    if (last === -1) throw new Error('internal error: no cycle through the first task of a component');
    const path: number[] = [];
    for (let v = last; v !== start; v = at(parent, v)) path.push(v);
    path.push(start);
    path.reverse();
    const onPath = new Set(path);
    cycles.push({ path, others: members.filter((m) => !onPath.has(m)) });
  });
  return cycles;
}

function cycleDiagnostic(graph: TaskGraph, { path: cycle, others }: Cycle): Diagnostic {
  const id = (i: number) => at(graph.tasks, i).id;
  const closed = [...cycle, at(cycle, 0)];
  const names = elide(closed.map(id));
  const related: RelatedLocation[] = [];
  const edges = closed.length - 1;
  for (let k = 0; k < edges; k++) {
    if (edges > MAX_CYCLE_NAMES && k >= MAX_CYCLE_NAMES / 2 && k < edges - MAX_CYCLE_NAMES / 2) continue;
    const from = at(closed, k);
    const to = at(closed, k + 1);
    const deps = at(graph.deps, to);
    const dep = at(graph.depSources, to)[deps.indexOf(from)];
    const source = dep?.source ?? at(graph.tasks, to).source;
    // An implied edge points at a heading or at the dependent's own line: say what implies it.
    const why = dep?.kind === 'phase-order' ? ' (phase order)' : dep?.kind === 'sequential' ? ' (plan order)' : '';
    related.push({ ...source, message: `${id(to)} depends on ${id(from)} here${why}` });
  }
  let message = `dependency cycle: ${names.join(' -> ')}`;
  if (others.length > 0) {
    const shown = others.slice(0, 10).map(id).join(', ');
    const more = others.length > 10 ? ` and ${others.length - 10} more` : '';
    message += ` (also caught in it: ${shown}${more})`;
  }
  return errorAt(at(graph.tasks, at(cycle, 0)).source, message, related);
}

/** Keeps the first and last half of a long list of names, with a count of those left out between. */
function elide(names: string[]): string[] {
  if (names.length <= MAX_CYCLE_NAMES + 1) return names;
  const half = MAX_CYCLE_NAMES / 2;
  return [...names.slice(0, half), `… ${names.length - 2 * half} more …`, ...names.slice(-half)];
}
