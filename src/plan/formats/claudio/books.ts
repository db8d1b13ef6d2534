import type { Result } from '../../../result.js';
import type { Diagnostic } from '../../diagnostic.js';
import type { Task } from '../../types.js';
import { findField, setFieldValue, statusFromText } from './fields.js';
import { cellText, findTable, setCell } from './md-table.js';
import { stampLike } from './stamps.js';
import { editTextFile, type TextLines } from './text-file.js';

/*
 * The books Claudio keeps above a task: the phase's `phase_status.md` (task table, phase progress and
 * status) and the project's `.claudio/status.md` (phase table, totals, overall progress). Each is
 * brought in line with the tasks as read at write time; a file, table, row or line that is not there
 * is left alone, and `**Last Updated**` moves only when something else changed.
 */

interface Counts {
  tasks: number;
  completed: number;
  inProgress: number;
  notStarted: number;
}

function countOf(tasks: readonly Task[]): Counts {
  const completed = tasks.filter((t) => t.status === 'done' || t.status === 'skipped').length;
  const inProgress = tasks.filter((t) => t.status === 'in-progress').length;
  return { tasks: tasks.length, completed, inProgress, notStarted: tasks.length - completed - inProgress };
}

const percent = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part * 100) / whole));

/** Line edits that remember whether anything changed. */
class Editor {
  changed = false;
  constructor(readonly t: TextLines) {}

  set(line: number, text: string | undefined): void {
    if (text !== undefined && this.t.lines[line] !== text) {
      this.t.lines[line] = text;
      this.changed = true;
    }
  }

  /** Sets the first field named one of `names` to what `value` makes of its old value (undefined: leave it). */
  field(names: string[], value: (old: string) => string | undefined): void {
    const found = findField(this.t.lines, names);
    if (!found) return;
    const next = value(found.field.value);
    if (next !== undefined) this.set(found.line, setFieldValue(this.t.lines[found.line] as string, found.field, next));
  }

  /** `**Last Updated**` → now, when something else changed. */
  finish(now: Date): boolean {
    if (this.changed) this.field(['last updated'], (old) => stampLike(old, now));
    return this.changed;
  }
}

/** The first percentage in a value replaced (`0% Complete (…)` → `13% Complete (…)`); undefined when none. */
function withPercent(value: string, pct: number): string | undefined {
  return /\d+(?:\.\d+)?%/.test(value) ? value.replace(/\d+(?:\.\d+)?%/, `${pct}%`) : undefined;
}

const isIdColumn = (c: string | undefined): boolean => c === 'task id' || c === 'id' || c === 'task' || c === '#';

/** `phaseN/phase_status.md`: the task's row, `**Phase Progress**`, the phase `**Status**`. */
export function updatePhaseStatus(
  file: string,
  taskId: string,
  phaseTasks: readonly Task[],
  now: Date,
): Result<void, Diagnostic> {
  const counts = countOf(phaseTasks);
  return editTextFile(file, (t) => {
    const e = new Editor(t);
    const table = findTable(t.lines, (cols) => isIdColumn(cols[0]) && cols.includes('status'));
    if (table) {
      const status = table.columns.indexOf('status');
      const progress = table.columns.indexOf('progress');
      const row = table.rows.find((r) => cellText(t.lines[r] as string, 0)?.replace(/^task\s+/i, '') === taskId);
      if (row !== undefined) {
        if (statusFromText(cellText(t.lines[row] as string, status) ?? '') !== 'done') {
          e.set(row, setCell(t.lines[row] as string, status, 'Completed', table.aligned));
        }
        if (progress >= 0) e.set(row, setCell(t.lines[row] as string, progress, '100%', table.aligned));
      }
    }
    e.field(['phase progress'], (old) => withPercent(old, percent(counts.completed, counts.tasks)));
    const allDone = counts.completed === counts.tasks;
    e.field(['status', 'current status'], (old) =>
      statusFromText(old) === (allDone ? 'done' : 'in-progress') ? undefined : allDone ? 'Completed' : 'In Progress',
    );
    return e.finish(now);
  });
}

const COLUMNS: Record<keyof Counts | 'progress', string[]> = {
  tasks: ['tasks', 'total tasks'],
  completed: ['completed', 'done'],
  inProgress: ['in progress'],
  notStarted: ['not started', 'pending', 'remaining'],
  progress: ['progress', 'completion', '% complete'],
};

/** `.claudio/status.md`: the phase's row and the `**Total**` row of the phase table, `**Overall Progress**`. */
export function updateProjectStatus(
  file: string,
  phaseId: string,
  phaseTasks: readonly Task[],
  allTasks: readonly Task[],
  now: Date,
): Result<void, Diagnostic> {
  return editTextFile(file, (t) => {
    const e = new Editor(t);
    let overall = percent(countOf(allTasks).completed, allTasks.length);
    const table = findTable(
      t.lines,
      (cols) => (cols[0] ?? '').startsWith('phase') && cols.some((c) => COLUMNS.completed.includes(c)),
    );
    if (table) {
      const column = (key: keyof typeof COLUMNS): number => table.columns.findIndex((c) => COLUMNS[key].includes(c));
      const rowText = (r: number): string => cellText(t.lines[r] as string, 0) ?? '';
      const phaseRow = new RegExp(`^phase\\s+${phaseId}(?![\\d.])`, 'i');
      const writeCounts = (row: number, counts: Partial<Counts>, pct: number | undefined): void => {
        for (const key of ['tasks', 'completed', 'inProgress', 'notStarted'] as const) {
          const value = counts[key];
          const c = column(key);
          if (value !== undefined && c >= 0)
            e.set(row, setCell(t.lines[row] as string, c, String(value), table.aligned));
        }
        const c = column('progress');
        if (pct !== undefined && c >= 0) e.set(row, setCell(t.lines[row] as string, c, `${pct}%`, table.aligned));
      };
      const own = table.rows.find((r) => phaseRow.test(rowText(r)));
      if (own !== undefined) {
        const counts = countOf(phaseTasks);
        writeCounts(own, counts, percent(counts.completed, counts.tasks));
      }
      const phases = table.rows.filter((r) => !/^total\b/i.test(rowText(r)));
      const sum = (key: keyof Counts): number | undefined => {
        const c = column(key);
        if (c < 0) return undefined;
        let total = 0;
        for (const r of phases) {
          const v = cellText(t.lines[r] as string, c) ?? '';
          if (!/^\d+$/.test(v)) return undefined;
          total += Number(v);
        }
        return total;
      };
      const sums = { tasks: sum('tasks'), completed: sum('completed'), inProgress: sum('inProgress') };
      const totalPct =
        sums.tasks !== undefined && sums.completed !== undefined ? percent(sums.completed, sums.tasks) : undefined;
      const notStarted =
        sums.tasks !== undefined && sums.completed !== undefined && sums.inProgress !== undefined
          ? sums.tasks - sums.completed - sums.inProgress
          : sum('notStarted');
      const total = table.rows.find((r) => /^total\b/i.test(rowText(r)));
      if (total !== undefined) writeCounts(total, { ...sums, notStarted }, totalPct);
      if (totalPct !== undefined) overall = totalPct;
    }
    e.field(['overall progress'], (old) => withPercent(old, overall));
    return e.finish(now);
  });
}
