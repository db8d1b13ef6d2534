import { cellText, findTable } from './md-table.js';

/*
 * The table near the top of a phase's `tasks.md` (`| Task ID | Task Name | Priority | Effort | Status |`):
 * a task's status, priority and effort where its own files do not say them, and the row to mark done.
 */

export interface SummaryRow {
  /** 0-based line of the row. */
  line: number;
  status?: string;
  priority?: string;
  effort?: string;
}

export interface SummaryTable {
  /** Rows by task id (`1.1`; a bare `2` in phase 1 is `1.2`). */
  summary: Map<string, SummaryRow>;
  /** The table's columns (lower case), to find the Status cell again. */
  summaryColumns: string[];
  /** The table is padded into aligned columns. */
  summaryAligned: boolean;
}

/** Headers of the id column, most id-like first. */
const ID_COLUMNS = ['task id', 'id', '#', 'task'];

/** The `| Task ID | ... | Status |` table: each row's status, priority and effort by task id. */
export function readSummary(lines: readonly string[], phase: string): SummaryTable {
  const table = findTable(lines, (cols) => cols.some((c) => ID_COLUMNS.includes(c)) && cols.includes('status'));
  const summary: SummaryTable = { summary: new Map(), summaryColumns: [], summaryAligned: false };
  if (!table) return summary;
  // `| Task ID | Task |` or `| Task | ID |`: the most id-like header names the id column.
  const idColumn = table.columns.indexOf(ID_COLUMNS.find((name) => table.columns.includes(name)) as string);
  const column = (names: string[]): number => table.columns.findIndex((c) => names.includes(c));
  const statusColumn = column(['status']);
  const priorityColumn = column(['priority']);
  const effortColumn = column(['effort', 'estimate', 'estimated effort']);
  summary.summaryColumns = table.columns;
  summary.summaryAligned = table.aligned;
  for (const row of table.rows) {
    const line = lines[row] as string;
    const m = /^(?:task\s+)?(\d+)(?:\.(\d+))?$/i.exec(cellText(line, idColumn) ?? '');
    if (!m) continue;
    const id = m[2] === undefined ? `${phase}.${m[1]}` : `${m[1]}.${m[2]}`;
    if (summary.summary.has(id)) continue;
    const cell = (index: number): string | undefined => (index < 0 ? undefined : cellText(line, index) || undefined);
    summary.summary.set(id, {
      line: row,
      status: cell(statusColumn),
      priority: cell(priorityColumn),
      effort: cell(effortColumn),
    });
  }
  return summary;
}
