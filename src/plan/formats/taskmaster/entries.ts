import { type Diagnostic, errorAt, type SourceSpan } from '../../diagnostic.js';
import type { TaskStatus } from '../../types.js';
import { type JsonDocument, type JsonNode, spanOf } from '../json-file.js';
import { idText, mapStatus, subtaskId, taskBody, titleText } from './fields.js';
import { propertyOf, propertyValue } from './root.js';

/*
 * One task object of tasks.json (a top-level task or a subtask) read with the positions of what it
 * says, before ids across the file are known.
 */

export interface Entry {
  /** Full id: `3`, or `3.2` for a subtask. */
  id: string;
  /** The task's `"id"` property (or the object when it has none). */
  source: SourceSpan;
  title: string;
  body: string;
  /** The task's own status; a parent's status is applied to its subtasks later. */
  status: TaskStatus;
  priority: string | undefined;
  /** Each value of `dependencies`, with its position. */
  deps: JsonNode[];
  /** Subtasks of a top-level task; always empty for a subtask. */
  subtasks: Entry[];
  /** The parent's id, for a subtask. */
  parent: string | undefined;
}

export interface EntryProblems {
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

function warningAt(location: SourceSpan, message: string): Diagnostic {
  return { severity: 'warning', location, message };
}

/** The values of an array property; missing or `null` means none, anything else but an array is an error. */
function arrayItems(doc: JsonDocument, node: JsonNode, key: string, owner: string, out: EntryProblems): JsonNode[] {
  const value = propertyValue(node, key);
  if (!value || value.type === 'null') return [];
  if (value.type !== 'array') {
    out.errors.push(errorAt(spanOf(doc, value), `"${key}" of task ${owner} must be an array`));
    return [];
  }
  return value.children ?? [];
}

function readStatus(doc: JsonDocument, node: JsonNode, id: string, out: EntryProblems): TaskStatus {
  const value = propertyValue(node, 'status');
  if (!value || value.type === 'null') return 'pending';
  const mapped = typeof value.value === 'string' ? mapStatus(value.value) : undefined;
  if (mapped) return mapped;
  const written = doc.text.slice(value.offset, value.offset + Math.min(value.length, 40));
  out.warnings.push(
    warningAt(spanOf(doc, value), `task ${id} has status ${written}, which Taskmaster does not use; read as pending`),
  );
  return 'pending';
}

/** Reads one task object; `undefined` (with an error recorded) when it has no usable id or title. */
export function readEntry(
  doc: JsonDocument,
  node: JsonNode,
  parent: string | undefined,
  out: EntryProblems,
): Entry | undefined {
  const kind = parent === undefined ? 'a task' : `a subtask of task ${parent}`;
  if (node.type !== 'object') {
    out.errors.push(errorAt(spanOf(doc, node), `${kind} must be an object`));
    return undefined;
  }
  const idNode = propertyValue(node, 'id');
  if (!idNode) {
    out.errors.push(errorAt(spanOf(doc, node), `${kind} has no "id"`));
    return undefined;
  }
  const ownId = idNode.type === 'number' || idNode.type === 'string' ? idText(idNode.value) : undefined;
  if (ownId === undefined) {
    out.errors.push(errorAt(spanOf(doc, idNode), 'a task id must be a number or a non-empty string'));
    return undefined;
  }
  const id = parent === undefined ? ownId : subtaskId(parent, ownId);
  const titleNode = propertyValue(node, 'title');
  if (!titleNode || typeof titleNode.value !== 'string' || titleNode.value.trim() === '') {
    const what = titleNode ? 'must be a non-empty string' : 'is missing';
    out.errors.push(errorAt(spanOf(doc, titleNode ?? node), `the "title" of task ${id} ${what}`));
    return undefined;
  }
  const value = (key: string): unknown => propertyValue(node, key)?.value;
  const priority = value('priority');
  const entry: Entry = {
    id,
    source: spanOf(doc, propertyOf(node, 'id')),
    title: titleText(titleNode.value),
    body: taskBody(value('description'), value('details'), value('testStrategy')),
    status: readStatus(doc, node, id, out),
    priority: typeof priority === 'string' && priority.trim() !== '' ? priority.trim() : undefined,
    deps: arrayItems(doc, node, 'dependencies', id, out),
    subtasks: [],
    parent,
  };
  const subtaskNodes = arrayItems(doc, node, 'subtasks', id, out);
  if (parent !== undefined) {
    if (subtaskNodes.length > 0) {
      out.warnings.push(
        warningAt(entry.source, `the subtasks of subtask ${id} are not read: Taskmaster nests subtasks one level deep`),
      );
    }
    return entry;
  }
  for (const sub of subtaskNodes) {
    const child = readEntry(doc, sub, id, out);
    if (child) entry.subtasks.push(child);
  }
  return entry;
}
