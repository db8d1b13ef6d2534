import { join } from 'node:path';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import { outsidePathWarning } from '../../file-refs.js';
import { readPlanTextSync } from '../../plan-file.js';
import type { Dependency, Phase, Plan, Task, TaskStatus } from '../../types.js';
import { effortMinutes, findField, statusFromText } from './fields.js';
import { type Located, type PhaseFile, parseTasksFile, type TaskDraft } from './tasks-file.js';
import { readLines } from './text-file.js';
import { isFile, type PhaseDir, phaseDirs, taskDirOf } from './tree.js';

/*
 * A whole `.claudio` tree read into a plan: each phase's tasks, each task's state from its own
 * `status.md` (else its section's `**Status**`, else the summary table), its context files, and the
 * order between phases. Also keeps where each task's files are, for the write-back.
 */

export interface TaskPlace {
  phase: PhaseDir;
  draft: TaskDraft;
  /** The task's folder (`task1`, `task1_user_schema`) when it exists. */
  taskDir?: string;
  /** The task's `status.md` when it exists. */
  statusFile?: string;
}

export interface ClaudioTree {
  root: string;
  plan: Plan;
  errors: Diagnostic[];
  /** Where each task is, by id (the first task of a repeated id). */
  places: Map<string, TaskPlace>;
}

/** Top-level documents of a Claudio project that every task's prompt should list. */
const PROJECT_DOCUMENTS = [
  'summary.md',
  'prd.md',
  'plan.md',
  'discovery.md',
  'requirements.md',
  'design.md',
  'architecture.md',
];

function warning(file: string, line: number, column: number, message: string): Diagnostic {
  return { severity: 'warning', location: { file, line: line + 1, column: column + 1 }, message };
}

export function readTree(root: string, planPath: string): ClaudioTree {
  const { phases: dirs, shadowed } = phaseDirs(root);
  const plan: Plan = { format: 'claudio', path: planPath, tasks: [], phases: [], documents: [], warnings: [] };
  const tree: ClaudioTree = { root, plan, errors: [], places: new Map() };
  for (const file of shadowed) {
    plan.warnings.push(warning(file, 0, 0, 'another folder of the same phase under .claudio/phases is read instead'));
  }
  if (dirs.length === 0) {
    tree.errors.push(errorAt(undefined, `no phaseN/tasks.md or phases/phaseN/tasks.md in ${root}`));
    return tree;
  }
  const phaseTasks: Task[][] = [];
  for (const dir of dirs) {
    const read = readPlanTextSync(dir.tasksFile);
    if (!read.ok) {
      tree.errors.push(...read.error);
      continue;
    }
    plan.warnings.push(...read.value.warnings);
    const parsed = parseTasksFile(read.value.text, dir.id);
    const phase: Phase = {
      id: dir.id,
      title: parsed.title ?? `Phase ${dir.id}`,
      source: { file: dir.tasksFile, line: parsed.titleLine + 1, column: 1 },
      criteria: parsed.criteria,
    };
    plan.phases.push(phase);
    if (parsed.tasks.length === 0) {
      plan.warnings.push(warning(dir.tasksFile, 0, 0, 'no `## Task N.M: Title` sections in this file'));
    }
    const tasks: Task[] = [];
    for (const draft of parsed.tasks) {
      const place = placeOf(dir, draft);
      const task = toTask(tree, place, parsed);
      const first = tree.places.get(task.id);
      if (first) {
        const at = { file: first.phase.tasksFile, line: first.draft.line + 1, column: first.draft.column + 1 };
        tree.errors.push(
          errorAt(task.source, `task ${task.id} is written more than once`, [{ ...at, message: 'first written here' }]),
        );
        continue;
      }
      tree.places.set(task.id, place);
      tasks.push(task);
    }
    phaseTasks.push(tasks);
    plan.tasks.push(...tasks);
  }
  addPhaseOrder(phaseTasks);
  plan.documents = PROJECT_DOCUMENTS.map((name) => join(root, name)).filter(isFile);
  return tree;
}

function placeOf(phase: PhaseDir, draft: TaskDraft): TaskPlace {
  const taskDir = taskDirOf(phase.dir, draft.minor);
  const statusFile = taskDir && isFile(join(taskDir, 'status.md')) ? join(taskDir, 'status.md') : undefined;
  return { phase, draft, ...(taskDir ? { taskDir } : {}), ...(statusFile ? { statusFile } : {}) };
}

function toTask(tree: ClaudioTree, place: TaskPlace, parsed: PhaseFile): Task {
  const { phase: dir, draft } = place;
  const file = dir.tasksFile;
  const row = parsed.summary.get(draft.id);
  const deps: Dependency[] = draft.deps.map((d) => ({
    id: d.value,
    kind: 'explicit',
    source: { file, line: d.line + 1, column: d.column + 1 },
  }));
  const task: Task = {
    id: draft.id,
    idKind: draft.idKind,
    title: draft.title,
    body: draft.body,
    phase: dir.id,
    deps,
    status: statusOf(tree, place, row?.status === undefined ? undefined : { file, line: row.line, text: row.status }),
    optional: false,
    parallel: false,
    tags: draft.type ? [draft.type] : [],
    requirements: [],
    files: draft.files,
    criteria: draft.criteria,
    source: { file, line: draft.line + 1, column: draft.column + 1 },
  };
  const effort: Located | undefined =
    draft.effort ?? (row?.effort ? { value: row.effort, line: row.line, column: 0 } : undefined);
  if (effort) {
    const minutes = effortMinutes(effort.value);
    if (minutes === undefined) {
      tree.plan.warnings.push(
        warning(
          file,
          effort.line,
          effort.column,
          `cannot read the effort '${effort.value}' of task ${draft.id}; no estimate`,
        ),
      );
    } else task.estimateMinutes = minutes;
  }
  for (const path of draft.outside) tree.plan.warnings.push(outsidePathWarning(task.id, path, task.source));
  const priority = draft.priority ?? row?.priority?.split(/[\s(,;]/)[0]?.toLowerCase();
  if (priority) task.priority = priority;
  const context = [place.taskDir && join(place.taskDir, 'claude.md'), join(dir.dir, 'claude.md')].filter(
    (p): p is string => p !== undefined && isFile(p),
  );
  if (context.length > 0) task.context = context;
  return task;
}

/** A task's status: its `status.md`, else its section's `**Status**`, else its summary-table row, else pending. */
function statusOf(
  tree: ClaudioTree,
  place: TaskPlace,
  row: { file: string; line: number; text: string } | undefined,
): TaskStatus {
  const said = (file: string, line: number, column: number, text: string): TaskStatus => {
    const status = statusFromText(text);
    if (status) return status;
    tree.plan.warnings.push(
      warning(file, line, column, `unknown status '${text}' of task ${place.draft.id}; read as pending`),
    );
    return 'pending';
  };
  if (place.statusFile) {
    const lines = readLines(place.statusFile) ?? [];
    const found = findField(lines, ['status', 'current status']);
    if (found) return said(place.statusFile, found.line, found.field.valueStart, found.field.value);
  }
  const own = place.draft.status;
  if (own) return said(place.phase.tasksFile, own.line, own.column, own.value);
  if (row) return said(row.file, row.line, 0, row.text);
  return 'pending';
}

/**
 * Phases run in order: a task with no dependency inside its own phase waits for the previous phase's
 * tasks that nothing else in that phase waits for (its last tasks), which stands for the whole phase.
 */
function addPhaseOrder(phases: readonly Task[][]): void {
  let previousSinks: Task[] = [];
  for (const tasks of phases) {
    if (tasks.length === 0) continue;
    const ids = new Set(tasks.map((t) => t.id));
    const waitedFor = new Set<string>();
    for (const t of tasks) for (const d of t.deps) if (ids.has(d.id) && d.id !== t.id) waitedFor.add(d.id);
    for (const t of tasks) {
      if (t.deps.some((d) => ids.has(d.id))) continue;
      // A set, not a scan per sink: a wide phase after another would cost |sinks|² per task.
      const had = new Set(t.deps.map((d) => d.id));
      for (const sink of previousSinks) {
        if (!had.has(sink.id)) t.deps.push({ id: sink.id, kind: 'phase-order', source: t.source });
      }
    }
    previousSinks = tasks.filter((t) => !waitedFor.has(t.id));
  }
}
