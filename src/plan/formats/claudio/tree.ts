import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isDirectory as isDir, isFile } from '../../../util/fs-kind.js';

/*
 * Where a Claudio tree's files are: the `.claudio` folder, its `phaseN` folders (directly inside or
 * under `phases/`), each phase's `tasks.md`, and each task's folder (`task2`, `task2_theme_toggle`).
 */

export interface PhaseDir {
  /** `1`, `2`: the N of `phaseN`. */
  id: string;
  number: number;
  dir: string;
  tasksFile: string;
}

/** What a path given to the format means: the tree, and the one phase when a phase was given. */
export interface TreeScope {
  /** The `.claudio` folder, absolute. */
  root: string;
  /** The phase folder when a `phaseN/tasks.md` or a `phaseN` folder was given. */
  phaseDir?: string;
}

const PHASE_DIR = /^phase[-_]?(\d+)(?:[-_].*)?$/i;
const TASK_DIR = /^task[-_]?(\d+)(?:[-_].*)?$/i;

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The `.claudio` folder a phase folder belongs to, if it is `.claudio/phaseN` or `.claudio/phases/phaseN`. */
function rootOfPhaseDir(dir: string): string | undefined {
  if (!PHASE_DIR.test(basename(dir))) return undefined;
  const parent = dirname(dir);
  if (basename(parent) === '.claudio') return parent;
  if (basename(parent) === 'phases' && basename(dirname(parent)) === '.claudio') return dirname(parent);
  return undefined;
}

export function scopeOf(path: string): TreeScope | undefined {
  const abs = resolve(path);
  if (isFile(abs)) {
    if (basename(abs) !== 'tasks.md') return undefined;
    const root = rootOfPhaseDir(dirname(abs));
    return root ? { root, phaseDir: dirname(abs) } : undefined;
  }
  if (!isDir(abs)) return undefined;
  if (basename(abs) === '.claudio') return { root: abs };
  if (basename(abs) === 'phases' && basename(dirname(abs)) === '.claudio') return { root: dirname(abs) };
  const root = rootOfPhaseDir(abs);
  if (root) return isFile(join(abs, 'tasks.md')) ? { root, phaseDir: abs } : undefined;
  const inside = join(abs, '.claudio');
  return isDir(inside) ? { root: inside } : undefined;
}

/**
 * The phase folders that hold a `tasks.md`, in numeric order. When `phaseN` exists both directly in
 * `.claudio` and under `phases/`, the one under `phases/` is read and the other is returned in `shadowed`.
 */
export function phaseDirs(root: string): { phases: PhaseDir[]; shadowed: string[] } {
  const byNumber = new Map<number, PhaseDir>();
  const shadowed: string[] = [];
  for (const parent of [join(root, 'phases'), root]) {
    for (const name of entries(parent)) {
      const m = PHASE_DIR.exec(name);
      const dir = join(parent, name);
      const tasksFile = join(dir, 'tasks.md');
      if (!m || !isFile(tasksFile)) continue;
      const number = Number(m[1]);
      if (byNumber.has(number)) {
        shadowed.push(tasksFile);
        continue;
      }
      byNumber.set(number, { id: String(number), number, dir, tasksFile });
    }
  }
  return { phases: [...byNumber.values()].sort((a, b) => a.number - b.number), shadowed };
}

/** The folder of task `minor` in a phase folder: `taskM` when it exists, else the first `taskM_slug`. */
export function taskDirOf(phaseDir: string, minor: string): string | undefined {
  let found: string | undefined;
  for (const name of entries(phaseDir)) {
    const m = TASK_DIR.exec(name);
    if (!m || Number(m[1]) !== Number(minor) || !isDir(join(phaseDir, name))) continue;
    if (name.toLowerCase() === `task${Number(minor)}`) return join(phaseDir, name);
    found ??= join(phaseDir, name);
  }
  return found;
}

export { isFile };
