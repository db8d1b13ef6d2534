import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { CHECKBOX, closesFence, type Fence, fenceOpen } from '../plan/formats/markdown/lines.js';
import { folderOf } from '../util/fs-kind.js';

/*
 * spec-kit's `/speckit.checklist` writes `checklists/*.md` beside `tasks.md`: requirement-quality
 * questions to settle before implementing. An unticked one means the spec is not ready, so the run
 * does not start (unless `--ignore-checklists`).
 */

const HINT = 'taskwave run --ignore-checklists to run anyway';

/**
 * Every unticked `- [ ]` item in the `checklists/*.md` files of the plan's folder (`planPath` is the
 * plan file or its folder). No such folder: none.
 */
export function findOpenChecklists(planPath: string): Diagnostic[] {
  const dir = join(folderOf(planPath), 'checklists');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.md'));
  } catch {
    return [];
  }
  const out: Diagnostic[] = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    let text: string;
    try {
      if (!statSync(file).isFile()) continue;
      text = readFileSync(file, 'utf8');
    } catch (e) {
      out.push({
        severity: 'warning',
        location: { file, line: 1, column: 1 },
        message: `cannot read checklist: ${(e as Error).message}`,
      });
      continue;
    }
    out.push(...openItems(file, text));
  }
  return out;
}

/** The unticked items of one checklist, outside code fences and HTML comments. */
export function openItems(file: string, text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  let fence: Fence | undefined;
  let inComment = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    let line = raw;
    if (fence) {
      if (closesFence(line, fence)) fence = undefined;
      return;
    }
    if (inComment) {
      if (line.includes('-->')) inComment = false;
      return;
    }
    fence = fenceOpen(line, i);
    if (fence) return;
    const start = line.indexOf('<!--');
    if (start >= 0 && !line.includes('-->', start)) {
      inComment = true;
      // The line's own text before the comment still counts.
      line = line.slice(0, start);
    }
    const m = CHECKBOX.exec(line);
    if (m?.[4] !== ' ') return;
    const indent = m[1] ?? '';
    const item = (m[5] ?? '').trim();
    out.push(errorAt({ file, line: i + 1, column: indent.length + 1 }, `checklist item not done: ${item} (${HINT})`));
  });
  return out;
}
