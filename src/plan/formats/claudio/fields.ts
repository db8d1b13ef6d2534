import type { TaskStatus } from '../../types.js';

/*
 * The words of a Claudio file: bold field lines (`**Effort**: 3 days`, `- **Current Status**: Not
 * Started`), what an effort, a status and a dependency list say, and how to rewrite a field's value.
 */

/** A `**Name**: value` line, also `**Name:** value` and as a list item (`- **Name**: value`). */
export interface FieldLine {
  /** The label in lower case, spaces collapsed: `effort`, `current status`. */
  name: string;
  value: string;
  /** Where the value starts and ends in the line (trailing whitespace excluded). */
  valueStart: number;
  valueEnd: number;
  listItem: boolean;
}

/**
 * Group 6 runs to the end of the line; its trailing spaces are cut in code, since a lazy `(.*?)`
 * before `[ \t]*$` backtracks in quadratic time over a long run of spaces inside the value.
 */
const FIELD = /^([ \t]*(?:[-*+][ \t]+)?)(\*\*|__)([^*_\n]+?)(:?)\2(:?)[ \t]*(.*)$/ds;

export function parseField(line: string): FieldLine | undefined {
  if (!line.includes('**') && !line.includes('__')) return undefined;
  const m = FIELD.exec(line);
  if (!m?.indices || (m[4] === '' && m[5] === '')) return undefined;
  const name = (m[3] as string).trim().replace(/\s+/g, ' ').toLowerCase();
  if (name === '') return undefined;
  const [valueStart] = m.indices[6] as [number, number];
  let value = m[6] as string;
  let end = value.length;
  while (end > 0 && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  value = value.slice(0, end);
  return { name, value, valueStart, valueEnd: valueStart + end, listItem: /[-*+]/.test(m[1] as string) };
}

/** `line` with the field's value replaced by `value`; the label, list marker and trailing spaces stay. */
export function setFieldValue(line: string, field: FieldLine, value: string): string {
  const before = line.slice(0, field.valueStart);
  const gap = field.value === '' && !/[ \t]$/.test(before) ? ' ' : '';
  return before + gap + value + line.slice(field.valueEnd);
}

/** The first field named one of `names` in `lines` (outside tables and fences is the caller's affair). */
export function findField(
  lines: readonly string[],
  names: readonly string[],
): { line: number; field: FieldLine } | undefined {
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (/^[ \t]*(```|~~~)/.test(l)) fenced = !fenced;
    if (fenced) continue;
    const f = parseField(l);
    if (f && names.includes(f.name)) return { line: i, field: f };
  }
  return undefined;
}

const MINUTES_PER: Record<string, number> = { m: 1, h: 60, d: 8 * 60, w: 5 * 8 * 60 };
const EFFORT =
  /(\d+(?:\.\d+)?)(?:[ \t]*(?:-|–|—|to)[ \t]*(\d+(?:\.\d+)?))?[ \t]*(minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w)\b/i;

/**
 * Minutes of an effort (`3 days`, `4 hours`, `2 weeks`, `1.5d`); a range (`2-3 days`) counts its
 * upper bound. A day is a working day of 8 hours, a week 5 days. Undefined when no amount is written.
 */
export function effortMinutes(value: string): number | undefined {
  const m = EFFORT.exec(value);
  if (!m) return undefined;
  const amount = Number(m[2] ?? m[1]);
  const unit = (m[3] as string).toLowerCase()[0] as string;
  return Math.round(amount * (MINUTES_PER[unit] ?? 1));
}

/** What a status word says (`Completed`, `In Progress`, `✅ Done`); undefined when it is not one we know. */
export function statusFromText(value: string): TaskStatus | undefined {
  const v = value
    .toLowerCase()
    .replace(/[^a-z ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (/^(completed?|done|finished|closed|resolved)\b/.test(v)) return 'done';
  if (/^(in progress|started|active|ongoing|wip|underway|under way|in review)\b/.test(v)) return 'in-progress';
  if (/^(not started|not yet started|pending|blocked|todo|to do|ready|planned|open|waiting|new|tbd)\b/.test(v)) {
    return 'pending';
  }
  if (/^cancell?ed\b/.test(v)) return 'cancelled';
  if (/^(deferred|postponed|on hold)\b/.test(v)) return 'deferred';
  if (/^skipped\b/.test(v)) return 'skipped';
  return undefined;
}

/** One task a dependency list names, with the offset of its id in the text. */
export interface DependencyMention {
  id: string;
  offset: number;
}

const NONE = /^[\s*_`]*(?:none\b|n\/a\b|nothing\b|no dependencies\b|[-–—]\s*$)/i;
/** Words after which the ids a list names are not dependencies: "Can run in parallel with Task 1.2". */
const NOT_A_DEPENDENCY =
  /\b(?:(?:in )?parallel with|in parallel|alongside|concurrently with|independent(?:ly)? of)\b/gi;
const DOTTED_ID = /\b(\d+)\.(\d+)\b(?:[ \t]*(?:-|–|—|to|through)[ \t]*(?:Tasks?[ \t]+)?(\d+)\.(\d+)\b)?/g;
const TASK_NUMBER = /\bTasks?[ \t]+(\d+)\b(?!\.\d)/gi;
const MAX_RANGE = 50;

/** `text` with the characters from `start` to `end` turned into spaces, so offsets stay right. */
function mask(text: string, start: number, end: number): string {
  return text.slice(0, start) + ' '.repeat(end - start) + text.slice(end);
}

/**
 * The tasks a dependency value names: `Task 1.1, Task 1.2`, `1.1, 1.2`, `Tasks 1.1 and 1.2`,
 * `Tasks 1.1-1.3`, `Task 2` (task 2 of phase `phase`). `None` names none; text in parentheses
 * (task titles) and what follows "parallel with" are not read.
 */
export function dependencyMentions(value: string, phase: string): DependencyMention[] {
  if (NONE.test(value)) return [];
  let text = value;
  for (let open = text.indexOf('('); open >= 0; open = text.indexOf('(', open + 1)) {
    const close = text.indexOf(')', open);
    text = mask(text, open, close < 0 ? text.length : close + 1);
  }
  NOT_A_DEPENDENCY.lastIndex = 0;
  for (let m = NOT_A_DEPENDENCY.exec(text); m; m = NOT_A_DEPENDENCY.exec(text)) {
    const stop = text.indexOf(';', m.index);
    text = mask(text, m.index, stop < 0 ? text.length : stop);
  }
  const found: DependencyMention[] = [];
  const add = (id: string, offset: number): void => {
    if (!found.some((f) => f.id === id)) found.push({ id, offset });
  };
  DOTTED_ID.lastIndex = 0;
  for (let m = DOTTED_ID.exec(text); m; m = DOTTED_ID.exec(text)) {
    const major = m[1] as string;
    const from = Number(m[2]);
    const to = m[3] === major ? Number(m[4]) : undefined;
    if (to !== undefined && to > from && to - from <= MAX_RANGE) {
      for (let k = from; k <= to; k++) add(`${major}.${k}`, m.index);
    } else {
      add(`${major}.${m[2]}`, m.index);
      if (m[3] !== undefined) add(`${m[3]}.${m[4]}`, m.index + m[0].lastIndexOf(`${m[3]}.${m[4]}`));
    }
    text = mask(text, m.index, m.index + m[0].length);
  }
  TASK_NUMBER.lastIndex = 0;
  for (let m = TASK_NUMBER.exec(text); m; m = TASK_NUMBER.exec(text)) {
    add(`${phase}.${m[1]}`, m.index + m[0].length - (m[1] as string).length);
  }
  return found.sort((a, b) => a.offset - b.offset);
}
