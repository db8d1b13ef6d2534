import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { KiroScan } from './scan.js';

/*
 * Where a Kiro plan is: `.kiro/specs/<feature>/tasks.md` (early builds: `.kiro/plans/`), the feature
 * folder, or a folder above it (`.kiro`, `.kiro/specs`, a repository root) that holds features.
 */

export type KiroTarget =
  /** A file to read (given, or the tasks.md of a feature folder). */
  | { kind: 'file'; file: string }
  /** A folder that holds Kiro features: their tasks.md files, sorted. */
  | { kind: 'features'; folder: string; files: string[] }
  | { kind: 'none' };

const SPEC_TASKS = /\/\.kiro\/specs\/[^/]+\/tasks\.md$/;
const PLAN_TASKS = /\/\.kiro\/plans\/(?:[^/]+\/)*tasks\.md$/;

/** A `tasks.md` in Kiro's own layout, whatever it holds. */
export function isKiroTasksPath(file: string): boolean {
  const p = file.replace(/\\/g, '/');
  return SPEC_TASKS.test(p) || PLAN_TASKS.test(p);
}

/**
 * A markdown file elsewhere is Kiro's when its checkboxes are mostly Kiro-numbered (`1.`, `2.1`), none
 * carries a spec-kit id, and something only Kiro writes is there: requirement references or sub-task
 * numbers. A plain `- [ ] 1. Step` list stays with the markdown format.
 */
export function looksLikeKiro(scan: KiroScan): boolean {
  if (scan.hasSpecKitIds) return false;
  let numbered = 0;
  let subTasks = false;
  for (const item of scan.items) {
    if (item.number === undefined) continue;
    numbered++;
    if (item.number.includes('.')) subTasks = true;
  }
  if (numbered === 0 || numbered < scan.items.length - numbered) return false;
  return subTasks || scan.hasRequirementsMarker;
}

async function kindOf(path: string): Promise<'file' | 'folder' | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'folder' : undefined;
  } catch {
    return undefined;
  }
}

/** The tasks.md of each feature folder inside `folder`. */
async function featuresIn(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    const file = join(folder, name, 'tasks.md');
    if ((await kindOf(file)) === 'file') out.push(file);
  }
  return out;
}

export async function locateKiro(path: string): Promise<KiroTarget> {
  const kind = await kindOf(path);
  if (kind === 'file') return { kind: 'file', file: path };
  if (kind !== 'folder') return { kind: 'none' };
  const inside = join(path, 'tasks.md');
  if ((await kindOf(inside)) === 'file') return { kind: 'file', file: inside };

  let containers: string[];
  const name = basename(path);
  if (name === '.kiro') containers = [join(path, 'specs'), join(path, 'plans')];
  else if ((name === 'specs' || name === 'plans') && basename(dirname(path)) === '.kiro') containers = [path];
  else if ((await kindOf(join(path, '.kiro'))) === 'folder') {
    containers = [join(path, '.kiro', 'specs'), join(path, '.kiro', 'plans')];
  } else return { kind: 'none' };

  const files: string[] = [];
  for (const c of containers) files.push(...(await featuresIn(c)));
  return { kind: 'features', folder: path, files };
}
