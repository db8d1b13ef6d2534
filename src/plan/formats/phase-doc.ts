import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { errorMessage } from '../../util/error-message.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import { shownPath } from '../shown-path.js';
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

/**
 * Where a folder's phase documents are looked for, in turn: the folder itself (`phases/current`),
 * then below it as the layout keeps them (`.`, the repository root).
 */
const FOLDER_PLACES = ['', 'phases/current', 'phases'];

async function isPhaseDocumentFile(file: string): Promise<boolean> {
  try {
    return isPhaseDocument(file, await readFile(file, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The phase documents a folder means, in the first of `FOLDER_PLACES` that holds any; when there are
 * several, the ones not yet complete (a finished phase has nothing left to run). A folder holding
 * `tasks.md` is the markdown format's (a spec-kit feature folder) unless that file is itself a phase
 * document: this format never takes a folder from it.
 */
export async function phaseDocumentsIn(dir: string): Promise<string[]> {
  const tasks = join(dir, 'tasks.md');
  try {
    if ((await stat(tasks)).isFile()) return (await isPhaseDocumentFile(tasks)) ? [tasks] : [];
  } catch {
    // No tasks.md: look for phase documents.
  }
  for (const place of FOLDER_PLACES) {
    const folder = join(dir, place);
    let names: string[];
    try {
      // Regular files only: a link could lead out of the repository, a device never ends.
      names = (await readdir(folder, { withFileTypes: true }))
        .filter((e) => e.isFile() && /\.md$/i.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      continue;
    }
    const docs: string[] = [];
    for (const name of names) if (await isPhaseDocumentFile(join(folder, name))) docs.push(join(folder, name));
    if (docs.length === 0) continue;
    if (docs.length === 1) return docs;
    const open: string[] = [];
    for (const doc of docs) {
      const status = findStatusLine(await readFile(doc, 'utf8'));
      if (!status || !isComplete(status.value)) open.push(doc);
    }
    return open.length > 0 ? open : docs;
  }
  return [];
}

/** The one phase document `path` means: the file itself, or the one in its folder; else why not. */
async function phaseDocumentOf(path: string): Promise<Result<string, Diagnostic[]>> {
  const abs = resolve(path);
  let isFolder = false;
  try {
    isFolder = (await stat(abs)).isDirectory();
  } catch {
    // Missing: the read says so.
  }
  if (!isFolder) return ok(abs);
  const docs = await phaseDocumentsIn(abs);
  if (docs.length === 1) return ok(docs[0] as string);
  if (docs.length === 0) {
    return err([
      errorAt(
        undefined,
        `no phase document in ${shownPath(abs)}: expected a markdown file with checkboxes and a **Status**: line, in it or in phases/current/`,
      ),
    ]);
  }
  const list = docs.map((d) => `  ${shownPath(d)}`).join('\n');
  return err([
    errorAt(undefined, `${shownPath(abs)} holds ${docs.length} phase documents; pass the one to run:\n${list}`),
  ]);
}

export const phaseDocFormat: PlanFormat = {
  name: 'phase-doc',
  describe: 'a markdown phase document with a **Status**: line (phases/…/*_plan.md), or a folder holding one',

  async detect(path: string): Promise<boolean> {
    try {
      const st = await stat(path);
      // A folder with several is claimed too: reading it names them, to pass one.
      if (st.isDirectory()) return (await phaseDocumentsIn(path)).length > 0;
      return st.isFile() && /\.md$/i.test(path) && (await isPhaseDocumentFile(path));
    } catch {
      return false;
    }
  },

  async read(path: string): Promise<Result<Plan, Diagnostic[]>> {
    const file = await phaseDocumentOf(path);
    if (!file.ok) return file;
    // The markdown format's reading, documents beside it included; only the format name differs.
    const read = await markdownFormat.read(file.value);
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

  /** The status line is in the plan itself: no file of its own to name. */
  async recordProgress(plan: Plan, progress: PlanProgress): Promise<Result<undefined, Diagnostic>> {
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
    const spliced = spliceStatus(plan.path, read.value, found, IN_PROGRESS);
    return spliced.ok ? ok(undefined) : spliced;
  },
};
