import { compareTaskIdKeys, type TaskIdKey, taskIdKey } from '../../task-ids.js';
import type { Dependency, Task } from '../../types.js';
import type { LocatedRef, PhaseDraft } from './types.js';

/**
 * Fills each task's `deps`: the explicit ones it names (ranges expanded against the plan's ids,
 * unknown ids kept for the graph stage to report), then spec-kit's implied order. Implied edges are
 * the fewest that give the same reachability: a task depends on the previous non-`[P]` task of its
 * phase and on the `[P]` run right before it; a `[P]` run depends on what came before the run; the
 * tasks of a phase that wait for nothing in it depend on the sinks of the previous phase.
 */
export function resolveDependencies(
  tasks: Task[],
  refs: LocatedRef[][],
  indexById: Map<string, number>,
  phases: PhaseDraft[],
  file: string,
): void {
  const sorted: { key: TaskIdKey; id: string }[] = [];
  for (const id of indexById.keys()) {
    const key = taskIdKey(id);
    if (key) sorted.push({ key, id });
  }
  sorted.sort((a, b) => compareTaskIdKeys(a.key, b.key));
  const lowerBound = (key: TaskIdKey): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareTaskIdKeys((sorted[mid] as { key: TaskIdKey }).key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /**
   * Adds `dep` unless `task` already depends on its id: a scan for the usual few deps, a set for many.
   * An explicit `(depends on T001)` written on T001 itself is kept, for the graph stage to report as a
   * task that depends on itself (as Taskmaster's are); an implied edge never points at its own task.
   */
  const bigSets = new Map<Task, Set<string>>();
  const addDep = (task: Task, dep: Dependency): void => {
    if (dep.id === task.id && dep.kind !== 'explicit') return;
    const deps = task.deps;
    if (deps.length < 16) {
      for (const d of deps) if (d.id === dep.id) return;
    } else {
      let set = bigSets.get(task);
      if (!set) {
        set = new Set(deps.map((d) => d.id));
        bigSets.set(task, set);
      }
      if (set.has(dep.id)) return;
      set.add(dep.id);
    }
    deps.push(dep);
  };

  for (let t = 0; t < tasks.length; t++) {
    const task = tasks[t] as Task;
    const add = (id: string, line: number, offset: number): void => {
      addDep(task, { id, kind: 'explicit', source: { file, line: line + 1, column: offset + 1 } });
    };
    for (const { line, ref } of refs[t] as LocatedRef[]) {
      if (!ref.to) {
        add(ref.id, line, ref.offset);
        continue;
      }
      let from = { id: ref.id, offset: ref.offset, key: taskIdKey(ref.id) as TaskIdKey };
      let to = { id: ref.to.id, offset: ref.to.offset, key: taskIdKey(ref.to.id) as TaskIdKey };
      if (compareTaskIdKeys(from.key, to.key) > 0) [from, to] = [to, from];
      if (!indexById.has(from.id)) add(from.id, line, from.offset);
      for (let k = lowerBound(from.key); k < sorted.length; k++) {
        const e = sorted[k] as { key: TaskIdKey; id: string };
        if (compareTaskIdKeys(e.key, to.key) > 0) break;
        // A range that spans the task (`T001-T005` on T003) means the others, not the task itself.
        if (e.id !== task.id) add(e.id, line, ref.offset);
      }
      if (!indexById.has(to.id)) add(to.id, line, to.offset);
    }
  }

  const implied = (t: number, target: number, kind: Dependency['kind']): void => {
    const task = tasks[t] as Task;
    addDep(task, { id: (tasks[target] as Task).id, kind, source: task.source });
  };

  /**
   * The previous phase's sinks, as dependencies of task `t`: one shared `Dependency` per sink for the
   * whole phase, placed at the phase's heading (the reason for the edge). A phase of a thousand `[P]`
   * tasks after another gives each task a thousand of these; an object, or a set of ids, per edge
   * would cost more than the edges. A task with no dependency of its own takes the phase's list
   * itself, shared (the graph then reads it once for all of them): nothing changes a task's deps
   * once the plan is read.
   */
  const addPhaseOrder = (t: number, order: Dependency[]): void => {
    const task = tasks[t] as Task;
    if (task.deps.length === 0) {
      task.deps = order;
      return;
    }
    const had = new Set(task.deps.map((d) => d.id));
    for (const dep of order) if (dep.id !== task.id && !had.has(dep.id)) task.deps.push(dep);
  };

  const phaseOf = new Int32Array(tasks.length);
  phases.forEach((p, k) => {
    for (const t of p.tasks) phaseOf[t] = k;
  });
  const hasDependent = new Uint8Array(tasks.length);
  const waitsInPhase = new Uint8Array(tasks.length);
  let previousSinks: number[] = [];
  phases.forEach((p, k) => {
    let previousSerial = -1;
    let run: number[] = [];
    // Explicit edges come first in `deps`, then sequential, then phase-order ones.
    for (const t of p.tasks) {
      if (previousSerial >= 0) implied(t, previousSerial, 'sequential');
      if ((tasks[t] as Task).parallel) {
        run.push(t);
      } else {
        for (const r of run) implied(t, r, 'sequential');
        run = [];
        previousSerial = t;
      }
    }
    for (const t of p.tasks) {
      for (const d of (tasks[t] as Task).deps) {
        const target = indexById.get(d.id);
        if (target === undefined || target === t || phaseOf[target] !== k) continue;
        hasDependent[target] = 1;
        waitsInPhase[t] = 1;
      }
    }
    // Only the phase's first tasks (those that wait for nothing in it) need the edges: the rest wait
    // for them, so they wait for the previous phase too.
    const order = previousSinks.map(
      (s): Dependency => ({ id: (tasks[s] as Task).id, kind: 'phase-order', source: p.phase.source }),
    );
    for (const t of p.tasks) if (!waitsInPhase[t]) addPhaseOrder(t, order);
    const sinks = p.tasks.filter((t) => hasDependent[t] === 0);
    previousSinks = sinks.length > 0 ? sinks : p.tasks;
  });
}
