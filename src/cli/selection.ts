import {
  bridgeDoneTasks,
  buildGraph,
  type Selection,
  type SelectOptions,
  selectTasks,
  type TaskGraph,
} from '../graph/index.js';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
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

/** One value of a list flag split into its items: `T001,T002`, `T001 T002` (a shell variable's list). */
export function splitList(value: string): string[] {
  return value.split(/[,\s]+/).filter(Boolean);
}

/**
 * The task ids `--only` values name. Ids may hold spaces (a Taskmaster id such as `setup db`), so a
 * value is first taken whole when the plan has an id (or group) by that name, then each part between
 * commas, and only a part that names none is split at whitespace. What names nothing is left for the
 * selection to refuse, as an unknown id.
 */
export function onlyIds(values: readonly string[], isId: (id: string) => boolean): string[] {
  const out: string[] = [];
  const take = (id: string) => {
    if (!out.includes(id)) out.push(id);
  };
  for (const value of values) {
    const whole = [value, value.trim()].find(isId);
    if (whole !== undefined) {
      take(whole);
      continue;
    }
    for (const part of value.split(',')) {
      const id = part.trim();
      if (isId(id)) take(id);
      else for (const word of splitList(id)) take(word);
    }
  }
  return out;
}

/**
 * Scope flags given with nothing in them. `--only "$IDS"` with an empty variable (or `--only ,,`)
 * parses to no ids, which the selection takes as "no filter": a script would run the whole plan.
 */
export function emptyScopeFlags(flags: ScopeFlags): Diagnostic[] {
  const lists: [string, readonly string[] | undefined, string][] = [
    // Kept as typed until the plan is read (an id may hold a space): empty once split.
    ['--only', flags.only?.flatMap(splitList), 'task ids, e.g. --only T001,T002'],
    ['--phase', flags.phase, 'phase ids or words of their titles, e.g. --phase 2'],
    ['--spec', flags.spec, 'spec ids, e.g. --spec I001'],
  ];
  const problems = lists
    .filter(([, list]) => list !== undefined && list.length === 0)
    .map(([flag, , what]) => errorAt(undefined, `${flag} was given nothing to select (it is empty); give it ${what}`));
  if (flags.from !== undefined && flags.from.trim() === '') {
    problems.push(errorAt(undefined, '--from was given no task id (it is empty); give it one, e.g. --from T003'));
  }
  return problems;
}

/** The scope flags as typed, `--only T001`, `--from T002`; none when nothing narrows the plan. */
export function describeScope(flags: ScopeFlags): string[] {
  const parts: string[] = [];
  if (flags.phase) parts.push(`--phase ${flags.phase.join(',')}`);
  if (flags.only) parts.push(`--only ${flags.only.join(',')}`);
  if (flags.spec) parts.push(`--spec ${flags.spec.join(',')}`);
  if (flags.infrastructure) parts.push('--infrastructure');
  if (flags.features) parts.push('--features');
  if (flags.from !== undefined) parts.push(`--from ${flags.from}`);
  return parts;
}

/**
 * Scope flags that together select no task at all (`--only T001 --from T002`, `--spec I001
 * --features`): a usage error, told apart from a selection whose tasks are all done already.
 */
export function nothingSelected(flags: ScopeFlags, selection: Selection): Diagnostic | undefined {
  const scope = describeScope(flags);
  if (scope.length === 0) return undefined;
  if (selection.run.length > 0 || selection.done.length > 0 || selection.unrunnable.length > 0) return undefined;
  const optional =
    selection.passedOver.length > 0 && !flags.includeOptional
      ? ' (optional tasks are passed over: --include-optional selects them)'
      : '';
  return errorAt(
    undefined,
    `${scope.join(' ')} ${scope.length > 1 ? 'together select' : 'selects'} no task of the plan${optional}; taskwave plan PLAN lists the tasks with their ids and phases`,
  );
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
