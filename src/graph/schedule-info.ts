import type { Task } from '../plan/types.js';
import { asGraph, at, maskOf, type TaskGraph, topoOrder } from './dag.js';

/** Weight of a task on the critical path. */
export type Weight = (task: Task) => number;

/**
 * How long a task took in an earlier attempt or run, in minutes (the unit of `estimateMinutes`).
 * `partial`: that attempt was cut short (interrupted, or its run died), so the task takes at least this.
 */
export interface PastDuration {
  minutes: number;
  partial?: boolean;
}

/**
 * The default weight. A task's own figure: its measured duration from `past` where the books have one
 * (what it really took beats what the plan guessed), else the plan's `estimateMinutes`. Tasks without
 * a figure weigh the median of the known ones, or 1 when no task has one. An attempt cut short only
 * raises the weight to what it already took. Figures that are not finite numbers ≥ 0 count as unknown.
 */
export function estimateWeight(tasks: readonly Task[], past?: ReadonlyMap<string, PastDuration>): Weight {
  const own = (t: Task): number | undefined => {
    const p = past?.get(t.id);
    if (p && !p.partial && isFigure(p.minutes)) return p.minutes;
    return hasEstimate(t) ? t.estimateMinutes : undefined;
  };
  const atLeast = (t: Task): number => {
    const p = past?.get(t.id);
    return p?.partial && isFigure(p.minutes) ? p.minutes : 0;
  };
  const known: number[] = [];
  const cutShort: number[] = [];
  for (const t of tasks) {
    const w = own(t);
    if (w !== undefined) known.push(w);
    else if (atLeast(t) > 0) cutShort.push(atLeast(t));
  }
  // Only interrupted attempts to go by: their times are still minutes, which a bare 1 is not.
  const fallback = median(known.length > 0 ? known : cutShort) ?? 1;
  return (t) => Math.max(own(t) ?? fallback, atLeast(t));
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? at(sorted, mid) : (at(sorted, mid - 1) + at(sorted, mid)) / 2;
}

/** A duration or estimate that can be used: a finite number ≥ 0. */
export function isFigure(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function hasEstimate(t: Task): t is Task & { estimateMinutes: number } {
  return isFigure(t.estimateMinutes);
}

/** Everything the scheduler and `taskwave plan` want to know about the tasks to run. */
export interface ScheduleInfo {
  /** Id → weight of the heaviest path from the task to the end through tasks to run, its own weight included. Plan order. */
  remaining: Map<string, number>;
  /** Wave k: tasks whose deepest prerequisite among the tasks to run is in wave k-1; each in plan order. */
  waves: string[][];
  /** Ids along the heaviest path, first to last. */
  criticalPath: string[];
}

/**
 * Remaining path, waves and critical path of the tasks `runIds` (tasks not in it count as already
 * satisfied; ids the graph does not have are ignored), in O(V + E) from one topological order.
 * Throws `CycleError` if the tasks to run hold a cycle (run `validateGraph` first).
 */
export function scheduleInfo(
  graphOrTasks: TaskGraph | readonly Task[],
  runIds: Iterable<string>,
  weight?: Weight,
): ScheduleInfo {
  const g = asGraph(graphOrTasks);
  const mask = maskOf(g, runIds);
  const order = topoOrder(g, mask);
  const rem = remainingOf(g, mask, order, weight ?? estimateWeight(g.tasks));
  return {
    remaining: remainingMap(g, mask, rem),
    waves: wavesOf(g, mask, order),
    criticalPath: criticalPathOf(g, mask, rem),
  };
}

/** For each task to run, the weight of the heaviest path from it to the end through tasks to run. */
export function remainingPath(
  graphOrTasks: TaskGraph | readonly Task[],
  runIds: Iterable<string>,
  weight?: Weight,
): Map<string, number> {
  const g = asGraph(graphOrTasks);
  const mask = maskOf(g, runIds);
  const rem = remainingOf(g, mask, topoOrder(g, mask), weight ?? estimateWeight(g.tasks));
  return remainingMap(g, mask, rem);
}

/** Layers of the tasks to run: wave 0 needs nothing among them; wave k's deepest prerequisite is in wave k-1. */
export function waves(graphOrTasks: TaskGraph | readonly Task[], runIds: Iterable<string>): string[][] {
  const g = asGraph(graphOrTasks);
  const mask = maskOf(g, runIds);
  return wavesOf(g, mask, topoOrder(g, mask));
}

/** Ids along the heaviest path through the tasks to run; ties go to the task earlier in the plan. */
export function criticalPath(
  graphOrTasks: TaskGraph | readonly Task[],
  runIds: Iterable<string>,
  weight?: Weight,
): string[] {
  const g = asGraph(graphOrTasks);
  const mask = maskOf(g, runIds);
  const rem = remainingOf(g, mask, topoOrder(g, mask), weight ?? estimateWeight(g.tasks));
  return criticalPathOf(g, mask, rem);
}

/** Plan position of each task id (first occurrence), for tie-breaking. */
export function planOrder(graphOrTasks: TaskGraph | readonly Task[]): Map<string, number> {
  const tasks = 'index' in graphOrTasks ? graphOrTasks.tasks : graphOrTasks;
  const order = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (!order.has(t.id)) order.set(t.id, i);
  });
  return order;
}

function remainingOf(g: TaskGraph, mask: Uint8Array, order: Int32Array, weight: Weight): Float64Array {
  const rem = new Float64Array(g.tasks.length);
  for (let k = order.length - 1; k >= 0; k--) {
    const v = at(order, k);
    let best = 0;
    for (const w of at(g.dependents, v)) if (mask[w] && at(rem, w) > best) best = at(rem, w);
    rem[v] = weight(at(g.tasks, v)) + best;
  }
  return rem;
}

function remainingMap(g: TaskGraph, mask: Uint8Array, rem: Float64Array): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < g.tasks.length; i++) if (mask[i]) out.set(at(g.tasks, i).id, at(rem, i));
  return out;
}

function wavesOf(g: TaskGraph, mask: Uint8Array, order: Int32Array): string[][] {
  const level = new Int32Array(g.tasks.length);
  let deepest = -1;
  for (const v of order) {
    let l = 0;
    for (const d of at(g.deps, v)) if (mask[d] && at(level, d) + 1 > l) l = at(level, d) + 1;
    level[v] = l;
    if (l > deepest) deepest = l;
  }
  const out: string[][] = Array.from({ length: deepest + 1 }, () => []);
  for (let i = 0; i < g.tasks.length; i++) if (mask[i]) at(out, at(level, i)).push(at(g.tasks, i).id);
  return out;
}

function criticalPathOf(g: TaskGraph, mask: Uint8Array, rem: Float64Array): string[] {
  let v = -1;
  for (let i = 0; i < g.tasks.length; i++) if (mask[i] && (v === -1 || at(rem, i) > at(rem, v))) v = i;
  const path: string[] = [];
  while (v !== -1) {
    path.push(at(g.tasks, v).id);
    let next = -1;
    // dependents are in plan order, so strict > keeps the earliest of equally heavy successors.
    for (const w of at(g.dependents, v)) if (mask[w] && (next === -1 || at(rem, w) > at(rem, next))) next = w;
    v = next;
  }
  return path;
}
