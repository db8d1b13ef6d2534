import type { SourceSpan } from '../../diagnostic.js';
import type { TaskStatus } from '../../types.js';

/*
 * The line grammar of a markdown plan: the few block shapes the scanner tells apart (checkbox items,
 * list items, ATX and setext headings, thematic breaks, code fences, criteria labels), each recognised
 * from one line with a regex or a short character loop, plus the helpers that turn lines into text.
 */

/**
 * A task checkbox item: indentation, list marker, spacing, state character, content. With `s`, since
 * a line's content may hold U+2028, U+2029 or a lone CR, which `.` alone does not match: such a task
 * would silently not be one. The line-level regexes of the other formats carry `s` for the same reason.
 */
export const CHECKBOX = /^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)\[([ xX~-])\][ \t]+(\S.*)$/s;
/** Any checkbox item anywhere in a file: what `detect` looks for before claiming the file. */
export const ANY_CHECKBOX = /^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[[ xX~-]\][ \t]+\S/m;
/** A task's status from the state character between its brackets. */
export const CHECKBOX_STATUS: Readonly<Record<string, TaskStatus>> = {
  ' ': 'pending',
  x: 'done',
  X: 'done',
  '-': 'in-progress',
  // `[~]` marks partial work or a stub in the wild: not done, still to run.
  '~': 'pending',
};
export const LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;
export const THEMATIC_BREAK = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;
export const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-{2,})[ \t]*$/;
/** Heading or label text that introduces criteria rather than work. */
export const CRITERIA_TEXT = /checklist|acceptance criteria|success criteria|definition of done|\bcriteria\b/i;

/** An open code fence: its marker character code, marker length and 0-based line. */
export interface Fence {
  char: number;
  length: number;
  line: number;
}

/** Where a 0-based line and column of `file` is, as a 1-based source span. */
export function spanAt(file: string, line: number, column: number): SourceSpan {
  return { file, line: line + 1, column: column + 1 };
}

/** Runs of whitespace (newlines too) become one space; ends trimmed. */
export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function isBlank(line: string): boolean {
  return !/[^ \t]/.test(line);
}

/** Width of the leading whitespace, a tab advancing to the next multiple of 4. */
export function indentWidth(line: string): number {
  let w = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) w++;
    else if (c === 9) w += 4 - (w % 4);
    else break;
  }
  return w;
}

/** Removes the indentation the non-blank lines share (tabs expanded in the indentation only). */
export function dedent(body: string[]): string {
  if (body.length === 0) return '';
  let common = Number.POSITIVE_INFINITY;
  for (const l of body) if (!isBlank(l)) common = Math.min(common, indentWidth(l));
  if (!Number.isFinite(common)) common = 0;
  const out = body.map((l) => {
    if (isBlank(l)) return '';
    if (common === 0) return l.trimEnd();
    let w = 0;
    let k = 0;
    while (k < l.length && w < common) {
      const c = l.charCodeAt(k);
      w += c === 9 ? 4 - (w % 4) : 1;
      k++;
    }
    return (' '.repeat(w - common) + l.slice(k)).trimEnd();
  });
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

export function atxHeading(line: string): { level: number; text: string; column: number } | undefined {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  if (i > 3 || line.charCodeAt(i) !== 35 /* # */) return undefined;
  let j = i;
  while (j < line.length && line.charCodeAt(j) === 35) j++;
  const level = j - i;
  if (level > 6) return undefined;
  if (j < line.length && line.charCodeAt(j) !== 32 && line.charCodeAt(j) !== 9) return undefined;
  let text = line.slice(j).trim();
  let k = text.length;
  while (k > 0 && text.charCodeAt(k - 1) === 35) k--;
  if (k === 0) text = '';
  else if (k < text.length && (text.charCodeAt(k - 1) === 32 || text.charCodeAt(k - 1) === 9)) {
    text = text.slice(0, k).trimEnd();
  }
  return { level, text, column: i };
}

/**
 * An opening code fence: three or more backticks or tildes. Indentation is not limited to three
 * spaces, because fences inside list items are common in plans and indented code blocks that hold
 * fence markers are not.
 */
export function fenceOpen(line: string, lineNo: number): Fence | undefined {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  const c = line.charCodeAt(i);
  if (c !== 96 && c !== 126) return undefined;
  let j = i;
  while (j < line.length && line.charCodeAt(j) === c) j++;
  if (j - i < 3) return undefined;
  if (c === 96 && line.indexOf('`', j) >= 0) return undefined;
  return { char: c, length: j - i, line: lineNo };
}

export function closesFence(line: string, fence: Fence): boolean {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  let j = i;
  while (j < line.length && line.charCodeAt(j) === fence.char) j++;
  if (j - i < fence.length) return false;
  return isBlank(line.slice(j));
}

/** A line that continues the paragraph of the list item above it rather than starting a block. */
export function isLazyContinuation(line: string): boolean {
  const t = line.trimStart();
  const c = t.charCodeAt(0);
  if (c === 62 /* > */ || c === 124 /* | */ || c === 60 /* < */) return false;
  if (LIST_ITEM.test(line) || THEMATIC_BREAK.test(line) || SETEXT_UNDERLINE.test(line)) return false;
  if (fenceOpen(line, 0) || isCriteriaLabel(line)) return false;
  return true;
}

/**
 * A paragraph that is only a label introducing criteria: `**Acceptance Criteria**:`,
 * `**Acceptance Criteria:**`, `Acceptance criteria:`, `**Success Criteria**`.
 */
export function isCriteriaLabel(line: string): boolean {
  let t = line.trim();
  if (t.length > 80 || t.length < 3) return false;
  let colon = false;
  if (t.endsWith(':')) {
    colon = true;
    t = t.slice(0, -1).trimEnd();
  }
  let bold = false;
  for (const mark of ['**', '__']) {
    if (t.length > 4 && t.startsWith(mark) && t.endsWith(mark)) {
      bold = true;
      t = t.slice(2, -2).trim();
      break;
    }
  }
  if (t.endsWith(':')) {
    colon = true;
    t = t.slice(0, -1).trimEnd();
  }
  if (!bold && !colon) return false;
  if (/[*_`[\]]/.test(t) || t.split(/\s+/).length > 5) return false;
  return CRITERIA_TEXT.test(t);
}

export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s === '' ? 'section' : s;
}
