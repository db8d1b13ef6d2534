import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import type { Plan, SpecInfo, Task } from '../../types.js';
import { nodeAt, parseJsonDocument, setJsonValue } from '../json-file.js';
import { tickCheckboxBytes } from '../markdown/checkbox-byte.js';
import { bookFileOf, entryIndex, readBookText, statusPath } from './books.js';
import { tasksFileOf } from './layout.js';
import { taskDetails } from './task-details.js';
import { type ScannedTask, scanTasksFile } from './tasks-file.js';

/*
 * A done task goes back into its spec's `tasks.md` as one byte (`[ ]` → `[x]`); when that makes every
 * task of the spec done, the spec's entry in `features.json` or `.claude/project.json` gets
 * `"status": "completed"`. Both files are re-read at write time and change nowhere else.
 */

const TASK_ID = /^([IF]\d+)\.(\d+)$/;

/**
 * The task in the file as it is now: the one at the same position if its title is unchanged,
 * else the one task with that title (a person may have added or removed tasks above it).
 */
function findAgain(scanned: ScannedTask[], position: number, title: string): ScannedTask | undefined {
  const same = scanned[position - 1];
  if (same && taskDetails(same).title === title) return same;
  const byTitle = scanned.filter((t) => taskDetails(t).title === title);
  return byTitle.length === 1 ? byTitle[0] : undefined;
}

export async function writeTaskDone(plan: Plan, taskId: string): Promise<Result<void, Diagnostic>> {
  const m = TASK_ID.exec(taskId);
  const spec = m ? plan.specs?.find((s) => s.id === m[1]) : undefined;
  const task = plan.tasks.find((t) => t.id === taskId);
  if (!m || !spec || !task) return err(errorAt(undefined, `no task ${taskId} in the specs tree at ${plan.path}`));
  const file = tasksFileOf(spec.path);
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    return err(errorAt(task.source, `cannot read ${file}: ${errorMessage(e)}`));
  }
  const text = buf.toString('utf8');
  const scan = scanTasksFile(text, file);
  const target = findAgain(scan.tasks, Number(m[2]), task.title);
  if (!target) {
    return err(errorAt(task.source, `task ${taskId} ("${task.title}") is no longer in ${file}; not ticking it`));
  }
  if (target.status !== 'done') {
    const ticked = tick(buf, target, file, task);
    if (!ticked.ok) return ticked;
    target.status = 'done';
  }
  if (scan.tasks.every((t) => t.status === 'done')) return markSpecCompleted(plan.path, spec);
  return ok(undefined);
}

function tick(buf: Buffer, target: ScannedTask, file: string, task: Task): Result<void, Diagnostic> {
  // The scan gives the column of the `[`; the state character is the one after it.
  const ticked = tickCheckboxBytes(buf, [{ line: target.line, column: target.column + 1 }]);
  if (!ticked.ok) {
    const tail = ticked.error.reason === 'no-line' ? '' : `; ${file} was not changed`;
    return err(errorAt(task.source, `cannot find the checkbox of ${task.id}${tail}`));
  }
  try {
    writeFileAtomic(file, ticked.value);
  } catch (e) {
    return err(errorAt(task.source, `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(undefined);
}

/** Sets the spec's `status` to "completed" in its book, when the book lists it. */
export async function markSpecCompleted(root: string, spec: SpecInfo): Promise<Result<void, Diagnostic>> {
  const file = bookFileOf(root, spec.kind);
  const read = await readBookText(file);
  if (!read.ok) return err(read.error[0] as Diagnostic);
  if (read.value === undefined) return ok(undefined);
  const parsed = parseJsonDocument(read.value, file);
  if (!parsed.ok) {
    const first = parsed.error[0] as Diagnostic;
    return err({ ...first, message: `${first.message}; ${spec.id} is done but not marked completed` });
  }
  const index = entryIndex(parsed.value, spec.kind, spec.id);
  if (index < 0) return ok(undefined);
  const path = statusPath(spec.kind, index);
  const current = nodeAt(parsed.value, path);
  if (current?.value === 'completed') return ok(undefined);
  const bom = read.value.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  const updated = bom + setJsonValue(read.value.slice(bom.length), path, 'completed');
  try {
    writeFileAtomic(file, updated);
  } catch (e) {
    return err(errorAt(undefined, `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(undefined);
}
