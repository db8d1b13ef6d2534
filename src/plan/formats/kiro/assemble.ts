import { type Diagnostic, errorAt } from '../../diagnostic.js';
import { collectFileRefs, outsidePathWarning } from '../../file-refs.js';
import { derivedTaskId } from '../../task-ids.js';
import type { Phase, Plan, SourceSpan, Task, TaskGroup, TaskStatus } from '../../types.js';
import { CHECKBOX_STATUS, collapse, dedent, spanAt } from '../markdown/lines.js';
import { requirementsLine, splitTitleRequirements, validatedRequirements } from './requirements.js';
import type { KiroItem, KiroScan } from './scan.js';

/*
 * From the scanned items to a plan: numbers give the hierarchy (`2.1` belongs to `2.`, nested or not)
 * and the run order; a top-level task with sub-tasks becomes a group; each runnable task waits for the
 * one before it.
 */

const CHECKPOINT = /^checkpoint\b/i;
/** Phase of the tasks written before any numbered one. */
const FIRST_PHASE = 'tasks';

export interface KiroEntry {
  /** The task or group id. */
  id: string;
  item: KiroItem;
  status: TaskStatus;
}

export interface KiroPlan {
  /** The plan as read, also when `errors` is not empty. */
  plan: Plan;
  errors: Diagnostic[];
  /** Every task and group with its checkbox, by id (the first one when an id is written twice). */
  entries: Map<string, KiroEntry>;
  /** Group id of each member task. */
  groupOf: Map<string, string>;
  /** The error for each number written more than once. */
  duplicates: Map<string, Diagnostic>;
}

const numberKey = (n: string): number[] => n.split('.').map(Number);

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) - (b[i] as number);
  }
  return a.length - b.length;
}

/**
 * Number order; an unnumbered item stays right after the numbered item written before it. Warns
 * about a number written after a higher one, since the order run is then not the order read.
 */
function runOrder(items: KiroItem[], file: string, warnings: Diagnostic[]): KiroItem[] {
  const keys = new Map<KiroItem, number[]>();
  let current: number[] = [];
  let highest: { key: number[]; number: string } | undefined;
  for (const item of items) {
    if (item.number !== undefined) {
      current = numberKey(item.number);
      if (highest && compareKeys(current, highest.key) < 0) {
        warnings.push({
          severity: 'warning',
          location: spanAt(file, item.line, item.column),
          message: `task ${item.number} is written after task ${highest.number}; tasks run in number order`,
        });
      } else highest = { key: current, number: item.number };
    }
    keys.set(item, current);
  }
  // Array.prototype.sort is stable, so equal keys keep the order they were written in.
  return [...items].sort((a, b) => compareKeys(keys.get(a) as number[], keys.get(b) as number[]));
}

/**
 * When the file numbers its tasks, an unnumbered checkbox in a heading section that holds no
 * numbered task (a `## Notes` legend, a checklist of the spec's own) is not a task.
 */
function dropStrayCheckboxes(scan: KiroScan, file: string, warnings: Diagnostic[]): KiroItem[] {
  const numberedSections = new Set<number>();
  for (const item of scan.items) if (item.number !== undefined) numberedSections.add(item.section);
  if (numberedSections.size === 0) return scan.items;
  return scan.items.filter((item) => {
    if (item.number !== undefined || numberedSections.has(item.section)) return true;
    const section = scan.sectionTitles[item.section] || '(before the first heading)';
    warnings.push({
      severity: 'warning',
      location: spanAt(file, item.line, item.column),
      message: `unnumbered checkbox in section "${section}", which has no numbered task, is not read as a task`,
    });
    return false;
  });
}

interface ItemText {
  title: string;
  body: string;
  requirements: string[];
  files: string[];
  /** Paths outside the repository the item names, as written. */
  outside: string[];
}

function readItemText(item: KiroItem, scan: KiroScan): ItemText {
  const split = splitTitleRequirements(item.title);
  const title = collapse(split.title);
  const requirements = [...split.requirements];
  const files: string[] = [];
  const seenFiles = new Set<string>();
  const outside: string[] = [];
  collectFileRefs(title, files, seenFiles, outside);
  const body: string[] = [];
  for (const ln of item.bodyLines) {
    const line = scan.lines[ln] as string;
    if (!scan.codeLines.has(ln)) {
      const listed = requirementsLine(line);
      if (listed) {
        requirements.push(...listed);
        continue;
      }
      requirements.push(...validatedRequirements(line));
    }
    body.push(line);
    collectFileRefs(line, files, seenFiles, outside);
  }
  return { title, body: dedent(body), requirements: [...new Set(requirements)], files, outside };
}

export function assembleKiro(scan: KiroScan, file: string, format: string): KiroPlan {
  const warnings = [...scan.warnings];
  const errors: Diagnostic[] = [];
  const items = runOrder(dropStrayCheckboxes(scan, file, warnings), file, warnings);
  const span = (item: KiroItem): SourceSpan => spanAt(file, item.line, item.column);

  const firstByNumber = new Map<string, KiroItem>();
  const duplicates = new Map<string, Diagnostic>();
  for (const item of [...items].sort((a, b) => a.line - b.line)) {
    if (item.number === undefined) continue;
    const first = firstByNumber.get(item.number);
    if (first) {
      const error = errorAt(span(item), `task number ${item.number} is written more than once`, [
        { ...span(first), message: `task ${item.number} is first written here` },
      ]);
      errors.push(error);
      if (!duplicates.has(item.number)) duplicates.set(item.number, error);
    } else firstByNumber.set(item.number, item);
  }

  const major = (item: KiroItem): string | undefined => item.number?.split('.')[0];
  const parents = new Set<string>();
  for (const item of items) {
    const m = major(item);
    if (m !== undefined && item.number !== m && firstByNumber.has(m)) parents.add(m);
  }

  const phases: Phase[] = [];
  const phaseIds = new Set<string>();
  const groups: TaskGroup[] = [];
  const groupById = new Map<string, TaskGroup>();
  const optionalGroups = new Set<string>();
  /** A parent's `_Requirements` line is about all of its sub-tasks. */
  const groupRequirements = new Map<string, string[]>();
  const entries = new Map<string, KiroEntry>();
  const groupOf = new Map<string, string>();
  const tasks: Task[] = [];
  const usedIds = new Set<string>(firstByNumber.keys());
  let phase = FIRST_PHASE;

  for (const item of items) {
    const text = readItemText(item, scan);
    const status = CHECKBOX_STATUS[item.state] ?? 'pending';
    const m = major(item);
    if (m !== undefined) phase = m;
    if (!phaseIds.has(phase)) {
      phaseIds.add(phase);
      const owner = m !== undefined ? firstByNumber.get(m) : undefined;
      phases.push({
        id: phase,
        title: owner
          ? collapse(splitTitleRequirements(owner.title).title)
          : phase === FIRST_PHASE
            ? 'Tasks'
            : text.title,
        source: span(owner ?? item),
        criteria: [],
      });
    }
    if (item.number !== undefined && parents.has(item.number)) {
      if (firstByNumber.get(item.number) !== item) continue;
      const group: TaskGroup = { id: item.number, title: text.title, phase, members: [], status, source: span(item) };
      groups.push(group);
      groupById.set(group.id, group);
      if (item.optional) optionalGroups.add(group.id);
      groupRequirements.set(group.id, text.requirements);
      entries.set(group.id, { id: group.id, item, status });
      continue;
    }
    let id = item.number;
    if (id === undefined) {
      const base = derivedTaskId(text.title);
      id = base;
      for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
      usedIds.add(id);
    }
    const group = m !== undefined && parents.has(m) ? groupById.get(m) : undefined;
    if (group) {
      group.members.push(id);
      groupOf.set(id, group.id);
    }
    if (!entries.has(id)) entries.set(id, { id, item, status });
    tasks.push({
      id,
      idKind: item.number !== undefined ? 'explicit' : 'derived',
      title: text.title,
      body: text.body,
      phase,
      deps: [],
      status,
      // Sub-tasks of an optional parent are optional with it.
      optional: item.optional || (group !== undefined && optionalGroups.has(group.id)),
      parallel: false,
      tags: CHECKPOINT.test(text.title) ? ['checkpoint'] : [],
      requirements: group
        ? [...new Set([...text.requirements, ...(groupRequirements.get(group.id) ?? [])])]
        : text.requirements,
      files: text.files,
      criteria: [],
      source: span(item),
    });
    for (const path of text.outside) warnings.push(outsidePathWarning(id, path, span(item)));
  }

  for (let k = 1; k < tasks.length; k++) {
    const task = tasks[k] as Task;
    task.deps.push({ id: (tasks[k - 1] as Task).id, kind: 'sequential', source: task.source });
  }
  if (items.length === 0) {
    errors.push(
      errorAt(spanAt(file, 0, 0), 'no tasks found: expected Kiro checkbox tasks such as "- [ ] 1. Do something"'),
    );
  }

  const plan: Plan = { format, path: file, tasks, phases, documents: [], warnings, groups };
  return { plan, errors, entries, groupOf, duplicates };
}
