import { isAbsolute, relative } from 'node:path';
import type { Task } from '../plan/types.js';

/**
 * The form in which file paths are compared: backslashes become slashes, `.` segments and repeated
 * slashes go, `dir/..` pairs cancel, a trailing slash goes. Case-sensitive; no file system access.
 */
export function normalizeFilePath(path: string): string {
  const absolute = path.startsWith('/') || path.startsWith('\\');
  const out: string[] = [];
  for (const segment of path.replace(/\\/g, '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (segment === '..' && absolute) continue;
    else out.push(segment);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined || '.';
}

type Lockable = Pick<Task, 'id' | 'files'>;

/** A file another task holds. */
export interface FileConflict {
  file: string;
  /** Id of the task holding it. */
  heldBy: string;
}

/**
 * Which files are the plan's reference documents (a spec-kit spec's `spec.md`, `data-model.md`,
 * `contracts/…`), as tasks write them: from the repository root or from the plan's folder. Tasks
 * name them to say what to read; locking them would run a phase of `[P]` tasks one at a time.
 */
export function referenceDocuments(
  documents: readonly string[],
  planDir: string,
  root: string,
): (file: string) => boolean {
  const names = new Set<string>();
  for (const doc of documents) {
    for (const from of [root, planDir]) {
      const rel = relative(from, doc);
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) names.add(normalizeFilePath(rel));
    }
  }
  // A document may be a folder (`contracts/`): the files in it are references too.
  return (file) => {
    const f = normalizeFilePath(file);
    for (let at = f.length; at > 0; at = f.lastIndexOf('/', at - 1)) if (names.has(f.slice(0, at))) return true;
    return false;
  };
}

/**
 * Tasks that name the same file (`task.files`) never run at the same time: the scheduler asks
 * `canStart` before starting a task, `acquire`s its files when it starts and `release`s them when it ends.
 * Paths are compared after `normalizeFilePath`; a task never conflicts with itself. Files `shared`
 * says yes to (the plan's reference documents) are never locked.
 */
export class FileLocks {
  readonly #holders = new Map<string, string>();

  constructor(private readonly shared: (file: string) => boolean = () => false) {}

  /** The files of `task` that it locks. */
  #lockable(task: Lockable): string[] {
    const out: string[] = [];
    for (const raw of task.files) {
      const file = normalizeFilePath(raw);
      if (!this.shared(file)) out.push(file);
    }
    return out;
  }

  /** True when none of the task's files is held by another task. */
  canStart(task: Lockable): boolean {
    for (const file of this.#lockable(task)) {
      const holder = this.#holders.get(file);
      if (holder !== undefined && holder !== task.id) return false;
    }
    return true;
  }

  /** The task's files that other tasks hold, and by whom. */
  conflicts(task: Lockable): FileConflict[] {
    const out: FileConflict[] = [];
    const seen = new Set<string>();
    for (const file of this.#lockable(task)) {
      const holder = this.#holders.get(file);
      if (holder !== undefined && holder !== task.id && !seen.has(file)) {
        seen.add(file);
        out.push({ file, heldBy: holder });
      }
    }
    return out;
  }

  /** Takes the task's files. Throws if another task holds one of them (call `canStart` first). */
  acquire(task: Lockable): void {
    const conflict = this.conflicts(task)[0];
    if (conflict) throw new Error(`${task.id} cannot take ${conflict.file}: ${conflict.heldBy} holds it`);
    for (const file of this.#lockable(task)) this.#holders.set(file, task.id);
  }

  /** Gives back the files the task holds; files it does not hold are left alone. */
  release(task: Lockable): void {
    for (const file of this.#lockable(task)) if (this.#holders.get(file) === task.id) this.#holders.delete(file);
  }

  /** Id of the task holding `file`, if any. */
  holder(file: string): string | undefined {
    return this.#holders.get(normalizeFilePath(file));
  }

  /** Number of files held. */
  get size(): number {
    return this.#holders.size;
  }
}
