import {
  bridgeDoneTasks,
  buildGraph,
  type Selection,
  type SelectOptions,
  selectTasks,
  type TaskGraph,
} from '../graph/index.js';
import type { Diagnostic } from '../plan/diagnostic.js';
import type { Plan, Task } from '../plan/types.js';
import { ok, type Result } from '../result.js';

/** The scope flags `run` and `plan` share. */
export interface ScopeFlags {
  phase?: string[];
  only?: string[];
  from?: string;
  spec?: string[];
  infrastructure?: boolean;
  features?: boolean;
  withDeps?: boolean;
  includeOptional?: boolean;
}

export function selectOptionsOf(flags: ScopeFlags): SelectOptions {
  const specKinds: ('infrastructure' | 'feature')[] = [];
  if (flags.infrastructure) specKinds.push('infrastructure');
  if (flags.features) specKinds.push('feature');
  return {
    phases: flags.phase,
    only: flags.only,
    from: flags.from,
    specs: flags.spec,
    specKinds,
    withDeps: flags.withDeps,
    includeOptional: flags.includeOptional,
  };
}

export interface PreparedRun {
  /** The plan's tasks, with dependencies bridged over the optional tasks the run passes over. */
  tasks: Task[];
  graph: TaskGraph;
  selection: Selection;
  byId: Map<string, Task>;
}

/**
 * What a run executes, and the graph it schedules on. An optional task that is passed over counts as
 * done for its dependents, so edges are bridged over it: a task after it still waits for the tasks
 * before it. `planGraph`, when given, is the graph of `plan.tasks`.
 */
export function prepareRun(
  plan: Plan,
  options: SelectOptions,
  planGraph?: TaskGraph,
): Result<PreparedRun, Diagnostic[]> {
  const graph = planGraph ?? buildGraph(plan.tasks);
  const first = selectTasks(plan, options, graph);
  if (!first.ok) return first;
  if (first.value.passedOver.length === 0) {
    return ok({
      tasks: plan.tasks.slice(),
      graph,
      selection: first.value,
      byId: new Map(plan.tasks.map((t) => [t.id, t])),
    });
  }
  const passed = new Set(first.value.passedOver);
  const satisfied = (t: Task) => t.status === 'done' || t.status === 'skipped' || passed.has(t.id);
  const tasks = bridgeDoneTasks(plan.tasks, satisfied, graph);
  const bridged = buildGraph(tasks);
  // Again on the bridged graph: a named task may now need a prerequisite that is not selected.
  const second = selectTasks({ ...plan, tasks }, options, bridged);
  if (!second.ok) return second;
  return ok({ tasks, graph: bridged, selection: second.value, byId: new Map(tasks.map((t) => [t.id, t])) });
}
