import { isAbsolute, relative } from 'node:path';

/** A JSON object from an agent's output; fields are read through the guards below, never trusted. */
export type JsonObject = { [key: string]: unknown };

/** The line as a JSON object, or undefined for anything else (banners, warnings, partial lines). */
export function parseJsonLine(line: string): JsonObject | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(o: JsonObject | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' ? v : undefined;
}

export function num(o: JsonObject | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(o: JsonObject | undefined, key: string): boolean | undefined {
  const v = o?.[key];
  return typeof v === 'boolean' ? v : undefined;
}

export function obj(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
}

export function list(o: JsonObject | undefined, key: string): unknown[] {
  const v = o?.[key];
  return Array.isArray(v) ? v : [];
}

const MAX_ACTIVITY = 200;

/** The first non-blank line, shortened: the live view has one line per task. */
export function firstLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!line) return '';
  return line.length > MAX_ACTIVITY ? `${line.slice(0, MAX_ACTIVITY - 1)}…` : line;
}

/** A path inside the workspace as the user knows it (`src/a.ts`), anything else as given. */
export function displayPath(path: string, cwd: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Input keys that name what a tool acts on, most telling first. */
const TARGET_KEYS = [
  'file_path',
  'filePath',
  'absolute_path',
  'notebook_path',
  'path',
  'command',
  'pattern',
  'globPattern',
  'query',
  'url',
  'description',
];

/** `Write src/a.ts`, `Bash npm test`, `Grep TODO`: a tool call as one line. */
export function describeTool(name: string, input: JsonObject | undefined, cwd: string): string {
  for (const key of TARGET_KEYS) {
    const v = str(input, key);
    if (!v) continue;
    const target = key === 'command' ? unwrapShell(v) : /path/i.test(key) ? displayPath(v, cwd) : v;
    return firstLine(`${name} ${target}`);
  }
  return name;
}

/** Codex reports commands as `/bin/bash -lc "npm test"`; the inner command is what the user cares about. */
export function unwrapShell(command: string): string {
  const m = /^(?:\S*\/)?(?:ba|z)?sh\s+-l?c\s+(['"])([\s\S]*)\1\s*$/.exec(command.trim());
  return m?.[2] ?? command;
}
