import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import { tickCheckboxBytes } from '../markdown/checkbox-byte.js';
import { spanAt } from '../markdown/lines.js';
import { assembleKiro, type KiroEntry } from './assemble.js';
import { scanKiro } from './scan.js';

/*
 * Writing a finished task back: re-read tasks.md, find the task's box again, set its state byte to
 * `x`, and tick its parent's box in the same write once every required sub-task is done. Nothing
 * else changes, so the `*` of an optional task, CRLF line endings and a BOM stay as they were.
 */

export async function tickKiroTask(file: string, taskId: string): Promise<Result<void, Diagnostic>> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    return err(errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`));
  }
  const text = buf.toString('utf8');
  const read = assembleKiro(scanKiro(text, file), file, 'kiro');
  const duplicate = read.duplicates.get(taskId);
  if (duplicate) return err(errorAt(duplicate.location, `${duplicate.message}; not ticking it`, duplicate.related));
  const target = read.entries.get(taskId);
  if (!target) return err(errorAt(undefined, `task ${taskId} is no longer in ${file}`));

  const toTick: KiroEntry[] = [];
  if (target.status !== 'done') toTick.push(target);
  const groupId = read.groupOf.get(taskId);
  const group = groupId === undefined ? undefined : read.plan.groups?.find((g) => g.id === groupId);
  if (group && group.status !== 'done') {
    const byId = new Map(read.plan.tasks.map((t) => [t.id, t]));
    const required = group.members.map((id) => byId.get(id)).filter((t) => t !== undefined && !t.optional);
    if (required.every((t) => t?.id === taskId || t?.status === 'done')) {
      const entry = read.entries.get(group.id);
      if (entry) toTick.push(entry);
    }
  }
  if (toTick.length === 0) return ok(undefined);

  const ticked = tickCheckboxBytes(
    buf,
    toTick.map((entry) => ({ line: entry.item.line, column: entry.item.stateColumn })),
  );
  if (!ticked.ok) {
    const { item, id } = toTick[ticked.error.index] as KiroEntry;
    return err(
      errorAt(spanAt(file, item.line, item.column), `cannot find the checkbox of task ${id}; the file was not changed`),
    );
  }
  try {
    writeFileAtomic(file, ticked.value);
  } catch (e) {
    return err(errorAt(spanAt(file, target.item.line, target.item.column), `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(undefined);
}
