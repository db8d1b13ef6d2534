import { type Diagnostic, errorAt, type SourceSpan } from '../../diagnostic.js';
import { outsidePathWarning } from '../../file-refs.js';
import type { Phase, Plan, SpecInfo, Task } from '../../types.js';
import { spanAt } from '../markdown/lines.js';
import type { SpecBooks } from './books.js';
import { linkTasks, type SpecTasks } from './dependencies.js';
import type { SpecFolder } from './layout.js';
import { taskDetails } from './task-details.js';
import type { TasksFileScan } from './tasks-file.js';

/*
 * Turns the spec folders, their scanned `tasks.md` files and the books into a plan: specs in run
 * order, tasks `I001.1`... in spec order, one phase per spec phase, and the implied order edges.
 */

export interface LoadedSpec {
  folder: SpecFolder;
  /** Absent when the spec has no `tasks.md`. */
  tasksFile?: string;
  scan?: TasksFileScan;
  /** The spec's other documents, absolute. */
  documents: string[];
}

/** `Tasks for I001: Name`, `Tasks: Name`, `Tasks — Name`; group 1 is what follows. */
const TASKS_HEADING = /^tasks?(?:[ \t]+for[ \t]+|[ \t]*[:—–-][ \t]*)(.+)$/is;
/** `I001: Name`, `F002 — Name`. */
const ID_PREFIX = /^[IF]?\d+(?:[ \t]*[:—–-][ \t]*|[ \t]*$)/i;

/**
 * `Authentication` from `# Tasks for I001: Authentication` or `# I001: Authentication`; undefined for
 * headings that do not name the spec (`# Tasks`, `# Implementation Tasks`).
 */
function titleFromHeading(heading: string | undefined): string | undefined {
  if (heading === undefined) return undefined;
  const rest = TASKS_HEADING.exec(heading)?.[1] ?? heading;
  const id = ID_PREFIX.exec(rest);
  if (rest === heading && !id) return undefined;
  const title = (id ? rest.slice(id[0].length) : rest).trim();
  return title === '' ? undefined : title;
}

function warning(source: SourceSpan, message: string): Diagnostic {
  return { ...errorAt(source, message), severity: 'warning' };
}

/** `specs` must be in run order with unique ids. */
export function assemblePlan(root: string, specs: LoadedSpec[], books: SpecBooks): Plan {
  const warnings: Diagnostic[] = [...books.warnings];
  const known = new Set(specs.map((s) => s.folder.id));
  const infos: SpecInfo[] = [];
  const tasks: Task[] = [];
  const perSpec: SpecTasks[] = [];

  for (const spec of specs) {
    const { folder, scan, tasksFile } = spec;
    const entry = books.entries.get(folder.id);
    const phaseId = String(folder.phase);
    const dependencies: string[] = [];
    for (const dep of entry?.dependencies ?? []) {
      if (!known.has(dep.id)) {
        warnings.push(warning(dep.source, `${folder.id} depends on ${dep.id}, which has no spec folder; ignored`));
      } else if (!dependencies.includes(dep.id)) dependencies.push(dep.id);
    }
    const title = titleFromHeading(scan?.heading) ?? entry?.name ?? (folder.slug || folder.id);
    infos.push({ id: folder.id, title, kind: folder.kind, phase: phaseId, path: folder.dir, dependencies });

    if (scan) warnings.push(...scan.warnings);
    if (tasksFile === undefined) {
      warnings.push(warning(spanAt(folder.dir, 0, 0), `spec ${folder.id} has no tasks.md; it has no tasks to run`));
    } else if (scan && scan.tasks.length === 0) {
      warnings.push(warning(spanAt(tasksFile, 0, 0), `spec ${folder.id} has no checkbox tasks in tasks.md`));
    }

    const own: SpecTasks = { spec: folder.id, phase: folder.phase, dependencies, tasks: [], layers: [] };
    (scan?.tasks ?? []).forEach((scanned, k) => {
      const details = taskDetails(scanned);
      const task: Task = {
        id: `${folder.id}.${k + 1}`,
        idKind: 'derived',
        title: details.title,
        body: details.body,
        phase: phaseId,
        deps: [],
        status: scanned.status,
        optional: false,
        parallel: false,
        tags: [...scanned.tags, `L${scanned.layer}`],
        requirements: details.requirements,
        files: details.files,
        criteria: scanned.criteria,
        spec: folder.id,
        source: spanAt(tasksFile as string, scanned.line, scanned.column),
      };
      if (details.estimateMinutes !== undefined) task.estimateMinutes = details.estimateMinutes;
      if (details.role !== undefined) task.role = details.role;
      if (details.complexity !== undefined) task.complexity = details.complexity;
      if (details.priority !== undefined) task.priority = details.priority;
      if (spec.documents.length > 0) task.context = [...spec.documents];
      for (const path of details.outside) warnings.push(outsidePathWarning(task.id, path, task.source));
      tasks.push(task);
      own.tasks.push(task);
      own.layers.push(scanned.layer);
    });
    perSpec.push(own);
  }

  linkTasks(perSpec);

  // One phase per spec phase; its source is its first task's line, else its first spec's folder.
  const phases: Phase[] = [];
  for (const spec of specs) {
    const id = String(spec.folder.phase);
    if (phases.some((p) => p.id === id)) continue;
    const first = tasks.find((t) => t.phase === id);
    const source = first?.source ?? spanAt(spec.tasksFile ?? spec.folder.dir, 0, 0);
    phases.push({ id, title: `Phase ${id}`, source, criteria: [] });
  }

  return {
    format: 'specs-tree',
    path: root,
    tasks,
    phases,
    documents: [],
    warnings,
    specs: infos,
  };
}
