import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { err, ok, type Result } from '../result.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { kindOf } from '../util/fs-kind.js';

/** Where taskwave keeps its books for a repository. */
export interface StatePaths {
  root: string;
  dir: string;
  journal: string;
  execution: string;
  lock: string;
  logs: string;
  runs: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, '.taskwave');
  return {
    root,
    dir,
    journal: join(dir, 'journal.jsonl'),
    execution: join(dir, 'execution.json'),
    lock: join(dir, 'lock'),
    logs: join(dir, 'logs'),
    runs: join(dir, 'runs'),
  };
}

/** The `.gitignore` inside a state folder: everything in it stays out of git. */
export const IGNORE_ALL = '# written by taskwave: its state stays out of git\n*\n';

/**
 * Create `.taskwave/` with a `.gitignore` of `*` inside it, which keeps it out of git without
 * touching the user's own `.gitignore`. Written whole or not at all, and written again when it does
 * not ignore everything: a run killed while creating it once left it empty, and every later run
 * then showed `.taskwave/` in the user's `git status`.
 *
 * A state folder that cannot be used (a file named `.taskwave`, a folder where the journal goes, no
 * permission to write) is the state of the user's file system, not a fault of the run: it is refused
 * before anything is written, with the path and what to do.
 */
export function ensureStateDir(paths: StatePaths): Result<void, Diagnostic> {
  try {
    mkdirSync(paths.dir, { recursive: true });
  } catch (e) {
    return err(cannotUse(paths, paths.dir, paths.root, e));
  }
  const misplaced = wrongKind(paths);
  if (misplaced) return err(misplaced);
  const ignore = join(paths.dir, '.gitignore');
  let text = '';
  try {
    text = readFileSync(ignore, 'utf8');
  } catch {
    // Not there yet.
  }
  // The folder and the files a run appends to must take writes (as root this always holds).
  for (const path of [paths.dir, paths.journal, paths.execution]) {
    if (kindOf(path) === undefined) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (e) {
      return err(cannotUse(paths, path, path, e));
    }
  }
  if (!/^\*\r?$/m.test(text)) {
    try {
      writeFileAtomic(ignore, IGNORE_ALL);
    } catch (e) {
      return err(cannotUse(paths, ignore, paths.dir, e));
    }
  }
  return ok(undefined);
}

type Kind = 'file' | 'folder';

/** What each entry of the state folder must be, when it exists. */
function expectedKinds(paths: StatePaths): [string, Kind][] {
  return [
    [paths.journal, 'file'],
    [paths.execution, 'file'],
    [paths.lock, 'file'],
    [paths.logs, 'folder'],
    [paths.runs, 'folder'],
    [join(paths.dir, 'worktrees'), 'folder'],
  ];
}

function wrongKind(paths: StatePaths): Diagnostic | undefined {
  for (const [path, want] of expectedKinds(paths)) {
    const kind = kindOf(path);
    if (kind === undefined || kind === want) continue;
    return errorAt(
      undefined,
      `${path} is ${kind === 'other' ? 'neither a file nor a folder' : `a ${kind}`}, where taskwave keeps a ${want} of its run state: move it out of the way and run again`,
    );
  }
  return undefined;
}

/** `path` could not be written; making `fix` writable would let it be. */
function cannotUse(paths: StatePaths, path: string, fix: string, e: unknown): Diagnostic {
  const code = (e as NodeJS.ErrnoException).code;
  const what = `taskwave keeps its run state in ${paths.dir}`;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    return errorAt(
      undefined,
      `${paths.dir} is a file, but taskwave keeps its run state in a folder of that name: rename or remove the file and run again`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return errorAt(
      undefined,
      `cannot write ${path}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}; ${what}: make ${fix} writable for you (or run taskwave as its owner)`,
    );
  }
  return errorAt(undefined, `cannot write ${path}: ${(e as Error).message}; ${what}`);
}

/**
 * How the books name a plan: its path from the repository root, `.` for the root itself (a specs
 * tree or Claudio plan run as `run .`). Books written before this said `''` for the root.
 */
export function booksPlanPath(root: string, planPath: string): string {
  return relative(root, planPath) || '.';
}

/** Whether books that name `recorded` are about the plan the books would name `current`. */
export function sameBooksPlan(recorded: string | undefined, current: string): boolean {
  return recorded !== undefined && (recorded || '.') === current;
}
