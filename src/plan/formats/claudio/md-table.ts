import { CodeFences } from '../markdown/line-pass.js';

/*
 * Pipe tables as Claudio keeps its books in them (`| 1.1 | Setup | High | Not Started | 0% |`): find
 * one by its header cells, read a cell, and rewrite a single cell in place. A rewritten cell keeps its
 * width when the new text fits (aligned tables stay aligned) and grows only itself when it does not.
 */

export interface MarkdownTable {
  /** 0-based line of the header row. */
  headerLine: number;
  /** Header cells as plain lower-case text (`task id`, `status`). */
  columns: string[];
  /** 0-based lines of the body rows, in order. */
  rows: number[];
  /** Every row's pipes line up with the header's: the table is padded into columns. */
  aligned: boolean;
}

interface CellSpan {
  start: number;
  end: number;
}

const DELIMITER_CELL = /^[ \t]*:?-+:?[ \t]*$/;
const EMPHASIS = /^(\*\*|__|\*|_)(.+)\1$/;

/** Where each cell's raw text is in a table row; undefined for a line that is not a row. */
export function rowCells(line: string): CellSpan[] | undefined {
  if (!line.includes('|')) return undefined;
  let start = 0;
  while (start < line.length && (line[start] === ' ' || line[start] === '\t')) start++;
  const leadingPipe = line[start] === '|';
  if (leadingPipe) start++;
  const cells: CellSpan[] = [];
  let cellStart = start;
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '|') {
      cells.push({ start: cellStart, end: i });
      cellStart = i + 1;
    }
  }
  const rest = line.slice(cellStart);
  // Text after the last pipe is a cell only in a table written without the closing pipe.
  if (rest.trim() !== '') cells.push({ start: cellStart, end: line.length });
  if (!leadingPipe && cells.length < 2) return undefined;
  return cells;
}

/** Markup around a cell's words removed: `**24**` → `24`, `` `1.1` `` → `1.1`; `\|` unescaped. */
export function plainCell(raw: string): string {
  let t = raw.trim().replace(/\\\|/g, '|');
  for (;;) {
    const m = EMPHASIS.exec(t) ?? /^(`)(.+)`$/.exec(t);
    if (!m) return t;
    t = (m[2] as string).trim();
  }
}

/** The plain text of cell `index` of `line`; undefined when the row has no such cell. */
export function cellText(line: string, index: number): string | undefined {
  const cells = rowCells(line);
  const cell = cells?.[index];
  return cell ? plainCell(line.slice(cell.start, cell.end)) : undefined;
}

/**
 * The first table (outside code fences, at or after line `from`) whose normalised header cells
 * satisfy `wanted`.
 */
export function findTable(
  lines: readonly string[],
  wanted: (columns: string[]) => boolean,
  from = 0,
): MarkdownTable | undefined {
  const code = new CodeFences();
  for (let i = from; i + 1 < lines.length; i++) {
    const line = lines[i] as string;
    if (code.isCode(line, i)) continue;
    const header = rowCells(line);
    if (!header) continue;
    const delimiter = rowCells(lines[i + 1] as string);
    const next = lines[i + 1] as string;
    if (!delimiter || delimiter.length !== header.length) continue;
    if (!delimiter.every((c) => DELIMITER_CELL.test(next.slice(c.start, c.end)))) continue;
    const columns = header.map((c) => plainCell(line.slice(c.start, c.end)).toLowerCase().replace(/\s+/g, ' '));
    const rows: number[] = [];
    let j = i + 2;
    while (j < lines.length && (lines[j] as string).trim() !== '' && rowCells(lines[j] as string)) rows.push(j++);
    if (wanted(columns)) return { headerLine: i, columns, rows, aligned: isAligned(lines, i, j) };
    i = j - 1;
  }
  return undefined;
}

function isAligned(lines: readonly string[], from: number, to: number): boolean {
  const ends = (line: string): string =>
    `${(rowCells(line) ?? []).map((c) => `${c.start}-${c.end}`).join(',')}/${line.trimEnd().length}`;
  const header = ends(lines[from] as string);
  for (let k = from + 1; k < to; k++) if (ends(lines[k] as string) !== header) return false;
  return true;
}

/**
 * `line` with cell `index` holding `text`, or undefined when the row has no such cell. The spaces
 * around the old text stay; with `keepWidth` (an aligned table) the trailing padding shrinks or grows
 * instead so the cell keeps its width where the text fits. Emphasis that wrapped the old text
 * (`**24**`) wraps the new one.
 */
export function setCell(line: string, index: number, text: string, keepWidth = false): string | undefined {
  const cell = rowCells(line)?.[index];
  if (!cell) return undefined;
  const raw = line.slice(cell.start, cell.end);
  const content = raw.trim();
  const lead = raw.slice(0, raw.length - raw.trimStart().length);
  const trail = raw.slice(raw.trimEnd().length);
  const wrap = /^(\*\*|__)(.+)\1$/.exec(content)?.[1] ?? '';
  const inner = `${wrap}${text.replace(/\|/g, '\\|')}${wrap}`;
  if (content === '' && raw.length === 0) return `${line.slice(0, cell.start)} ${inner} ${line.slice(cell.end)}`;
  if (!keepWidth) return line.slice(0, cell.start) + lead + inner + trail + line.slice(cell.end);
  const minTrail = trail.length > 0 ? 1 : 0;
  const pad = Math.max(minTrail, raw.length - lead.length - inner.length);
  return line.slice(0, cell.start) + lead + inner + ' '.repeat(pad) + line.slice(cell.end);
}
