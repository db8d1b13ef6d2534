import {
  applyEdits,
  findNodeAtLocation,
  type JSONPath,
  modify,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { err, ok, type Result } from '../../result.js';
import { type Diagnostic, errorAt, type SourceSpan } from '../diagnostic.js';

/*
 * JSON plan files (Taskmaster's tasks.json, a specs tree's features.json): read with the position of
 * every value, so a diagnostic can name the line, and changed in place, so a write-back touches only
 * the value it sets and keeps the user's formatting. jsonc-parser does both; JSON.parse does neither.
 */

export type { JSONPath, Node as JsonNode } from 'jsonc-parser';

export interface JsonDocument {
  file: string;
  text: string;
  /** The syntax tree, with offsets; `value` is the same data as plain values. */
  root: Node;
  value: unknown;
  /** Offsets where each line starts, for `spanAt`. */
  lineStarts: number[];
}

const ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' (or a closing bracket)",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected content after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line and column of a character offset. */
export function spanAtOffset(doc: Pick<JsonDocument, 'file' | 'lineStarts'>, offset: number): SourceSpan {
  const starts = doc.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file: doc.file, line: lo + 1, column: offset - (starts[lo] as number) + 1 };
}

/** Where a node of the tree is. */
export function spanOf(doc: JsonDocument, node: Node | undefined): SourceSpan {
  return spanAtOffset(doc, node?.offset ?? 0);
}

/**
 * How deep arrays and objects may nest. jsonc-parser (and `nodeValue`) recurse once per level, so a
 * hostile file of ten thousand `[` would overflow the stack; a task list needs five or six levels.
 */
export const MAX_JSON_DEPTH = 256;

/** Offset of the bracket that opens level `MAX_JSON_DEPTH + 1`, or -1 when the text nests no deeper. */
function tooDeepAt(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return -1;
}

/** Parse strict JSON (no comments, no trailing commas); errors carry the file, line and column. */
export function parseJsonDocument(input: string, file: string): Result<JsonDocument, Diagnostic[]> {
  // A BOM is not JSON, but editors write one; offsets stay those of the text as read.
  const text = input.charCodeAt(0) === 0xfeff ? ` ${input.slice(1)}` : input;
  // jsonc-parser would say "expected a value"; naming the emptiness says more.
  if (/^[ \t\r\n]*$/.test(text)) return err([errorAt({ file, line: 1, column: 1 }, 'invalid JSON: the file is empty')]);
  const deep = tooDeepAt(text);
  if (deep >= 0) {
    const where = spanAtOffset({ file, lineStarts: lineStartsOf(text) }, deep);
    return err([errorAt(where, `invalid JSON: nested more than ${MAX_JSON_DEPTH} levels deep`)]);
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const lineStarts = lineStartsOf(text);
  if (errors.length > 0 || !root) {
    const where = { file, lineStarts };
    const diags = errors.slice(0, 5).map((e) => {
      const code = printParseErrorCode(e.error);
      return errorAt(spanAtOffset(where, e.offset), `invalid JSON: ${ERROR_TEXT[code] ?? code}`);
    });
    if (diags.length === 0) diags.push(errorAt({ file, line: 1, column: 1 }, 'invalid JSON: the file is empty'));
    return err(diags);
  }
  return ok({ file, text: input, root, value: nodeValue(root), lineStarts });
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [key, val] = prop.children ?? [];
        if (key && val) out[String(key.value)] = nodeValue(val);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/** The node at `path` (property names and array indexes), if there is one. */
export function nodeAt(doc: JsonDocument, path: JSONPath): Node | undefined {
  return findNodeAtLocation(doc.root, path);
}

/** The indentation the file uses (two spaces when it cannot tell), so inserted properties match. */
function detectIndent(text: string): { insertSpaces: boolean; tabSize: number } {
  const m = /\n([ \t]+)\S/.exec(text);
  if (!m) return { insertSpaces: true, tabSize: 2 };
  const ws = m[1] as string;
  return ws.startsWith('\t') ? { insertSpaces: false, tabSize: 1 } : { insertSpaces: true, tabSize: ws.length };
}

/**
 * `text` with the value at `path` set to `value`, everything else byte for byte as it was (a missing
 * property is inserted as the object's last, written the way the object is: see `addLastProperty`).
 * The line ending of the file is kept.
 */
export function setJsonValue(text: string, path: JSONPath, value: unknown): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const key = path[path.length - 1];
  if (typeof key === 'string') {
    const root = parseTree(text);
    const object = root ? findNodeAtLocation(root, path.slice(0, -1)) : undefined;
    if (object?.type === 'object' && (object.children?.length ?? 0) > 0 && !findNodeAtLocation(object, [key])) {
      return addLastProperty(text, object, key, value, eol);
    }
  }
  const edits = modify(text, path, value, { formattingOptions: { ...detectIndent(text), eol } });
  return applyEdits(text, edits);
}

/**
 * `text` with `"key": value` added after the last property of `object`: on the object's line, in its
 * spacing, for a one-line object (`{ "id": 1, … }`, `{"id":1,…}`); else on a line of its own at the
 * indentation of the last property. jsonc-parser would re-format the whole one-line object, and every
 * one-line object around it, to insert a property.
 */
function addLastProperty(text: string, object: Node, key: string, value: unknown, eol: string): string {
  const children = object.children as Node[];
  const last = children[children.length - 1] as Node;
  const at = last.offset + last.length;
  const objectText = text.slice(object.offset, object.offset + object.length);
  const compact = !/":\s/.test(objectText);
  const property = `${JSON.stringify(key)}:${compact ? '' : ' '}${JSON.stringify(value)}`;
  if (!objectText.includes('\n')) return `${text.slice(0, at)},${compact ? '' : ' '}${property}${text.slice(at)}`;
  const lineStart = text.lastIndexOf('\n', last.offset) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
  return `${text.slice(0, at)},${eol}${indent}${property}${text.slice(at)}`;
}
