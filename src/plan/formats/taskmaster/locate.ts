import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { isDirectoryAsync as isDirectory, isFileAsync as isFile } from '../../../util/fs-kind.js';

/*
 * Where a Taskmaster plan lives: `.taskmaster/tasks/tasks.json` (the older layout: `tasks/tasks.json`),
 * named by the file itself, by the `.taskmaster` folder, or by the repository root that holds either.
 */

/** Above this size detection looks only at the start of the file: a format probe must stay cheap. */
const FULL_PARSE_LIMIT = 8 * 1024 * 1024;
const PREFIX_BYTES = 64 * 1024;

/** The layouts a folder can hold, in the order they are tried. */
export function tasksFileCandidates(dir: string): string[] {
  return [join(dir, '.taskmaster', 'tasks', 'tasks.json'), join(dir, 'tasks', 'tasks.json')];
}

/** Whether `file` sits in Taskmaster's own folder, where nothing else would put a `tasks.json`. */
export function isInTaskmasterFolder(file: string): boolean {
  return file.endsWith(`${sep}.taskmaster${sep}tasks${sep}tasks.json`);
}

/** The tasks.json a path names: the file itself, or the first layout found in a folder. */
export async function tasksFileOf(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    if (st.isFile()) return path;
    if (!st.isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  for (const candidate of tasksFileCandidates(path)) {
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

function isTasksHolder(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Array.isArray((value as { tasks?: unknown }).tasks);
}

/** A legacy root (`{"tasks": [...]}`) or a tagged one (`{"master": {"tasks": [...]}, ...}`). */
export function isTaskmasterRoot(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (isTasksHolder(value)) return true;
  return Object.values(value).some(isTasksHolder);
}

async function fileHasTaskmasterRoot(file: string): Promise<boolean> {
  try {
    const size = (await stat(file)).size;
    if (size > FULL_PARSE_LIMIT) {
      const handle = await open(file, 'r');
      try {
        const buf = Buffer.alloc(PREFIX_BYTES);
        const { bytesRead } = await handle.read(buf, 0, PREFIX_BYTES, 0);
        const head = buf.subarray(0, bytesRead).toString('utf8');
        return /^\uFEFF?\s*\{/.test(head) && /"tasks"\s*:\s*\[/.test(head);
      } finally {
        await handle.close();
      }
    }
    const text = await readFile(file, 'utf8');
    return isTaskmasterRoot(JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
  } catch {
    return false;
  }
}

/**
 * Whether `path` is a Taskmaster plan. Inside `.taskmaster/` the layout alone decides, so that a broken
 * tasks.json there is read (and its JSON error reported) rather than left to another format; elsewhere
 * the file must hold a Taskmaster root.
 */
export async function detectTaskmaster(input: string): Promise<boolean> {
  const path = resolve(input);
  if (basename(path) === '.taskmaster' && (await isDirectory(path))) return true;
  const file = await tasksFileOf(path);
  if (!file || basename(file) !== 'tasks.json') return false;
  if (isInTaskmasterFolder(file)) return true;
  return fileHasTaskmasterRoot(file);
}

/** `state.json` beside the tasks folder, where Taskmaster keeps the current tag. */
export function stateFileOf(tasksFile: string): string {
  return join(dirname(dirname(tasksFile)), 'state.json');
}

export type CurrentTag = { tag: string } | { tag: undefined; problem?: string };

/** The current tag from state.json; a missing file means none, an unreadable one says why. */
export async function readCurrentTag(tasksFile: string): Promise<CurrentTag> {
  let text: string;
  try {
    text = await readFile(stateFileOf(tasksFile), 'utf8');
  } catch {
    return { tag: undefined };
  }
  try {
    const state: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    const tag =
      typeof state === 'object' && state !== null ? (state as { currentTag?: unknown }).currentTag : undefined;
    if (typeof tag === 'string' && tag.trim() !== '') return { tag: tag.trim() };
    return { tag: undefined, problem: 'it names no currentTag' };
  } catch {
    return { tag: undefined, problem: 'it is not valid JSON' };
  }
}
