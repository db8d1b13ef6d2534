import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';

/*
 * Where things are in a specs tree: the project root (the folder holding `specs/`), the spec folders
 * `specs/infrastructure/phase-N/NNN-slug` and `specs/features/phase-N/FNNN-slug`, and the books beside
 * them. Only folder names are looked at here; the files are read elsewhere.
 */

export type SpecKind = 'infrastructure' | 'feature';

export interface SpecFolder {
  /** `I001`, `F001`. */
  id: string;
  kind: SpecKind;
  phase: number;
  /** The folder name after the id: `auth` for `001-auth`; empty when there is none. */
  slug: string;
  /** Absolute. */
  dir: string;
}

const KIND_FOLDERS: readonly { folder: string; kind: SpecKind }[] = [
  { folder: 'infrastructure', kind: 'infrastructure' },
  { folder: 'features', kind: 'feature' },
];
const PHASE_FOLDER = /^phase-(\d+)$/i;
/** `001-auth`, and `I001-auth` for trees that write the letter. */
const INFRA_FOLDER = /^I?(\d+)(?:-(.*))?$/i;
/** `F001-user-profile`, and `001-user-profile` for trees that leave the letter out. */
const FEATURE_FOLDER = /^F?(\d+)(?:-(.*))?$/i;

export function featuresFile(root: string): string {
  return join(root, 'features.json');
}

export function projectFile(root: string): string {
  return join(root, '.claude', 'project.json');
}

export function executionFile(root: string): string {
  return join(root, '.claude', 'execution', 'execution.json');
}

export function tasksFileOf(specDir: string): string {
  return join(specDir, 'tasks.md');
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function folderNames(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Whether `specsDir` holds the layout: an `infrastructure/` or `features/` folder with a `phase-N`
 * folder in it. The phase folder is required because a `specs/features/` of Gherkin files is common.
 */
async function holdsLayout(specsDir: string): Promise<boolean> {
  for (const { folder } of KIND_FOLDERS) {
    const names = await folderNames(join(specsDir, folder));
    if (names.some((n) => PHASE_FOLDER.test(n))) return true;
  }
  return false;
}

/**
 * The project root a path means: the root itself, its `specs` folder, or a folder inside
 * `specs/infrastructure` or `specs/features` (a spec folder, a phase folder). Undefined otherwise.
 */
export async function findProjectRoot(path: string): Promise<string | undefined> {
  if (!(await isDir(path))) return undefined;
  if (await holdsLayout(join(path, 'specs'))) return path;
  if (basename(path) === 'specs' && (await holdsLayout(path))) return dirname(path);
  let dir = path;
  for (let up = 0; up < 3; up++) {
    const parent = dirname(dir);
    if (parent === dir) break;
    if (KIND_FOLDERS.some((k) => k.folder === basename(dir)) && basename(parent) === 'specs') {
      return (await holdsLayout(parent)) ? dirname(parent) : undefined;
    }
    dir = parent;
  }
  return undefined;
}

/** Every spec folder of the tree, unsorted; a folder whose name is not a spec is skipped with a warning. */
export async function findSpecFolders(root: string): Promise<{ specs: SpecFolder[]; warnings: Diagnostic[] }> {
  const specs: SpecFolder[] = [];
  const warnings: Diagnostic[] = [];
  for (const { folder, kind } of KIND_FOLDERS) {
    const kindDir = join(root, 'specs', folder);
    for (const phaseName of await folderNames(kindDir)) {
      const phase = PHASE_FOLDER.exec(phaseName);
      if (!phase) continue;
      const phaseDir = join(kindDir, phaseName);
      let names: string[];
      try {
        names = (await readdir(phaseDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
      } catch (e) {
        warnings.push(warningAt(phaseDir, `cannot read ${phaseDir}: ${errorMessage(e)}`));
        continue;
      }
      for (const name of names) {
        const m = (kind === 'feature' ? FEATURE_FOLDER : INFRA_FOLDER).exec(name);
        const dir = join(phaseDir, name);
        if (!m) {
          const shape = kind === 'feature' ? 'FNNN-slug' : 'NNN-slug';
          warnings.push(warningAt(dir, `folder ${name} is not a spec folder (${shape}); it is skipped`));
          continue;
        }
        const digits = (m[1] as string).padStart(3, '0');
        specs.push({
          id: `${kind === 'feature' ? 'F' : 'I'}${digits}`,
          kind,
          phase: Number(phase[1]),
          slug: m[2] ?? '',
          dir,
        });
      }
    }
  }
  return { specs, warnings };
}

function warningAt(file: string, message: string): Diagnostic {
  return { ...errorAt({ file, line: 1, column: 1 }, message), severity: 'warning' };
}

/** Run order: by phase, infrastructure before features within a phase, then by number. */
export function compareSpecs(a: SpecFolder, b: SpecFolder): number {
  if (a.phase !== b.phase) return a.phase - b.phase;
  if (a.kind !== b.kind) return a.kind === 'infrastructure' ? -1 : 1;
  const na = Number(a.id.slice(1));
  const nb = Number(b.id.slice(1));
  if (na !== nb) return na - nb;
  return a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0;
}
