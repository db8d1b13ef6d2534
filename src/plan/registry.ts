import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { err, type Result } from '../result.js';
import { type Diagnostic, errorAt } from './diagnostic.js';
import { markdownFormat } from './formats/markdown.js';
import type { Plan, PlanFormat } from './types.js';

/** Every plan format, most specific first: detection takes the first that claims a path. */
export const FORMATS: readonly PlanFormat[] = [markdownFormat];

export function formatByName(name: string): PlanFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** Read a plan from a file or folder, with its format detected or forced. */
export async function loadPlan(
  path: string,
  forced?: string,
): Promise<Result<{ plan: Plan; format: PlanFormat }, Diagnostic[]>> {
  const abs = resolve(path);
  if (!existsSync(abs)) return err([errorAt(undefined, `plan not found: ${path}`)]);
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
  }
  if (!format) {
    const what = statSync(abs).isDirectory() ? 'folder' : 'file';
    return err([
      errorAt(
        undefined,
        `cannot tell the plan format of ${what} ${path}: expected a markdown task list with checkboxes (- [ ] T001 ...); use --format to force one of: ${FORMATS.map((f) => f.name).join(', ')}`,
      ),
    ]);
  }
  const read = await format.read(abs);
  if (!read.ok) return read;
  return { ok: true, value: { plan: read.value, format } };
}
