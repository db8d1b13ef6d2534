import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../result.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt, type SourceSpan } from '../../diagnostic.js';
import { type JSONPath, type JsonDocument, type JsonNode, nodeAt, parseJsonDocument, spanOf } from '../json-file.js';
import { featuresFile, projectFile, type SpecKind } from './layout.js';

/*
 * The two optional JSON books of a specs tree: `features.json` (`features[]` with `dependencies` and
 * `infrastructure_dependencies`) and `.claude/project.json` (`infrastructure.needed[]` with
 * `depends_on`). They give spec names and the dependencies between specs, and record a completed
 * spec's status. Positions are kept so a bad entry can be pointed at.
 */

export interface SpecDependencyRef {
  id: string;
  source: SourceSpan;
}

/** What a book says about one spec. */
export interface SpecEntry {
  id: string;
  name?: string;
  dependencies: SpecDependencyRef[];
  source: SourceSpan;
}

export interface SpecBooks {
  entries: Map<string, SpecEntry>;
  warnings: Diagnostic[];
}

/** Where a kind of spec is listed: the file and the path of the entries array in it. */
interface BookShape {
  file: (root: string) => string;
  listPath: JSONPath;
  dependencyKeys: readonly string[];
}

const SHAPES: Record<SpecKind, BookShape> = {
  feature: {
    file: featuresFile,
    listPath: ['features'],
    dependencyKeys: ['dependencies', 'infrastructure_dependencies'],
  },
  infrastructure: { file: projectFile, listPath: ['infrastructure', 'needed'], dependencyKeys: ['depends_on'] },
};

export function bookFileOf(root: string, kind: SpecKind): string {
  return SHAPES[kind].file(root);
}

function warning(source: SourceSpan, message: string): Diagnostic {
  return { ...errorAt(source, message), severity: 'warning' };
}

/** The book's text, undefined when the file does not exist; other read failures are diagnostics. */
export async function readBookText(file: string): Promise<Result<string | undefined, Diagnostic[]>> {
  try {
    return ok(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(undefined);
    return err([errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`)]);
  }
}

/** The entries array of a book and its element nodes, if the book has one. */
export function entryNodes(doc: JsonDocument, kind: SpecKind): JsonNode[] | undefined {
  const list = nodeAt(doc, SHAPES[kind].listPath);
  return list?.type === 'array' ? (list.children ?? []) : undefined;
}

/** Index in the entries array of the entry whose `id` is `specId`. */
export function entryIndex(doc: JsonDocument, kind: SpecKind, specId: string): number {
  const entries = entryNodes(doc, kind) ?? [];
  return entries.findIndex((e) => {
    const id = e.type === 'object' ? stringProp(e, 'id') : undefined;
    return id !== undefined && id.toUpperCase() === specId;
  });
}

export function statusPath(kind: SpecKind, index: number): JSONPath {
  return [...SHAPES[kind].listPath, index, 'status'];
}

function propNode(obj: JsonNode, key: string): JsonNode | undefined {
  for (const prop of obj.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (k?.value === key) return v;
  }
  return undefined;
}

function stringProp(obj: JsonNode, key: string): string | undefined {
  const v = propNode(obj, key);
  return v?.type === 'string' ? String(v.value) : undefined;
}

/** Reads one book into `into`; a missing file is fine, invalid JSON is an error. */
async function readBook(root: string, kind: SpecKind, into: SpecBooks): Promise<Diagnostic[]> {
  const shape = SHAPES[kind];
  const file = shape.file(root);
  const text = await readBookText(file);
  if (!text.ok) return text.error;
  if (text.value === undefined) return [];
  const parsed = parseJsonDocument(text.value, file);
  if (!parsed.ok) return parsed.error;
  const doc = parsed.value;
  const entries = entryNodes(doc, kind);
  if (entries === undefined) {
    const where = nodeAt(doc, shape.listPath) ?? doc.root;
    into.warnings.push(warning(spanOf(doc, where), `expected an array at ${shape.listPath.join('.')}; no specs read`));
    return [];
  }
  for (const entry of entries) {
    const id = entry.type === 'object' ? stringProp(entry, 'id') : undefined;
    if (id === undefined) {
      into.warnings.push(warning(spanOf(doc, entry), 'expected an object with a string "id"; entry ignored'));
      continue;
    }
    const specId = id.toUpperCase();
    if (into.entries.has(specId)) {
      into.warnings.push(
        warning(spanOf(doc, entry), `spec ${specId} is listed more than once; the first entry counts`),
      );
      continue;
    }
    const dependencies: SpecDependencyRef[] = [];
    for (const key of shape.dependencyKeys) readDependencyList(doc, entry, key, dependencies, into.warnings);
    const name = stringProp(entry, 'name');
    into.entries.set(specId, {
      id: specId,
      ...(name !== undefined && name.trim() !== '' ? { name: name.trim() } : {}),
      dependencies,
      source: spanOf(doc, entry),
    });
  }
  return [];
}

function readDependencyList(
  doc: JsonDocument,
  entry: JsonNode,
  key: string,
  out: SpecDependencyRef[],
  warnings: Diagnostic[],
): void {
  const list = propNode(entry, key);
  if (list === undefined || list.type === 'null') return;
  if (list.type !== 'array') {
    warnings.push(warning(spanOf(doc, list), `"${key}" should be an array of spec ids; ignored`));
    return;
  }
  for (const item of list.children ?? []) {
    if (item.type !== 'string' || String(item.value).trim() === '') {
      warnings.push(warning(spanOf(doc, item), `"${key}" entries should be spec ids such as "I001"; ignored`));
      continue;
    }
    out.push({ id: String(item.value).trim().toUpperCase(), source: spanOf(doc, item) });
  }
}

/** Both books; errors are invalid JSON and unreadable files. */
export async function readSpecBooks(root: string): Promise<Result<SpecBooks, Diagnostic[]>> {
  const books: SpecBooks = { entries: new Map(), warnings: [] };
  const errors = [...(await readBook(root, 'infrastructure', books)), ...(await readBook(root, 'feature', books))];
  return errors.length > 0 ? err(errors) : ok(books);
}
