import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import { readPlanText, withDecodeWarnings } from '../plan-file.js';
import { shownPath } from '../shown-path.js';
import type { Plan, PlanFormat } from '../types.js';
import { assembleKiro } from './kiro/assemble.js';
import { isKiroTasksPath, locateKiro, looksLikeKiro } from './kiro/locate.js';
import { scanKiro } from './kiro/scan.js';
import { tickKiroTask } from './kiro/tick.js';

/*
 * Kiro specs: `.kiro/specs/<feature>/tasks.md` with numbered checkbox tasks (`- [ ] 1. Title`,
 * sub-tasks `- [ ] 1.1 Title`), optional ones marked `- [ ]*`, requirement references in
 * `_Requirements: …_` lines. The work is in `kiro/`: `locate.ts` (which file a path means),
 * `scan.ts` (the line pass), `requirements.ts`, `assemble.ts` (numbers to tasks, groups, phases and
 * the chain) and `tick.ts` (writing a done task back).
 */

const NAME = 'kiro';
/** The spec documents Kiro writes beside tasks.md. */
const SPEC_DOCUMENTS = ['requirements.md', 'design.md'];

export { assembleKiro, scanKiro, tickKiroTask };

export function parseKiroPlan(text: string, file: string): Result<Plan, Diagnostic[]> {
  const read = assembleKiro(scanKiro(text, file), file, NAME);
  return read.errors.length > 0 ? err(read.errors) : ok(read.plan);
}

async function readKiroFile(file: string): Promise<Result<Plan, Diagnostic[]>> {
  const read = await readPlanText(file);
  if (!read.ok) return read;
  const parsed = parseKiroPlan(read.value.text, file);
  if (parsed.ok) {
    parsed.value.documents = SPEC_DOCUMENTS.map((name) => join(dirname(file), name)).filter((p) => existsSync(p));
  }
  return withDecodeWarnings(parsed, read.value.warnings);
}

export const kiroFormat: PlanFormat = {
  name: NAME,
  describe: '.kiro/specs/<feature>/tasks.md (or a .kiro folder)',

  async detect(path: string): Promise<boolean> {
    const target = await locateKiro(resolve(path));
    if (target.kind === 'features') return target.files.length > 0;
    if (target.kind === 'none') return false;
    if (isKiroTasksPath(target.file)) return true;
    if (!/\.(?:md|markdown)$/i.test(target.file)) return false;
    try {
      return looksLikeKiro(scanKiro(await readFile(target.file, 'utf8'), target.file));
    } catch {
      return false;
    }
  },

  async read(path: string): Promise<Result<Plan, Diagnostic[]>> {
    const abs = resolve(path);
    const target = await locateKiro(abs);
    if (target.kind === 'file') return readKiroFile(target.file);
    if (target.kind === 'none') {
      return err([
        errorAt(undefined, `no Kiro tasks.md at ${shownPath(abs)}: expected .kiro/specs/<feature>/tasks.md`),
      ]);
    }
    const [only, ...more] = target.files;
    if (only === undefined) {
      return err([
        errorAt(undefined, `no Kiro spec in ${shownPath(abs)}: expected .kiro/specs/<feature>/tasks.md beneath it`),
      ]);
    }
    if (more.length > 0) {
      const list = target.files.map((f) => `  ${shownPath(dirname(f))}`).join('\n');
      return err([errorAt(undefined, `${shownPath(abs)} holds several Kiro specs; pass the one to run:\n${list}`)]);
    }
    return readKiroFile(only);
  },

  ticksEditOnly: true,

  async writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>> {
    if (status !== 'done') return err(errorAt(undefined, `cannot record status ${String(status)} in a Kiro plan`));
    return tickKiroTask(plan.path, taskId);
  },
};
