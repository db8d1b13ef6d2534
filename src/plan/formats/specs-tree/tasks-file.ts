import type { Diagnostic } from '../../diagnostic.js';
import type { TaskStatus } from '../../types.js';
import { blankComments, frontMatterEnd, splitLines } from '../markdown/line-pass.js';
import {
  atxHeading,
  CHECKBOX,
  CHECKBOX_STATUS,
  CRITERIA_TEXT,
  closesFence,
  collapse,
  type Fence,
  fenceOpen,
  indentWidth,
  isBlank,
  isCriteriaLabel,
  isLazyContinuation,
  spanAt,
} from '../markdown/lines.js';
import { parseTitle } from '../markdown/title.js';

/*
 * The line scan of one spec's `tasks.md`: its `# Tasks for I001: Name` heading, and its checkbox
 * tasks with their layer (`## Layer N` headings, `[LN]` tags), body lines and the line and column of
 * each checkbox, which the write-back needs. Code fences and HTML comments hold no tasks; checkboxes
 * under a criteria heading are criteria, not tasks.
 */

export interface ScannedTask {
  /** 0-based line of the checkbox. */
  line: number;
  /** 0-based column of the `[`. */
  column: number;
  status: TaskStatus;
  /** The first line after the checkbox, tags taken out (still with `Task:` and any `(role, level)`). */
  text: string;
  tags: string[];
  /** From an `[LN]` tag, else the `Layer N` heading above, else 0. */
  layer: number;
  /** Continuation lines as written (not dedented). */
  body: string[];
  /** Nested checkboxes after a criteria label. */
  criteria: string[];
  indent: number;
}

export interface TasksFileScan {
  /** The first level-1 heading, if any. */
  heading?: string;
  tasks: ScannedTask[];
  warnings: Diagnostic[];
}

const LAYER_HEADING = /^(?:\*\*|__)?(?:layer[ \t]*|L)(\d+)\b/i;
const LAYER_TAG = /^L(\d+)$/i;

export function layerOfHeading(text: string): number | undefined {
  const m = LAYER_HEADING.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function scanTasksFile(input: string, file: string): TasksFileScan {
  const lines = splitLines(input);
  const tasks: ScannedTask[] = [];
  const warnings: Diagnostic[] = [];
  const warn = (line: number, message: string): void => {
    warnings.push({ severity: 'warning', location: spanAt(file, line, 0), message });
  };
  let heading: string | undefined;
  let layer = 0;
  let criteriaLevel = 0;
  let inComment = false;
  let commentStart = 0;
  let fence: Fence | undefined;
  let fenceInBody = false;
  let cur: ScannedTask | undefined;
  let blanks: string[] = [];
  let bodyCriteria = false;

  const finish = (): void => {
    cur = undefined;
    blanks = [];
    bodyCriteria = false;
  };

  for (let i = frontMatterEnd(lines); i < lines.length; i++) {
    let line = lines[i] as string;
    if (fence) {
      if (fenceInBody) cur?.body.push(line);
      if (closesFence(line, fence)) fence = undefined;
      continue;
    }
    if (inComment || line.includes('<!--')) {
      const blanked = blankComments(line, inComment);
      if (blanked.open && !inComment) commentStart = i;
      inComment = blanked.open;
      line = blanked.text;
    }

    if (cur) {
      if (isBlank(line)) {
        blanks.push(line);
        continue;
      }
      const isHeading = atxHeading(line) !== undefined;
      if (!isHeading && indentWidth(line) > cur.indent) {
        cur.body.push(...blanks, line);
        blanks = [];
        const open = fenceOpen(line, i);
        if (open) {
          fence = open;
          fenceInBody = true;
        } else if (isCriteriaLabel(line)) bodyCriteria = true;
        else if (bodyCriteria) {
          const cb = CHECKBOX.exec(line);
          if (cb) cur.criteria.push(collapse(cb[5] as string));
        }
        continue;
      }
      if (!isHeading && blanks.length === 0 && !CHECKBOX.test(line) && isLazyContinuation(line)) {
        cur.body.push(line);
        continue;
      }
      finish();
    }

    if (isBlank(line)) continue;
    const h = atxHeading(line);
    if (h) {
      if (h.level === 1 && heading === undefined) heading = h.text;
      if (criteriaLevel > 0 && h.level <= criteriaLevel) criteriaLevel = 0;
      const headingLayer = layerOfHeading(h.text);
      if (headingLayer !== undefined) layer = headingLayer;
      else if (criteriaLevel === 0 && CRITERIA_TEXT.test(h.text)) criteriaLevel = h.level;
      continue;
    }
    const open = fenceOpen(line, i);
    if (open) {
      fence = open;
      fenceInBody = false;
      continue;
    }
    const cb = CHECKBOX.exec(line);
    if (!cb || criteriaLevel > 0) continue;
    const lead = cb[1] as string;
    const { title, tags } = parseTitle(cb[5] as string);
    let taskLayer = layer;
    const kept: string[] = [];
    let tagged = false;
    for (const tag of tags) {
      const m = LAYER_TAG.exec(tag);
      if (m && !tagged) {
        taskLayer = Number(m[1]);
        tagged = true;
      } else if (!m) kept.push(tag);
    }
    cur = {
      line: i,
      column: lead.length + (cb[2] as string).length + (cb[3] as string).length,
      status: CHECKBOX_STATUS[cb[4] as string] ?? 'pending',
      text: title,
      tags: kept,
      layer: taskLayer,
      body: [],
      criteria: [],
      indent: indentWidth(lead),
    };
    tasks.push(cur);
  }
  if (fence) warn(fence.line, 'code fence is never closed: the rest of the file is read as code');
  if (inComment) warn(commentStart, 'HTML comment is never closed: the rest of the file is ignored');
  return { ...(heading !== undefined ? { heading } : {}), tasks, warnings };
}
