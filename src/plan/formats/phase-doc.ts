import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { errorMessage } from '../../util/error-message.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import type { Plan, PlanFormat, PlanProgress } from '../types.js';
import { outsideCode, splitLines } from './markdown/line-pass.js';
import { ANY_CHECKBOX, atxHeading, CHECKBOX } from './markdown/lines.js';
import { markdownFormat, parseMarkdownPlan, tickMarkdownTask } from './markdown.js';

/*
 * A phase document (`phases/current/search_plan.md`): a markdown plan read exactly like the markdown
 * format, whose header carries a `**Status**:` line. Ticking the last task also moves that line to
 * `Complete`, and a run that has started on the document moves it to `In Progress`; nothing else in
 * the file changes.
 */

/** The status label and the spacing after it (group 1), the value (group 2), trailing spaces (group 3). */
const STATUS_LINE =
  /^([ \t]{0,3}(?:\*\*Status\*\*[ \t]*:|\*\*Status:\*\*|__Status__[ \t]*:|__Status:__|Status:)[ \t]*)(\S(?:.*\S)?)([ \t]*)$/;
const IN_PROGRESS = 'In Progress';
const COMPLETE = 'Complete';

/** Where the status value is: 0-based line, and its UTF-16 span in the line (BOM not counted). */
export interface StatusLine {
  line: number;
  start: number;
  end: number;
  value: string;
}

/**
 * The header's status line: among the lines before the first `##` (or deeper) heading or the first
 * checkbox, outside code fences.
 */
export function findStatusLine(text: string): StatusLine | undefined {
  for (const [i, line] of outsideCode(splitLines(text))) {
    const heading = atxHeading(line);
    if ((heading && heading.level >= 2) || CHECKBOX.test(line)) return undefined;
    const m = STATUS_LINE.exec(line);
    if (m) {
      const start = (m[1] as string).length;
      const value = m[2] as string;
      return { line: i, start, end: start + value.length, value };
    }
  }
  return undefined;
}

/** The first `# ` heading's text, outside code fences. */
function firstTitle(text: string): string | undefined {
  for (const [, line] of outsideCode(splitLines(text))) {
    const heading = atxHeading(line);
    if (heading?.level === 1) return heading.text;
  }
  return undefined;
}

/** The value's words, lowercase, without emoji or markup: `✅ **Complete**` → `complete`. */
function words(value: string): string {
  return value
    .replace(/[^A-Za-z ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

const isComplete = (value: string): boolean => /^(?:complete|completed|done)\b/.test(words(value));
/** Already started or finished: a run never moves such a value back to In Progress. */
const isStartedOrComplete = (value: string): boolean => isComplete(value) || /^in progress\b/.test(words(value));

async function readBytes(file: string): Promise<Result<Buffer, Diagnostic>> {
  try {
    return ok(await readFile(file));
  } catch (e) {
    return err(errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`));
  }
}

/** Replaces the status value with `value`, byte for byte elsewhere. */
function spliceStatus(file: string, buf: Buffer, found: StatusLine, value: string): Result<void, Diagnostic> {
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  let lineStart = bom;
  for (let n = 0; n < found.line; n++) lineStart = buf.indexOf(0x0a, lineStart) + 1;
  const lineEnd = buf.indexOf(0x0a, lineStart);
  const lineText = buf.subarray(lineStart, lineEnd < 0 ? buf.length : lineEnd).toString('utf8');
  const start = lineStart + Buffer.byteLength(lineText.slice(0, found.start), 'utf8');
  const end = start + Buffer.byteLength(found.value, 'utf8');
  const where = { file, line: found.line + 1, column: found.start + 1 };
  // A line with bytes that are not UTF-8 would shift the offsets; refuse rather than damage it.
  if (buf.subarray(start, end).toString('utf8') !== found.value) {
    return err(errorAt(where, 'cannot find the status value on this line; the file was not changed'));
  }
  const out = Buffer.concat([buf.subarray(0, start), Buffer.from(value, 'utf8'), buf.subarray(end)]);
  try {
    writeFileAtomic(file, out);
  } catch (e) {
    return err(errorAt(where, `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(undefined);
}

/** Whether `file` looks like a phase document (see `phaseDocFormat.detect`). */
export function isPhaseDocument(file: string, text: string): boolean {
  if (!ANY_CHECKBOX.test(text) || !findStatusLine(text)) return false;
  const folder = `${dirname(resolve(file)).split(sep).join('/')}/`;
  if (folder.includes('/phases/')) return true;
  return /^phase\b/i.test(firstTitle(text) ?? '');
}

export const phaseDocFormat: PlanFormat = {
  name: 'phase-doc',
  describe: 'a markdown phase document with a **Status**: line (phases/…/*_plan.md)',

  async detect(path: string): Promise<boolean> {
    if (!/\.md$/i.test(path)) return false;
    try {
      if (!(await stat(path)).isFile()) return false;
      return isPhaseDocument(path, await readFile(path, 'utf8'));
    } catch {
      return false;
    }
  },

  async read(path: string): Promise<Result<Plan, Diagnostic[]>> {
    // The markdown format's reading, documents beside it included; only the format name differs.
    const read = await markdownFormat.read(resolve(path));
    if (read.ok) read.value.format = 'phase-doc';
    return read;
  },

  async writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>> {
    if (status !== 'done') return err(errorAt(undefined, `cannot record status ${String(status)} in a phase document`));
    const ticked = await tickMarkdownTask(plan.path, taskId);
    if (!ticked.ok) return ticked;
    // Re-read after the tick: the document is complete only when the file itself says every task is done.
    const read = await readBytes(plan.path);
    if (!read.ok) return read;
    const text = read.value.toString('utf8');
    const parsed = parseMarkdownPlan(text, plan.path);
    if (!parsed.ok) return ok(undefined);
    const required = parsed.value.tasks.filter((t) => !t.optional);
    if (required.length === 0 || !required.every((t) => t.status === 'done')) return ok(undefined);
    const found = findStatusLine(text);
    if (!found || isComplete(found.value)) return ok(undefined);
    return spliceStatus(plan.path, read.value, found, COMPLETE);
  },

  async recordProgress(plan: Plan, progress: PlanProgress): Promise<Result<void, Diagnostic>> {
    if (progress.status !== 'running') return ok(undefined);
    const read = await readBytes(plan.path);
    if (!read.ok) return read;
    const text = read.value.toString('utf8');
    const found = findStatusLine(text);
    if (!found || isStartedOrComplete(found.value)) return ok(undefined);
    const parsed = parseMarkdownPlan(text, plan.path);
    if (!parsed.ok) return ok(undefined);
    const required = parsed.value.tasks.filter((t) => !t.optional);
    const isDone = (id: string, fileStatus: string): boolean =>
      fileStatus === 'done' || progress.tasks[id]?.status === 'done';
    const started = parsed.value.tasks.some((t) => {
      const s = progress.tasks[t.id]?.status;
      return s === 'running' || s === 'done';
    });
    const allDone = required.length > 0 && required.every((t) => isDone(t.id, t.status));
    if (!started || allDone) return ok(undefined);
    return spliceStatus(plan.path, read.value, found, IN_PROGRESS);
  },
};
