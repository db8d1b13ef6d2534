import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import { spanAt } from '../markdown/lines.js';
import { assembleKiro, type KiroEntry } from './assemble.js';
import { scanKiro, splitLines } from './scan.js';

/*
 * Writing a finished task back: re-read tasks.md, find the task's box again, set its state byte to
 * `x`, and tick its parent's box in the same write once every required sub-task is done. Nothing
 * else changes, so the `*` of an optional task, CRLF line endings and a BOM stay as they were.
 */

/** Byte offset where each line of `buf` starts. */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let pos = buf.indexOf(0x0a); pos >= 0; pos = buf.indexOf(0x0a, pos + 1)) starts.push(pos + 1);
  return starts;
}

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

  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const lines = splitLines(text);
  const starts = lineStarts(buf);
  const out = Buffer.from(buf);
  for (const entry of toTick) {
    const { line, stateColumn } = entry.item;
    const start = starts[line];
    const lineText = lines[line];
    const where = spanAt(file, line, entry.item.column);
    if (start === undefined || lineText === undefined) {
      return err(errorAt(where, `cannot find the checkbox of task ${entry.id}; the file was not changed`));
    }
    const offset = start + (line === 0 ? bom : 0) + Buffer.byteLength(lineText.slice(0, stateColumn), 'utf8');
    const state = buf[offset];
    if (buf[offset - 1] !== 0x5b || buf[offset + 1] !== 0x5d || (state !== 0x20 && state !== 0x7e && state !== 0x2d)) {
      return err(errorAt(where, `cannot find the checkbox of task ${entry.id}; the file was not changed`));
    }
    out[offset] = 0x78; // x
  }
  try {
    writeFileAtomic(file, out);
  } catch (e) {
    return err(errorAt(spanAt(file, target.item.line, target.item.column), `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(undefined);
}
