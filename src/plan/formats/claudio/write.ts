import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { err, type Result } from '../../../result.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import type { Task } from '../../types.js';
import { updatePhaseStatus, updateProjectStatus } from './books.js';
import { findField, parseField, setFieldValue, statusFromText } from './fields.js';
import { cellText, setCell } from './md-table.js';
import { readTree, type TaskPlace } from './read.js';
import { isoDate, stampLike } from './stamps.js';
import { parseTasksFile } from './tasks-file.js';
import { dominantEol, editTextFile, joinText, splitText, type TextLines, writeText } from './text-file.js';
import { scopeOf } from './tree.js';

/*
 * Recording a finished task in a Claudio tree: its `status.md` (created when missing), its section's
 * `**Status**` and summary-table row in `tasks.md`, then the phase's and the project's books. The tree
 * is read again first, so the counts reflect the files as they are now, not the plan as it was read.
 */

export function recordTaskDone(planPath: string, taskId: string, now: Date): Result<void, Diagnostic> {
  const scope = scopeOf(planPath);
  if (!scope) return err(errorAt(undefined, `${planPath} is no longer part of a .claudio tree`));
  const tree = readTree(scope.root, planPath);
  const broken = tree.errors[0];
  if (broken) return err(broken);
  const place = tree.places.get(taskId);
  const task = tree.plan.tasks.find((t) => t.id === taskId);
  if (!place || !task) return err(errorAt(undefined, `task ${taskId} is no longer in ${scope.root}`));

  const own = writeTaskStatusFile(place, task, now);
  if (!own.ok) return own;
  const tasksFile = markInTasksFile(place, taskId);
  if (!tasksFile.ok) return tasksFile;
  // The books are counted from the tree as just read, with this task now done.
  task.status = 'done';
  const phaseTasks = tree.plan.tasks.filter((t) => t.phase === task.phase);
  const phaseStatus = updatePhaseStatus(join(place.phase.dir, 'phase_status.md'), taskId, phaseTasks, now);
  if (!phaseStatus.ok) return phaseStatus;
  return updateProjectStatus(join(scope.root, 'status.md'), task.phase, phaseTasks, tree.plan.tasks, now);
}

/** Percent fields of a task's status file that mean how much of it is done. */
const COMPLETION_FIELDS = ['completion', 'completion percentage', 'progress'];

function writeTaskStatusFile(place: TaskPlace, task: Task, now: Date): Result<void, Diagnostic> {
  if (!place.statusFile) return createStatusFile(place, task, now);
  return editTextFile(place.statusFile, (t) => {
    const found = findField(t.lines, ['status', 'current status']);
    if (found && statusFromText(found.field.value) === 'done') return false;
    if (found) t.lines[found.line] = setFieldValue(t.lines[found.line] as string, found.field, 'Completed');
    else insertStatusLine(t);
    for (let i = 0; i < t.lines.length; i++) {
      const line = t.lines[i] as string;
      const f = parseField(line);
      if (f?.name === 'actual completion') t.lines[i] = setFieldValue(line, f, isoDate(now));
      else if (f?.name === 'last updated') t.lines[i] = setFieldValue(line, f, stampLike(f.value, now));
      else if (f && COMPLETION_FIELDS.includes(f.name) && /^\d+(?:\.\d+)?%$/.test(f.value)) {
        t.lines[i] = setFieldValue(line, f, '100%');
      }
    }
    return true;
  });
}

/** A status file without a `**Status**` line gets one under its title (or at the top). */
function insertStatusLine(t: TextLines): void {
  const eol = dominantEol(t);
  const at = /^#\s/.test(t.lines[0] ?? '') ? 1 : 0;
  const added = at === 1 ? ['', '**Status**: Completed'] : ['**Status**: Completed', ''];
  if (at === 1 && t.eols[0] === '') t.eols[0] = eol;
  t.lines.splice(at, 0, ...added);
  t.eols.splice(at, 0, ...added.map(() => eol));
}

function createStatusFile(place: TaskPlace, task: Task, now: Date): Result<void, Diagnostic> {
  const dir = place.taskDir ?? join(place.phase.dir, `task${place.draft.minor}`);
  const eol = eolOf(place.phase.tasksFile);
  const text = [
    `# Task Status: ${task.title}`,
    '',
    `**Task ID**: ${task.id}`,
    '**Status**: Completed',
    `**Last Updated**: ${stampLike('', now)}`,
    '',
  ].join(eol);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return err(errorAt(undefined, `cannot create ${dir}: ${errorMessage(e)}`));
  }
  return writeText(join(dir, 'status.md'), text);
}

/** The line ending `tasks.md` uses, so a new status file matches the tree. */
function eolOf(file: string): string {
  try {
    return dominantEol(splitText(readFileSync(file, 'utf8')));
  } catch {
    return '\n';
  }
}

/** The task's own `**Status**` line and its summary-table row's Status cell in `tasks.md`. */
function markInTasksFile(place: TaskPlace, taskId: string): Result<void, Diagnostic> {
  return editTextFile(place.phase.tasksFile, (t) => {
    const parsed = parseTasksFile(joinText(t), place.phase.id);
    let changed = false;
    const own = parsed.tasks.find((d) => d.id === taskId)?.status;
    if (own && statusFromText(own.value) !== 'done') {
      const f = parseField(t.lines[own.line] as string);
      if (f) {
        t.lines[own.line] = setFieldValue(t.lines[own.line] as string, f, 'Completed');
        changed = true;
      }
    }
    const row = parsed.summary.get(taskId);
    const column = parsed.summaryColumns.indexOf('status');
    if (row && column >= 0 && statusFromText(cellText(t.lines[row.line] as string, column) ?? '') !== 'done') {
      const next = setCell(t.lines[row.line] as string, column, 'Completed', parsed.summaryAligned);
      if (next !== undefined) {
        t.lines[row.line] = next;
        changed = true;
      }
    }
    return changed;
  });
}

/** Every file `recordTaskDone` may write besides the tasks files: the status files of each task, phase and the project. */
export function claudioBookFiles(planPath: string): string[] {
  const scope = scopeOf(planPath);
  if (!scope) return [];
  const tree = readTree(scope.root, planPath);
  const files = new Set<string>([join(scope.root, 'status.md')]);
  for (const place of tree.places.values()) {
    files.add(
      place.statusFile ?? join(place.taskDir ?? join(place.phase.dir, `task${place.draft.minor}`), 'status.md'),
    );
    files.add(join(place.phase.dir, 'phase_status.md'));
  }
  return [...files];
}
