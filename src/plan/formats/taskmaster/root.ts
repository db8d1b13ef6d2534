import { err, ok, type Result } from '../../../result.js';
import { type Diagnostic, errorAt, type SourceSpan } from '../../diagnostic.js';
import { type JSONPath, type JsonDocument, type JsonNode, spanOf } from '../json-file.js';

/*
 * The two shapes of a tasks.json root: tagged (`{"master": {"tasks": [...], "metadata": {...}}, ...}`,
 * one task list per tag) and legacy (`{"tasks": [...]}`, from before tags, read as tag master).
 */

export const DEFAULT_TAG = 'master';

/** The task list of one tag, with the JSON path to it (for write-back) and where the tag is named. */
export interface TagSelection {
  tag: string;
  tasks: JsonNode;
  /** Path of the `tasks` array from the root. */
  tasksPath: JSONPath;
  /** The tag's key (tagged root) or the `tasks` key (legacy root). */
  source: SourceSpan;
}

/** The property node (key and value) named `key` of an object node. */
export function propertyOf(node: JsonNode, key: string): JsonNode | undefined {
  if (node.type !== 'object') return undefined;
  return node.children?.find((p) => p.children?.[0]?.value === key);
}

/** The value node of property `key`, if `node` is an object that has it. */
export function propertyValue(node: JsonNode, key: string): JsonNode | undefined {
  return propertyOf(node, key)?.children?.[1];
}

function tagNames(root: JsonNode): string[] {
  const names: string[] = [];
  for (const p of root.children ?? []) {
    const [key, value] = p.children ?? [];
    if (key && value?.type === 'object' && propertyValue(value, 'tasks')) names.push(String(key.value));
  }
  return names;
}

/**
 * The task list for `tag`. `requested` says whether the tag was asked for (`--tag`): a legacy root
 * has only master, and quietly stands for whatever tag state.json names.
 */
export function selectTag(doc: JsonDocument, tag: string, requested: boolean): Result<TagSelection, Diagnostic[]> {
  const root = doc.root;
  const top = { file: doc.file, line: 1, column: 1 };
  if (root.type !== 'object') {
    return err([
      errorAt(
        spanOf(doc, root),
        'not a Taskmaster tasks file: expected an object with a "tasks" array, or with one such object per tag',
      ),
    ]);
  }
  const legacyTasks = propertyOf(root, 'tasks');
  const legacyValue = legacyTasks?.children?.[1];
  // A tag may be called "tasks"; then the value is a tag object, not a task list.
  const isTagNamedTasks = legacyValue?.type === 'object' && propertyValue(legacyValue, 'tasks') !== undefined;
  if (legacyTasks && !isTagNamedTasks) {
    if (requested && tag !== DEFAULT_TAG) {
      return err([
        errorAt(top, `no tag '${tag}' in this tasks file: it has no tags (a legacy file), only its task list`),
      ]);
    }
    if (legacyValue?.type !== 'array') {
      return err([errorAt(spanOf(doc, legacyValue ?? legacyTasks), '"tasks" must be an array of tasks')]);
    }
    return ok({ tag: DEFAULT_TAG, tasks: legacyValue, tasksPath: ['tasks'], source: spanOf(doc, legacyTasks) });
  }
  const tagProperty = propertyOf(root, tag);
  const tagValue = tagProperty?.children?.[1];
  if (!tagProperty || !tagValue) {
    const names = tagNames(root);
    const known = names.length > 0 ? `; tags in the file: ${names.join(', ')}` : '; the file has no tags with tasks';
    return err([errorAt(top, `no tag '${tag}' in this tasks file${known}`)]);
  }
  if (tagValue.type !== 'object') {
    return err([errorAt(spanOf(doc, tagValue), `tag '${tag}' must be an object with a "tasks" array`)]);
  }
  const tasks = propertyValue(tagValue, 'tasks');
  if (!tasks) return err([errorAt(spanOf(doc, tagValue), `tag '${tag}' has no "tasks" array`)]);
  if (tasks.type !== 'array') return err([errorAt(spanOf(doc, tasks), '"tasks" must be an array of tasks')]);
  return ok({ tag, tasks, tasksPath: [tag, 'tasks'], source: spanOf(doc, tagProperty) });
}
