import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { err, type Result } from '../result.js';
import { planPathProblem, unreadableBelow, unreadableFolderProblem } from './access.js';
import { type Diagnostic, errorAt } from './diagnostic.js';
import { claudioFormat } from './formats/claudio.js';
import { kiroFormat } from './formats/kiro.js';
import { markdownFormat, markdownPlanFile } from './formats/markdown.js';
import { phaseDocFormat } from './formats/phase-doc.js';
import { platformModeFormat } from './formats/platform-mode.js';
import { specsTreeFormat } from './formats/specs-tree.js';
import { taskmasterFormat } from './formats/taskmaster.js';
import { checkPlanFile } from './plan-file.js';
import type { Plan, PlanFormat, ReadOptions } from './types.js';

/**
 * Every plan format, most specific first: detection takes the first that claims a path. The layouts
 * with their own folders come before the plain markdown formats, which claim any `.md` with checkboxes.
 */
export const FORMATS: readonly PlanFormat[] = [
  taskmasterFormat,
  kiroFormat,
  claudioFormat,
  specsTreeFormat,
  platformModeFormat,
  phaseDocFormat,
  markdownFormat,
];

export function formatByName(name: string): PlanFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** Read a plan from a file or folder, with its format detected or forced. */
export async function loadPlan(
  path: string,
  forced?: string,
  options: ReadOptions = {},
): Promise<Result<{ plan: Plan; format: PlanFormat }, Diagnostic[]>> {
  const abs = resolve(path);
  const access = planPathProblem(abs, path);
  if (access === 'missing') return err([errorAt(undefined, `plan not found: ${path}`)]);
  if (access) return err([access]);
  const folder = statSync(abs).isDirectory();
  if (folder) {
    // A folder that cannot be listed would look empty to every format.
    const blocked = unreadableBelow(abs, 1, 0);
    if (blocked.length > 0) return err([errorAt(undefined, `cannot read folder ${path}: permission denied`)]);
  } else {
    // Before detection, so a binary file, a device or a link out of the repository is named for what it
    // is rather than left to a format's guess (or, for a device, to a read that never ends).
    const refused = checkPlanFile(abs);
    if (refused) return err([refused]);
  }
  let format: PlanFormat | undefined;
  if (forced) {
    format = formatByName(forced);
    if (!format) {
      return err([
        errorAt(undefined, `unknown format '${forced}'; known formats: ${FORMATS.map((f) => f.name).join(', ')}`),
      ]);
    }
  } else {
    for (const f of FORMATS) {
      if (await f.detect(abs)) {
        format = f;
        break;
      }
    }
    // A markdown file no format claims (a spec-kit tasks.md with no tasks yet, a checklist with none
    // left) is read as markdown all the same: what is wrong with it is then said at the file, not as
    // a format that cannot be told. The same for a folder holding tasks.md.
    if (!format && (await markdownPlanFile(abs))) format = markdownFormat;
  }
  if (!format) {
    const unreadable = folder ? unreadableFolderProblem(abs, path) : undefined;
    if (unreadable) return err([unreadable]);
    const what = folder ? 'folder' : 'file';
    const known = FORMATS.map((f) => `  ${f.name}: ${f.describe}`).join('\n');
    return err([
      errorAt(
        undefined,
        `cannot tell the plan format of ${what} ${path}; taskwave reads:\n${known}\nuse --format NAME to force one`,
      ),
    ]);
  }
  const read = await format.read(abs, options);
  if (!read.ok) return read;
  if (read.value.tasks.length === 0 && (read.value.groups ?? []).length === 0) {
    // Whatever the format, a plan with nothing to do is a mistake worth naming: a heading structure
    // that yields no tasks, an empty tag, a folder of the right shape with nothing in it.
    const file = statSync(read.value.path).isFile() ? read.value.path : undefined;
    const where = read.value.tag !== undefined ? ` (tag ${read.value.tag})` : '';
    return err([
      errorAt(
        file ? { file, line: 1, column: 1 } : undefined,
        `no tasks found in ${path}${where}, read as ${format.name}: ${format.describe}`,
      ),
    ]);
  }
  return { ok: true, value: { plan: read.value, format } };
}
