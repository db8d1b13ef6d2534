import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import type { Plan } from '../../types.js';
import {
  type JSONPath,
  type JsonDocument,
  type JsonNode,
  parseJsonDocument,
  setJsonValue,
  spanOf,
} from '../json-file.js';
import { idText, isDoneStatus, subtaskId } from './fields.js';
import { tasksFileOf } from './locate.js';
import { DEFAULT_TAG, propertyValue, selectTag } from './root.js';

/*
 * Marking a task done in tasks.json: the file is read again (Taskmaster or a person may have changed it
 * since), the task found by id under the plan's tag, and its "status" value set in place, so that every
 * other byte (formatting, metadata, line endings, a BOM) stays as it was.
 */

interface Located {
  /** Path of the task object from the root. */
  path: JSONPath;
  node: JsonNode;
  /** The parent task, for a subtask. */
  parent?: { path: JSONPath; node: JsonNode; siblings: JsonNode[] };
}

function ownId(node: JsonNode): string | undefined {
  const id = propertyValue(node, 'id');
  return id && (id.type === 'number' || id.type === 'string') ? idText(id.value) : undefined;
}

function locate(tasks: JsonNode, tasksPath: JSONPath, taskId: string): Located[] {
  const found: Located[] = [];
  (tasks.children ?? []).forEach((node, i) => {
    const id = ownId(node);
    if (id === undefined) return;
    const path = [...tasksPath, i];
    if (id === taskId) found.push({ path, node });
    const subtasks = propertyValue(node, 'subtasks');
    if (subtasks?.type !== 'array' || !taskId.startsWith(`${id}.`)) return;
    const siblings = subtasks.children ?? [];
    siblings.forEach((sub, j) => {
      const own = ownId(sub);
      if (own !== undefined && subtaskId(id, own) === taskId) {
        found.push({ path: [...path, 'subtasks', j], node: sub, parent: { path, node, siblings } });
      }
    });
  });
  return found;
}

const statusOf = (node: JsonNode): unknown => propertyValue(node, 'status')?.value;

/** Sets task `taskId` (and its parent, when that was its last open subtask) to done in the plan's tasks.json. */
export async function markTaskmasterDone(plan: Plan, taskId: string): Promise<Result<void, Diagnostic>> {
  const where = plan.tasks.find((t) => t.id === taskId)?.source;
  const file = (await tasksFileOf(plan.path)) ?? plan.path;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    return err(errorAt(where, `cannot read ${file}: ${errorMessage(e)}`));
  }
  // The edit is made on decoded text: bytes that are not UTF-8 would be written back as U+FFFD.
  if (!isUtf8(bytes)) {
    return err(
      errorAt(
        { file, line: 1, column: 1 },
        `cannot mark task ${taskId} done: the file is not valid UTF-8; not changing it`,
      ),
    );
  }
  const text = bytes.toString('utf8');
  const parsed = parseJsonDocument(text, file);
  if (!parsed.ok) {
    const first = parsed.error[0];
    return err(errorAt(first?.location, `cannot mark task ${taskId} done: ${first?.message ?? 'invalid JSON'}`));
  }
  const doc: JsonDocument = parsed.value;
  const tag = plan.tag ?? DEFAULT_TAG;
  const selection = selectTag(doc, tag, true);
  if (!selection.ok) {
    const first = selection.error[0];
    return err(errorAt(first?.location, `cannot mark task ${taskId} done: ${first?.message ?? `no tag ${tag}`}`));
  }
  const found = locate(selection.value.tasks, selection.value.tasksPath, taskId);
  if (found.length === 0) return err(errorAt(where, `task ${taskId} is no longer in ${file} (tag ${tag})`));
  const [target, second] = found as [Located, ...Located[]];
  if (second) {
    return err(
      errorAt(
        spanOf(doc, second.node),
        `task id ${taskId} is written more than once in ${file} (tag ${tag}); not marking it done`,
      ),
    );
  }

  // The BOM is not part of the JSON; jsonc-parser's edits are computed on the text without it.
  const bom = text.charCodeAt(0) === 0xfeff ? '\uFEFF' : '';
  let json = bom ? text.slice(1) : text;
  if (!isDoneStatus(statusOf(target.node))) json = setJsonValue(json, [...target.path, 'status'], 'done');
  const parent = target.parent;
  if (parent && !isDoneStatus(statusOf(parent.node))) {
    const othersDone = parent.siblings.every((s) => s === target.node || isDoneStatus(statusOf(s)));
    if (othersDone) json = setJsonValue(json, [...parent.path, 'status'], 'done');
  }
  const updated = bom + json;
  if (updated === text) return ok(undefined);
  try {
    writeFileAtomic(file, updated);
  } catch (e) {
    return err(errorAt(where, `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(undefined);
}
