import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { faultPoint } from '../../../util/fault.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import type { Task } from '../../types.js';
import { tickCheckboxBytes } from './checkbox-byte.js';
import { scanMarkdown } from './scanner.js';
import type { CheckboxPosition } from './types.js';

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
  const ticked = tickCheckboxBytes(buf, [box]);
  if (!ticked.ok) {
    const tail = ticked.error.reason === 'no-line' ? '' : '; the file was not changed';
    return err(errorAt(task.source, `cannot find the checkbox of task ${taskId}${tail}`));
  }
  try {
    writeFileAtomic(file, ticked.value);
  } catch (e) {
    return err(errorAt(task.source, `cannot write ${file}: ${errorMessage(e)}`));
  }
  faultPoint('tick:written');
  return ok(undefined);
}
