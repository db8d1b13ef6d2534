import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import { readPlanText } from '../plan-file.js';
import type { Plan, PlanFormat, PlanProgress } from '../types.js';
import { assemblePlan, type LoadedSpec } from './specs-tree/assemble.js';
import { readSpecBooks } from './specs-tree/books.js';
import { recordExecution } from './specs-tree/execution.js';
import {
  compareSpecs,
  executionFile,
  featuresFile,
  findProjectRoot,
  findSpecFolders,
  projectFile,
  type SpecFolder,
  tasksFileOf,
} from './specs-tree/layout.js';
import { scanTasksFile } from './specs-tree/tasks-file.js';
import { writeTaskDone } from './specs-tree/write-back.js';

/*
 * A specs tree: `specs/infrastructure/phase-N/NNN-slug/` and `specs/features/phase-N/FNNN-slug/` spec
 * folders, each with a `tasks.md` of checkbox tasks in layers, plus the optional books `features.json`
 * and `.claude/project.json` (names, dependencies between specs, completed status) and the run books
 * `.claude/execution/execution.json`. Any folder of the tree reads the whole tree; scoping to a spec
 * or phase is the CLI's job, by `task.spec`, `task.phase` and `plan.specs`.
 *
 * The work is in `specs-tree/`: `layout.ts` (paths), `books.ts` (the JSON books), `tasks-file.ts` (the
 * line scan), `task-details.ts` (title, role, complexity), `assemble.ts` and `dependencies.ts` (the
 * plan and its order), `write-back.ts` (ticks and completed specs), `execution.ts` (execution.json).
 */

/** Documents every task of a spec gets first, when the spec folder has them; other `.md` files follow. */
const LEADING_DOCUMENTS = ['spec.md', 'plan.md', 'design.md', 'requirements.md', 'README.md'];

async function specDocuments(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && /\.md$/i.test(e.name) && e.name !== 'tasks.md')
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  const first = LEADING_DOCUMENTS.filter((n) => names.includes(n));
  return [...first, ...names.filter((n) => !first.includes(n))].map((n) => join(dir, n));
}

async function loadSpec(folder: SpecFolder): Promise<Result<LoadedSpec, Diagnostic>> {
  const file = tasksFileOf(folder.dir);
  const documents = await specDocuments(folder.dir);
  if (!existsSync(file)) return ok({ folder, documents });
  const read = await readPlanText(file);
  if (!read.ok) return err(read.error[0] as Diagnostic);
  const scan = scanTasksFile(read.value.text, file);
  scan.warnings.unshift(...read.value.warnings);
  return ok({ folder, tasksFile: file, scan, documents });
}

async function readSpecsTree(path: string): Promise<Result<Plan, Diagnostic[]>> {
  const abs = resolve(path);
  const root = await findProjectRoot(abs);
  if (root === undefined) {
    return err([
      errorAt(undefined, `${abs} is not in a specs tree (specs/infrastructure/phase-N/… or specs/features/phase-N/…)`),
    ]);
  }
  const found = await findSpecFolders(root);
  const folders = found.specs.sort(compareSpecs);
  const errors: Diagnostic[] = [];
  const firstDir = new Map<string, string>();
  for (const f of folders) {
    const first = firstDir.get(f.id);
    if (first === undefined) firstDir.set(f.id, f.dir);
    else {
      errors.push(
        errorAt({ file: f.dir, line: 1, column: 1 }, `duplicate spec id ${f.id}`, [
          { file: first, line: 1, column: 1, message: 'first spec with that id' },
        ]),
      );
    }
  }
  if (folders.length === 0) {
    errors.push(errorAt(undefined, `no spec folders found under ${join(root, 'specs')}`));
  }
  const books = await readSpecBooks(root);
  if (!books.ok) errors.push(...books.error);
  const loaded: LoadedSpec[] = [];
  for (const folder of folders) {
    const spec = await loadSpec(folder);
    if (spec.ok) loaded.push(spec.value);
    else errors.push(spec.error);
  }
  if (errors.length > 0 || !books.ok) return err(errors);

  const plan = assemblePlan(root, loaded, books.value);
  plan.warnings.unshift(...found.warnings);
  if (plan.tasks.length === 0) {
    return err([
      errorAt(undefined, `no tasks found in the specs tree at ${root}: expected checkboxes in each spec's tasks.md`),
    ]);
  }
  return ok(plan);
}

export const specsTreeFormat: PlanFormat = {
  name: 'specs-tree',
  describe: 'a specs/ tree of infrastructure/phase-N/NNN-slug and features/phase-N/FNNN-slug specs',

  async detect(path: string): Promise<boolean> {
    return (await findProjectRoot(resolve(path))) !== undefined;
  },

  read: readSpecsTree,

  async writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>> {
    if (status !== 'done') return err(errorAt(undefined, `cannot record status ${String(status)} in a specs tree`));
    return writeTaskDone(plan, taskId);
  },

  async recordProgress(plan: Plan, progress: PlanProgress): Promise<Result<string, Diagnostic>> {
    return recordExecution(plan, progress);
  },

  bookFiles(plan: Plan): string[] {
    return [featuresFile(plan.path), projectFile(plan.path), executionFile(plan.path)];
  },
};
