import type { Dependency, Task } from '../plan/types.js';

/** A dependency that names an id no task has, or the task itself; left out of the adjacency lists. */
export interface DroppedEdge {
  /** Index of the task that declared the dependency. */
  task: number;
  dep: Dependency;
}

/**
 * The plan's tasks as an indexed graph. Edges point from a task to its prerequisites (`deps`) and back
 * (`dependents`); both are deduplicated. Tasks are identified by their index in plan order.
 */
export interface TaskGraph {
  readonly tasks: readonly Task[];
  /** Id → index. With duplicate ids (the format reader reports those) the first task wins. */
  readonly index: ReadonlyMap<string, number>;
  /** `deps[i]`: indices of the tasks `i` depends on, in order of first mention. */
  readonly deps: readonly (readonly number[])[];
  /** `depSources[i][k]`: the first `Dependency` that created the edge `deps[i][k]`. */
  readonly depSources: readonly (readonly Dependency[])[];
  /** `dependents[i]`: indices of the tasks that depend on `i`, in plan order. */
  readonly dependents: readonly (readonly number[])[];
  /** Dependencies on ids that no task has, in plan order. */
  readonly unknown: readonly DroppedEdge[];
  /** Dependencies of a task on itself, in plan order. */
  readonly selfDeps: readonly DroppedEdge[];
}

/** Reads `a[i]` where `i` is known to be in range (the project compiles with `noUncheckedIndexedAccess`). */
export function at<T>(a: ArrayLike<T>, i: number): T {
  const v = a[i];
  if (v === undefined) throw new RangeError(`graph index ${i} out of range (${a.length})`);
  return v;
}

/**
 * Lists of dependencies at least this long that several tasks share (the same array: a phase's sinks,
 * given to each of the next phase's first tasks) are read once, and their edges stored once.
 */
export const SHARED_MIN = 16;

/** Edges read once for every task whose `deps` is the same array. */
interface SharedDeps {
  out: number[];
  sources: Dependency[];
  /** The tasks that have this list, in plan order (for the dependents of each of `out`). */
  members: number[];
  /** `out` as a set: a member in it would depend on itself. */
  has: Set<number>;
}

/**
 * Builds the graph in O(V + E) time. Tasks that share one list of dependencies (a phase of `[P]`
 * tasks after another: every task waits for every one before) share its edges too: the memory is
 * O(V + the distinct lists), not O(E), and each of those prerequisites has the same list of
 * dependents, shared.
 */
export function buildGraph(tasks: readonly Task[]): TaskGraph {
  const n = tasks.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = at(tasks, i).id;
    if (!index.has(id)) index.set(id, i);
  }
  const deps: number[][] = [];
  const depSources: Dependency[][] = [];
  const dependents: number[][] = [];
  for (let i = 0; i < n; i++) dependents.push([]);
  const unknown: DroppedEdge[] = [];
  const selfDeps: DroppedEdge[] = [];
  const shared = new Map<readonly Dependency[], SharedDeps | null>();
  // lastSeen[j] === i + 1 when task i already has an edge to j: O(1) deduplication without a Set per task.
  const lastSeen = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const task = at(tasks, i);
    const known = task.deps.length >= SHARED_MIN ? shared.get(task.deps) : null;
    if (known && !known.has.has(i)) {
      known.members.push(i);
      deps.push(known.out);
      depSources.push(known.sources);
      continue;
    }
    const out: number[] = [];
    const sources: Dependency[] = [];
    let dropped = false;
    for (const dep of task.deps) {
      const j = index.get(dep.id);
      if (j === undefined) {
        unknown.push({ task: i, dep });
        dropped = true;
      } else if (j === i || dep.id === task.id) {
        selfDeps.push({ task: i, dep });
        dropped = true;
      } else if (at(lastSeen, j) !== i + 1) {
        lastSeen[j] = i + 1;
        out.push(j);
        sources.push(dep);
      }
    }
    deps.push(out);
    depSources.push(sources);
    // A list with an edge dropped is read again for each task: the reports name each task.
    if (known === undefined && !dropped) {
      shared.set(task.deps, { out, sources, members: [i], has: new Set(out) });
    } else {
      if (known === undefined) shared.set(task.deps, null);
      for (const j of out) at(dependents, j).push(i);
    }
  }
  addSharedDependents(dependents, shared);
  return { tasks, index, deps, depSources, dependents, unknown, selfDeps };
}

/**
 * The dependents of the shared lists' prerequisites: the members' list itself where a prerequisite
 * has no other dependent (a phase's sink: all of the next phase's first tasks), else merged in plan
 * order with the others.
 */
function addSharedDependents(dependents: number[][], shared: Map<readonly Dependency[], SharedDeps | null>): void {
  const extra = new Map<number, number[][]>();
  for (const s of shared.values()) {
    if (!s) continue;
    for (const j of s.out) {
      const lists = extra.get(j);
      if (lists) lists.push(s.members);
      else extra.set(j, [s.members]);
    }
  }
  for (const [j, lists] of extra) {
    const own = at(dependents, j);
    if (own.length === 0 && lists.length === 1) dependents[j] = at(lists, 0);
    else dependents[j] = [...own, ...lists.flat()].sort((a, b) => a - b);
  }
}

/** Accepts either a built graph or the tasks to build one from. */
export function asGraph(graphOrTasks: TaskGraph | readonly Task[]): TaskGraph {
  return isTaskList(graphOrTasks) ? buildGraph(graphOrTasks) : graphOrTasks;
}

function isTaskList(x: TaskGraph | readonly Task[]): x is readonly Task[] {
  return Array.isArray(x);
}

/** A mask of the tasks whose ids are in `ids`; ids the graph does not have are ignored. */
export function maskOf(graph: TaskGraph, ids: Iterable<string>): Uint8Array {
  const mask = new Uint8Array(graph.tasks.length);
  for (const id of ids) {
    const i = graph.index.get(id);
    if (i !== undefined) mask[i] = 1;
  }
  return mask;
}

/** Thrown when a scheduling function meets a cycle: `validateGraph` reports cycles and must run first. */
export class CycleError extends Error {
  constructor(readonly ids: string[]) {
    super(
      `dependency cycle among ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''} (validate the graph first)`,
    );
    this.name = 'CycleError';
  }
}

/**
 * Topological order (prerequisites first) of the masked tasks over the edges among them, by Kahn's
 * algorithm with a FIFO queue seeded in plan order. Throws `CycleError` if the masked tasks hold a cycle.
 */
export function topoOrder(graph: TaskGraph, mask: Uint8Array): Int32Array {
  const n = graph.tasks.length;
  const indegree = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    count++;
    let d = 0;
    for (const j of at(graph.deps, i)) if (mask[j]) d++;
    indegree[i] = d;
  }
  const order = new Int32Array(count);
  let tail = 0;
  for (let i = 0; i < n; i++) if (mask[i] && indegree[i] === 0) order[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const v = at(order, head);
    for (const w of at(graph.dependents, v)) {
      if (!mask[w]) continue;
      const d = at(indegree, w) - 1;
      indegree[w] = d;
      if (d === 0) order[tail++] = w;
    }
  }
  if (tail < count) {
    const stuck: string[] = [];
    for (let i = 0; i < n; i++) if (mask[i] && at(indegree, i) > 0) stuck.push(at(graph.tasks, i).id);
    throw new CycleError(stuck);
  }
  return order;
}
