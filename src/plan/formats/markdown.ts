import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import { readPlanText, withDecodeWarnings } from '../plan-file.js';
import type { Plan, PlanFormat } from '../types.js';
import { ANY_CHECKBOX } from './markdown/lines.js';
import { scanMarkdown } from './markdown/scanner.js';
import { tickMarkdownTask } from './markdown/tick.js';

/*
 * spec-kit `tasks.md` and plain markdown checklists, read by a line scanner: one pass over the lines
 * with a little state (fence, HTML comment, open task body, criteria section, heading stack), then one
 * pass over the tasks to resolve ids and dependencies. No markdown library: a 100k-task plan has to
 * parse in well under the 5 s budget.
 *
 * This module is the format's entry; the work is in `markdown/`: `scanner.ts` (the per-line pass),
 * `assemble.ts` (drafts to tasks and phases), `lines.ts` (the line grammar), `title.ts` (tags and
 * estimates), `implied-deps.ts` (dependency resolution) and `tick.ts` (writing a done task back).
 */

export type { CheckboxPosition, MarkdownScan } from './markdown/types.js';
export { scanMarkdown, tickMarkdownTask };

const SPEC_DOCUMENTS = [
  'spec.md',
  'plan.md',
  'design.md',
  'requirements.md',
  'research.md',
  'data-model.md',
  'quickstart.md',
];

export function parseMarkdownPlan(text: string, file: string): Result<Plan, Diagnostic[]> {
  const scan = scanMarkdown(text, file);
  return scan.errors.length > 0 ? err(scan.errors) : ok(scan.plan);
}

/** Spec documents beside the plan (and a `contracts/` folder) that belong in an agent's prompt. */
function documentsBeside(planFile: string): string[] {
  const dir = dirname(planFile);
  const out: string[] = [];
  for (const name of SPEC_DOCUMENTS) {
    const p = join(dir, name);
    if (p !== planFile && existsSync(p)) out.push(p);
  }
  const contracts = join(dir, 'contracts');
  try {
    if (statSync(contracts).isDirectory()) out.push(contracts);
  } catch {
    // No contracts folder.
  }
  return out;
}

/** The plan file a markdown path means: the file itself, or `tasks.md` in a folder (a spec-kit `specs/001-x/`). */
export async function markdownPlanFile(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    if (st.isFile()) return /\.(?:md|markdown)$/i.test(path) ? path : undefined;
    if (!st.isDirectory()) return undefined;
    const inside = join(path, 'tasks.md');
    return (await stat(inside)).isFile() ? inside : undefined;
  } catch {
    return undefined;
  }
}

export const markdownFormat: PlanFormat = {
  name: 'markdown',
  describe: 'a markdown task list with checkboxes (- [ ] T001 ...), or a folder holding tasks.md',

  async detect(path: string): Promise<boolean> {
    const file = await markdownPlanFile(path);
    if (!file) return false;
    try {
      return ANY_CHECKBOX.test(await readFile(file, 'utf8'));
    } catch {
      return false;
    }
  },

  async read(path: string): Promise<Result<Plan, Diagnostic[]>> {
    const file = resolve((await markdownPlanFile(path)) ?? path);
    const read = await readPlanText(file);
    if (!read.ok) return read;
    const parsed = parseMarkdownPlan(read.value.text, file);
    if (parsed.ok) parsed.value.documents = documentsBeside(file);
    return withDecodeWarnings(parsed, read.value.warnings);
  },

  ticksEditOnly: true,

  async writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>> {
    if (status !== 'done') return err(errorAt(undefined, `cannot record status ${String(status)} in a markdown plan`));
    return tickMarkdownTask(plan.path, taskId);
  },
};
