import { err, ok, type Result } from '../../../result.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import { extractFileRefs, outsidePathWarning } from '../../file-refs.js';
import type { Dependency, Plan, Task, TaskGroup, TaskStatus } from '../../types.js';
import { type JsonDocument, type JsonNode, spanOf } from '../json-file.js';
import { type Entry, type EntryProblems, readEntry } from './entries.js';
import { idText } from './fields.js';
import type { TagSelection } from './root.js';

/*
 * A tag's task list as a Plan. A task with subtasks is a group, not a task: its subtasks run in its
 * place, inherit its dependencies, and a dependency on it means one on each of them. Taskmaster's graph
 * is all explicit, so no order is implied by the position of a task in the list.
 */

/** How a dependency value reads where it is written: at top level an id as it stands, in a subtask a sibling. */
function dependencyTarget(node: JsonNode, parent: string | undefined): string | undefined {
  if (node.type !== 'number' && node.type !== 'string') return undefined;
  const text = idText(node.value);
  if (text === undefined) return undefined;
  return parent === undefined || text.includes('.') ? text : `${parent}.${text}`;
}

/** A subtask's status in the light of its parent's: a done parent's work is done, a shelved one's is shelved. */
function subtaskStatus(own: TaskStatus, parent: TaskStatus): TaskStatus {
  if (parent === 'done') return 'done';
  if ((parent === 'cancelled' || parent === 'deferred') && own !== 'done') return parent;
  return own;
}

function groupStatus(parent: TaskStatus, members: TaskStatus[]): TaskStatus {
  if (members.every((s) => s === 'done')) return 'done';
  if (parent === 'cancelled' || parent === 'deferred') return parent;
  return members.some((s) => s === 'done' || s === 'in-progress') ? 'in-progress' : 'pending';
}

/**
 * A subtask's prompt text: its own, then its parent's, which is where Taskmaster keeps the context a
 * subtask is written against (the parent's details, its `<info added on …>` notes, its test strategy).
 */
function withParentContext(own: string, parent: Entry): string {
  const context = [`Part of task ${parent.id}: ${parent.title}`, parent.body].filter((p) => p !== '').join('\n\n');
  return own === '' ? context : `${own}\n\n${context}`;
}

export function buildPlan(
  doc: JsonDocument,
  selection: TagSelection,
  warnings: Diagnostic[],
): Result<Plan, Diagnostic[]> {
  const problems: EntryProblems = { errors: [], warnings };
  const entries: Entry[] = [];
  for (const node of selection.tasks.children ?? []) {
    const entry = readEntry(doc, node, undefined, problems);
    if (entry) entries.push(entry);
  }
  const { errors } = problems;

  const firstById = new Map<string, Entry>();
  for (const entry of entries.flatMap((e) => [e, ...e.subtasks])) {
    const first = firstById.get(entry.id);
    if (first) {
      errors.push(
        errorAt(entry.source, `duplicate task id ${entry.id}`, [
          { ...first.source, message: `${entry.id} is first here` },
        ]),
      );
    } else firstById.set(entry.id, entry);
  }

  const members = new Map<string, string[]>(
    entries.filter((e) => e.subtasks.length > 0).map((e) => [e.id, e.subtasks.map((s) => s.id)]),
  );

  const addDeps = (into: Dependency[], seen: Set<string>, entry: Entry, context: string | undefined): void => {
    for (const node of entry.deps) {
      const target = dependencyTarget(node, context);
      if (target === undefined) {
        errors.push(
          errorAt(spanOf(doc, node), `a dependency of task ${entry.id} must be a task id (a number or a string)`),
        );
        continue;
      }
      for (const id of members.get(target) ?? [target]) {
        if (seen.has(id)) continue;
        seen.add(id);
        into.push({ id, kind: 'explicit', source: spanOf(doc, node) });
      }
    }
  };

  const phase = selection.tag;
  const tasks: Task[] = [];
  const groups: TaskGroup[] = [];
  const toTask = (entry: Entry, status: TaskStatus, deps: Dependency[], parent?: Entry): Task => {
    const body = parent ? withParentContext(entry.body, parent) : entry.body;
    const priority = entry.priority ?? parent?.priority;
    const outside: string[] = [];
    // Only the task's own text: the parent's would make every sibling claim the same files.
    const files = extractFileRefs(`${entry.title}\n${entry.body}`, outside);
    for (const path of outside) problems.warnings.push(outsidePathWarning(entry.id, path, entry.source));
    return {
      id: entry.id,
      idKind: 'explicit',
      title: entry.title,
      body,
      phase,
      deps,
      status,
      optional: false,
      parallel: false,
      tags: [],
      requirements: [],
      files,
      criteria: [],
      ...(priority !== undefined ? { priority } : {}),
      source: entry.source,
    };
  };

  for (const entry of entries) {
    if (entry.subtasks.length === 0) {
      const deps: Dependency[] = [];
      addDeps(deps, new Set(), entry, undefined);
      tasks.push(toTask(entry, entry.status, deps));
      continue;
    }
    const inherited: Dependency[] = [];
    addDeps(inherited, new Set(), entry, undefined);
    const statuses: TaskStatus[] = [];
    for (const sub of entry.subtasks) {
      const deps: Dependency[] = [];
      const seen = new Set<string>();
      addDeps(deps, seen, sub, entry.id);
      for (const d of inherited) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        deps.push(d);
      }
      const status = subtaskStatus(sub.status, entry.status);
      statuses.push(status);
      tasks.push(toTask(sub, status, deps, entry));
    }
    groups.push({
      id: entry.id,
      title: entry.title,
      phase,
      members: entry.subtasks.map((s) => s.id),
      status: groupStatus(entry.status, statuses),
      source: entry.source,
    });
  }

  if (errors.length > 0) {
    const line = (d: Diagnostic): number => d.location?.line ?? 0;
    const column = (d: Diagnostic): number => d.location?.column ?? 0;
    return err(errors.sort((a, b) => line(a) - line(b) || column(a) - column(b)));
  }
  return ok({
    format: 'taskmaster',
    path: doc.file,
    tasks,
    phases: [{ id: phase, title: `tag ${phase}`, source: selection.source, criteria: [] }],
    documents: [],
    warnings: problems.warnings,
    groups,
    tag: selection.tag,
  });
}
