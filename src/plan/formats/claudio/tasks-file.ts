import { extractFileRefs } from '../../file-refs.js';
import {
  atxHeading,
  CHECKBOX,
  CRITERIA_TEXT,
  closesFence,
  collapse,
  dedent,
  type Fence,
  fenceOpen,
  indentWidth,
  isBlank,
  isCriteriaLabel,
  THEMATIC_BREAK,
} from '../markdown/lines.js';
import { dependencyMentions, type FieldLine, parseField } from './fields.js';
import { readSummary, type SummaryTable } from './summary.js';
import { splitText } from './text-file.js';

/*
 * One phase's `tasks.md`: `## Task N.M: Title` sections (or `###`, or `Task M` numbered within the
 * phase) with their field lines, dependency lists, criteria and body, the summary table near the top,
 * and the phase's own completion criteria.
 */

/** A value written in the file with its 0-based place. */
export interface Located {
  value: string;
  line: number;
  column: number;
}

export interface TaskDraft {
  id: string;
  /** `explicit` for `Task 1.2`; `derived` for `Task 2` in phase 1, read as `1.2`. */
  idKind: 'explicit' | 'derived';
  /** The number within the phase, which names the task's folder (`task2`, `task2_slug`). */
  minor: string;
  title: string;
  /** 0-based line of the heading and column of the id in it. */
  line: number;
  column: number;
  priority?: string;
  effort?: Located;
  type?: string;
  /** A `**Status**:` line in the task's own section. */
  status?: Located;
  deps: Located[];
  criteria: string[];
  body: string;
  files: string[];
  /** Paths outside the repository the section names, as written. */
  outside: string[];
}

export interface PhaseFile extends SummaryTable {
  /** The `# ` heading, `- Task List` dropped. */
  title?: string;
  /** 0-based line of the title heading (0 when none). */
  titleLine: number;
  tasks: TaskDraft[];
  /** Checkboxes under the phase's own criteria heading (`## Phase 1 Completion Criteria`). */
  criteria: string[];
}

const TASK_HEADING = /^Task[ \t]+(\d+)(?:\.(\d+))?(?![\d.])[ \t]*(?:[:\-–—][ \t]*)?(.*)$/is;
/** The lookbehind starts a match only where a run of spaces does: from each space of a long run it is quadratic. */
const TITLE_SUFFIX = /(?<![ \t])[ \t]*(?:[-–—:][ \t]*)?(?:task list|tasks)$/i;
const LIST_CONTENT = /^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$/s;
const STATUS_MARK = /^(?:\s|✅|☑️?|✔️?|✓|❌|⬜|🔲|⏸️?)+/u;
const DEPENDENCY_FIELDS = new Set(['dependencies', 'dependency', 'depends on', 'prerequisites']);
const PREREQUISITE_FIELDS = new Set([
  'prerequisite tasks',
  'prerequisites',
  'depends on',
  'task dependencies',
  'blocked by',
]);
const DEPENDENCY_SECTION = /^(?:dependenc(?:y|ies)|prerequisites)\b/i;

interface Heading {
  level: number;
  text: string;
}

/** A line kept for the body; `heading` is its level when it is one. */
interface BodyLine {
  text: string;
  heading?: number;
  fenced?: boolean;
}

export function parseTasksFile(input: string, phase: string): PhaseFile {
  const lines = splitText(input).lines;
  const fenced: boolean[] = new Array(lines.length).fill(false);
  const headings: (Heading | undefined)[] = new Array(lines.length).fill(undefined);
  let fence: Fence | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (fence) {
      fenced[i] = true;
      if (closesFence(line, fence)) fence = undefined;
      continue;
    }
    fence = fenceOpen(line, i);
    if (fence) fenced[i] = true;
    else headings[i] = atxHeading(line);
  }

  const file: PhaseFile = { titleLine: 0, tasks: [], criteria: [], ...readSummary(lines, phase) };
  let criteriaHeading = 0;
  let i = 0;
  while (i < lines.length) {
    const h = headings[i];
    const task = h ? TASK_HEADING.exec(h.text.replace(/\*\*|__/g, '')) : null;
    if (h && task) {
      const end = sectionEnd(headings, i, h.level);
      file.tasks.push(readSection(lines, fenced, headings, i, end, task, phase));
      criteriaHeading = 0;
      i = end;
      continue;
    }
    if (h) {
      if (h.level === 1 && file.title === undefined) {
        file.title = h.text.replace(TITLE_SUFFIX, '') || h.text;
        file.titleLine = i;
      }
      if (criteriaHeading > 0 && h.level <= criteriaHeading) criteriaHeading = 0;
      if (criteriaHeading === 0 && CRITERIA_TEXT.test(h.text)) criteriaHeading = h.level;
    } else if (criteriaHeading > 0 && !fenced[i]) {
      const box = CHECKBOX.exec(lines[i] as string);
      if (box) file.criteria.push(collapse(box[5] as string));
    }
    i++;
  }
  return file;
}

/** A task's section runs to the next heading of its level or higher, or the next task heading. */
function sectionEnd(headings: readonly (Heading | undefined)[], start: number, level: number): number {
  for (let j = start + 1; j < headings.length; j++) {
    const h = headings[j];
    if (h && (h.level <= level || TASK_HEADING.test(h.text.replace(/\*\*|__/g, '')))) return j;
  }
  return headings.length;
}

function readSection(
  lines: readonly string[],
  fenced: readonly boolean[],
  headings: readonly (Heading | undefined)[],
  start: number,
  end: number,
  heading: RegExpExecArray,
  phase: string,
): TaskDraft {
  const headingLine = lines[start] as string;
  const major = heading[1] as string;
  const minor = heading[2] ?? major;
  const id = heading[2] === undefined ? `${phase}.${major}` : `${major}.${minor}`;
  const idColumn = headingLine.indexOf(
    heading[2] === undefined ? major : `${major}.${minor}`,
    headingLine.search(/task/i),
  );
  const draft: TaskDraft = {
    id,
    idKind: heading[2] === undefined ? 'derived' : 'explicit',
    minor,
    title: collapse((heading[3] as string).replace(/\*\*|__/g, '')) || `Task ${id}`,
    line: start,
    column: Math.max(0, idColumn),
    deps: [],
    criteria: [],
    body: '',
    files: [],
    outside: [],
  };
  const body: BodyLine[] = [];
  /** Adds the tasks `text` names as dependencies; returns how many it names. */
  const addDeps = (text: string, line: number, column: number): number => {
    const mentions = dependencyMentions(text, phase);
    for (const m of mentions) {
      if (!draft.deps.some((d) => d.value === m.id)) draft.deps.push({ value: m.id, line, column: column + m.offset });
    }
    return mentions.length;
  };
  let inHeader = true;
  let dependencySection = 0;
  let dependencyList = false;
  let criteria: 'heading' | 'label' | undefined;
  let criteriaLevel = 0;
  let skipIndent = -1;
  for (let i = start + 1; i < end; i++) {
    const line = lines[i] as string;
    if (fenced[i]) {
      body.push({ text: line, fenced: true });
      continue;
    }
    if (skipIndent >= 0) {
      if (!isBlank(line) && indentWidth(line) > skipIndent) continue;
      skipIndent = -1;
    }
    const h = headings[i];
    if (h) {
      inHeader = false;
      dependencyList = false;
      if (criteria === 'label' || (criteria === 'heading' && h.level <= criteriaLevel)) criteria = undefined;
      if (!criteria && CRITERIA_TEXT.test(h.text)) {
        criteria = 'heading';
        criteriaLevel = h.level;
      }
      if (dependencySection > 0 && h.level <= dependencySection) dependencySection = 0;
      if (dependencySection === 0 && DEPENDENCY_SECTION.test(h.text)) dependencySection = h.level;
      body.push({ text: line, heading: h.level });
      continue;
    }
    const field = parseField(line);
    if (field && inHeader && takeHeaderField(draft, field, i)) {
      if (DEPENDENCY_FIELDS.has(field.name)) {
        addDeps(field.value, i, field.valueStart);
        dependencyList = field.value === '';
      }
      continue;
    }
    if (field && dependencySection > 0 && PREREQUISITE_FIELDS.has(field.name)) {
      addDeps(field.value, i, field.valueStart);
      continue;
    }
    if (dependencyList) {
      const item = LIST_CONTENT.exec(line);
      // An item that names no task (`- Payment provider account`) is worth keeping in the body.
      if (item && addDeps(item[1] as string, i, line.length - (item[1] as string).length) > 0) continue;
      if (!item && !isBlank(line)) dependencyList = false;
    }
    const box = CHECKBOX.exec(line);
    if (box) {
      draft.criteria.push(collapse(box[5] as string));
      skipIndent = indentWidth(line);
      continue;
    }
    if (isCriteriaLabel(line)) {
      criteria = 'label';
      continue;
    }
    const item = criteria ? LIST_CONTENT.exec(line) : null;
    if (item) {
      const text = collapse((item[1] as string).replace(STATUS_MARK, ''));
      if (text !== '') draft.criteria.push(text);
      skipIndent = indentWidth(line);
      continue;
    }
    if (criteria === 'label' && !isBlank(line) && indentWidth(line) === 0) criteria = undefined;
    body.push({ text: line });
  }
  draft.body = cleanBody(body);
  // `handle_event/3` is a function and its arity (Elixir, Erlang), not a file.
  draft.files = extractFileRefs(lines.slice(start + 1, end).join('\n'), draft.outside).filter((f) => !/\/\d+$/.test(f));
  return draft;
}

/** Records a field of the lines under the task heading; false for fields that stay in the body. */
function takeHeaderField(draft: TaskDraft, field: FieldLine, line: number): boolean {
  const value = field.value.replace(/\*\*|__/g, '').trim();
  switch (field.name) {
    case 'priority':
      draft.priority ??= (value.split(/[\s(,;]/)[0] ?? '').toLowerCase() || undefined;
      return true;
    case 'effort':
    case 'estimated effort':
    case 'estimate':
      draft.effort ??= { value, line, column: field.valueStart };
      return true;
    case 'type':
      draft.type ??= value.toLowerCase() || undefined;
      return true;
    case 'status':
      draft.status ??= { value, line, column: field.valueStart };
      return true;
    case 'id':
    case 'task id':
      // The heading's id is the one that counts; the field only repeats it.
      return true;
    default:
      return DEPENDENCY_FIELDS.has(field.name);
  }
}

/**
 * The section's remaining lines as the task's body: thematic breaks and blank lines at the end
 * dropped, sub-headings left with nothing under them (`### Acceptance Criteria` once its checkboxes
 * became criteria) removed, runs of blank lines made one, dedented.
 */
function cleanBody(body: BodyLine[]): string {
  const lines = [...body];
  while (lines.length > 0 && (isBlank(lines.at(-1)?.text ?? '') || THEMATIC_BREAK.test(lines.at(-1)?.text ?? ''))) {
    lines.pop();
  }
  for (let k = lines.length - 1; k >= 0; k--) {
    const level = lines[k]?.heading;
    if (level === undefined) continue;
    let j = k + 1;
    while (j < lines.length && isBlank(lines[j]?.text ?? '') && lines[j]?.heading === undefined) j++;
    const next = lines[j];
    if (j === lines.length || (next?.heading !== undefined && next.heading <= level)) lines.splice(k, j - k);
  }
  const out: string[] = [];
  for (const l of lines) {
    if (!l.fenced && isBlank(l.text) && (out.length === 0 || isBlank(out.at(-1) ?? ''))) continue;
    out.push(l.text);
  }
  return dedent(out);
}
