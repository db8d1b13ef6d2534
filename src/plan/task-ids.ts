import { createHash } from 'node:crypto';

/**
 * Task ids: spec-kit's explicit ids (`T001`, `T010a`), stable ids derived from a task's text for plans
 * that give none, the order ids sort in (for ranges such as `T003–T010a`), and the places in a line of
 * text where a task says which ids it depends on.
 */

/** A spec-kit id: `T`, digits, an optional lowercase suffix letter. */
export interface TaskIdKey {
  num: number;
  suffix: string;
}

const ID_KEY = /^T(\d+)([a-z]?)$/;

/** `T010a` → `{num: 10, suffix: 'a'}`; undefined for anything that is not a spec-kit id. */
export function taskIdKey(id: string): TaskIdKey | undefined {
  const m = ID_KEY.exec(id);
  if (!m) return undefined;
  return { num: Number(m[1]), suffix: m[2] ?? '' };
}

/** Orders by number, then suffix, no suffix before `a`: T009 < T010 < T010a < T010b < T011. */
export function compareTaskIdKeys(a: TaskIdKey, b: TaskIdKey): number {
  if (a.num !== b.num) return a.num < b.num ? -1 : 1;
  if (a.suffix === b.suffix) return 0;
  return a.suffix < b.suffix ? -1 : 1;
}

/**
 * The explicit id at the start of a task's text: `T001 `, `T010a `, `**T003** `, `T003: `. Group 1 is
 * the bold opener (to find the id's column), group 2 the id.
 */
const LEADING_ID = /^(\*{0,2})(T\d+[a-z]?)\*{0,2}:?\*{0,2}(?:[ \t]+|$)/;

export interface LeadingId {
  id: string;
  /** Offset of the id's `T` in the text given. */
  offset: number;
  /** Length of the id and the markup and space around it, to cut from the text. */
  length: number;
}

export function parseLeadingId(text: string): LeadingId | undefined {
  const m = LEADING_ID.exec(text);
  if (!m) return undefined;
  return { id: m[2] as string, offset: (m[1] as string).length, length: m[0].length };
}

/** Lowercase, whitespace collapsed, trailing punctuation dropped: what a derived id is hashed from. */
export function normaliseTitle(title: string): string {
  const t = title.toLowerCase().replace(/\s+/g, ' ').trim();
  let end = t.length;
  while (end > 0 && ' .,;:!?'.includes(t[end - 1] as string)) end--;
  return t.slice(0, end);
}

/**
 * `t-` + 8 hex digits of the sha1 of the normalised title: the same task keeps its id when others are
 * inserted, removed or reordered around it. Callers append `-2`, `-3` for repeated titles.
 */
export function derivedTaskId(title: string): string {
  return `t-${createHash('sha1').update(normaliseTitle(title)).digest('hex').slice(0, 8)}`;
}

/** One id a task says it depends on, or a range of them, with where it is written in the line. */
export interface DependencyRef {
  /** The id, or the start of the range. */
  id: string;
  /** Offset of `id` in the line. */
  offset: number;
  /** End of a range (`T003–T005`), with its offset. */
  to?: { id: string; offset: number };
}

/**
 * Phrases that introduce a list of ids the task depends on: `depends on T012`, `Depends on: T004`,
 * `Dependencies: T001, T002`, `Dependency: T002`, `(after T003)`. Bold labels (`**Dependencies**:`)
 * are allowed. Mentions of ids anywhere else ("see T004", "T003–T010a" in prose) are not dependencies.
 */
const DEP_TRIGGER =
  /(\(\s*)?(?:\*\*|__)?\b(depends?\s+on|dependenc(?:y|ies)|after)\b(?:\*\*|__)?\s*(:)?(?:\*\*|__)?\s*/gi;
const ID_AT = /T(\d+)([a-z]?)(?![\w])/y;
const SEPARATOR_AT = /(?:[\s,;&*`]|and(?![\w]))+/iy;
const RANGE_AT = /[ \t*`]*(?:-|–|—|\.\.)[ \t*`]*/y;

function idAt(line: string, pos: number): string | undefined {
  ID_AT.lastIndex = pos;
  const m = ID_AT.exec(line);
  return m ? m[0] : undefined;
}

/**
 * The ids one line says its task depends on. Ids are separated by commas, `and`, `&` or spaces;
 * ranges are written `T003-T005`, `T003–T005`, `T003—T005` or `T003..T005`.
 */
export function findDependencyRefs(line: string): DependencyRef[] {
  if (!/depend|after/i.test(line)) return [];
  const refs: DependencyRef[] = [];
  DEP_TRIGGER.lastIndex = 0;
  for (let m = DEP_TRIGGER.exec(line); m; m = DEP_TRIGGER.exec(line)) {
    const word = (m[2] as string).toLowerCase();
    if (word === 'after' && m[1] === undefined) continue;
    if (word.startsWith('dependenc') && m[3] === undefined) continue;
    let pos = DEP_TRIGGER.lastIndex;
    for (;;) {
      SEPARATOR_AT.lastIndex = pos;
      if (SEPARATOR_AT.exec(line)) pos = SEPARATOR_AT.lastIndex;
      const id = idAt(line, pos);
      if (id === undefined) break;
      const ref: DependencyRef = { id, offset: pos };
      pos += id.length;
      RANGE_AT.lastIndex = pos;
      if (RANGE_AT.exec(line)) {
        const end = RANGE_AT.lastIndex;
        const to = idAt(line, end);
        if (to !== undefined) {
          ref.to = { id: to, offset: end };
          pos = end + to.length;
        }
      }
      refs.push(ref);
    }
    DEP_TRIGGER.lastIndex = Math.max(DEP_TRIGGER.lastIndex, pos);
  }
  return refs;
}
