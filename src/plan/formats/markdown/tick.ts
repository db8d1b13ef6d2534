import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import type { Task } from '../../types.js';
import { scanMarkdown } from './scanner.js';
import type { CheckboxPosition } from './types.js';

/** Byte offset of the start of line `line` (0-based) in `buf`, or -1 when the file has fewer lines. */
function lineStartOffset(buf: Buffer, line: number): number {
  let pos = 0;
  for (let n = 0; n < line; n++) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return -1;
    pos = nl + 1;
  }
  return pos;
}

/**
 * Ticks task `taskId` in the plan file: re-reads the file (a person may have edited it), finds the
 * task again, and changes the one byte between its brackets to `x`. Everything else stays
 * byte-for-byte as it was.
 */
export async function tickMarkdownTask(file: string, taskId: string): Promise<Result<void, Diagnostic>> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    return err(errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`));
  }
  const text = buf.toString('utf8');
  const scan = scanMarkdown(text, file);
  const matches: number[] = [];
  scan.plan.tasks.forEach((t, k) => {
    if (t.id === taskId) matches.push(k);
  });
  if (matches.length === 0) return err(errorAt(undefined, `task ${taskId} is no longer in ${file}`));
  if (matches.length > 1) {
    const second = scan.plan.tasks[matches[1] as number] as Task;
    return err(errorAt(second.source, `task id ${taskId} is written more than once in ${file}; not ticking it`));
  }
  const task = scan.plan.tasks[matches[0] as number] as Task;
  if (task.status === 'done') return ok(undefined);
  const box = scan.boxes[matches[0] as number] as CheckboxPosition;
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const start = lineStartOffset(buf, box.line);
  const textLines = (bom ? text.slice(1) : text).split('\n', box.line + 1);
  const lineText = textLines[box.line];
  if (start < 0 || lineText === undefined)
    return err(errorAt(task.source, `cannot find the checkbox of task ${taskId}`));
  const offset = start + (box.line === 0 ? bom : 0) + Buffer.byteLength(lineText.slice(0, box.column), 'utf8');
  const b = buf[offset];
  if (buf[offset - 1] !== 0x5b || buf[offset + 1] !== 0x5d || (b !== 0x20 && b !== 0x7e && b !== 0x2d)) {
    return err(errorAt(task.source, `cannot find the checkbox of task ${taskId}; the file was not changed`));
  }
  const out = Buffer.from(buf);
  out[offset] = 0x78; // x
  try {
    writeFileAtomic(file, out);
  } catch (e) {
    return err(errorAt(task.source, `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(undefined);
}
