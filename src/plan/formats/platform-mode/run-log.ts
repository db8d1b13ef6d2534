import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import type { Plan, PlanProgress, Task } from '../../types.js';
import { outsideCode, splitLines } from '../markdown/line-pass.js';
import { atxHeading, isBlank, THEMATIC_BREAK } from '../markdown/lines.js';
import { entryStoryId, logIsAbout, type ParsedLog, parseLog, storyStatusOf } from './execution-log.js';
import { executionDir, type LogFile, linkTarget, listLogs, logFileName, nextLogNumber } from './layout.js';
import { hasWorkOfTheRun, renderLog } from './log-render.js';

/*
 * Writing this run's execution log: `recordProgress` renders it whole from the run's progress, and
 * `writeStatus` marks one story COMPLETED in it with the smallest edit that says so.
 */

const TRACKING_SECTION = /^story implementation tracking$/i;

interface ReadLog {
  log: LogFile;
  /** The file as read, BOM included. */
  text: string;
  parsed: ParsedLog;
}

async function readLogs(logs: readonly LogFile[]): Promise<Result<ReadLog[], Diagnostic>> {
  const out: ReadLog[] = [];
  for (const log of logs) {
    try {
      const text = await readFile(log.file, 'utf8');
      out.push({ log, text, parsed: parseLog(text) });
    } catch (e) {
      return err(errorAt(undefined, `cannot read execution log ${log.file}: ${errorMessage(e)}`));
    }
  }
  return ok(out);
}

/** A taskwave log of this plan that is still open: written by a run that has not finished. */
function isOpenTaskwaveLog(r: ReadLog, planFile: string): boolean {
  const h = r.parsed.header;
  return (
    h.generatedByTaskwave &&
    h.status !== undefined &&
    storyStatusOf(h.status.value) === 'in-progress' &&
    logIsAbout(r.parsed, planFile)
  );
}

/** The plan's `# ` title, or its file name when it has none. */
async function planTitle(planFile: string): Promise<string> {
  try {
    const lines = splitLines(await readFile(planFile, 'utf8'));
    for (const [, line] of outsideCode(lines)) {
      const h = atxHeading(line);
      if (h?.level === 1 && h.text !== '') return h.text;
    }
  } catch {
    // Fall back to the file name.
  }
  return basename(planFile).replace(/\.plan\.md$/i, '');
}

function write(file: string, text: string): Result<void, Diagnostic> {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, text);
    return ok(undefined);
  } catch (e) {
    return err(errorAt(undefined, `cannot write execution log ${file}: ${errorMessage(e)}`));
  }
}

/** The log of run `runId`: the one whose header names it, else an open taskwave log that names no run (one `writeStatus` started without a run). */
function runsLog(newestFirst: readonly ReadLog[], planFile: string, runId: string): ReadLog | undefined {
  return (
    newestFirst.find((r) => r.parsed.header.run === runId && logIsAbout(r.parsed, planFile)) ??
    newestFirst.find((r) => r.parsed.header.run === undefined && isOpenTaskwaveLog(r, planFile))
  );
}

/**
 * (Re)writes the run's log (`runsLog`), or starts one at the next free number; the file, or undefined
 * when there is nothing to write yet.
 */
export async function recordRunLog(
  plan: Plan,
  progress: PlanProgress,
): Promise<Result<string | undefined, Diagnostic>> {
  const planFile = plan.path;
  const dir = executionDir(planFile);
  const read = await readLogs(await listLogs(dir));
  if (!read.ok) return read;
  const logs = read.value;
  const newestFirst = [...logs].reverse();
  const target = runsLog(newestFirst, planFile, progress.runId);
  // A run with nothing of its own to say (every story done before it, or none started yet) starts
  // no log: a run of a finished plan would otherwise add an empty one each time.
  if (!target && !hasWorkOfTheRun(plan, progress)) return ok(undefined);
  const number = target?.log.number ?? nextLogNumber(logs.map((r) => r.log));
  const file = target?.log.file ?? join(dir, logFileName(number));
  const text = renderLog({
    plan,
    progress,
    planTitle: await planTitle(planFile),
    planLink: linkTarget(dir, planFile),
    planName: basename(planFile),
    number,
  });
  if (target?.text === text) return ok(file);
  const written = write(file, text);
  return written.ok ? ok(file) : written;
}

/** Where to put a new entry: after the last story entry of the tracking section, before its closing rule. */
function insertionLine(parsed: ParsedLog): number {
  const lines = parsed.lines;
  const section = parsed.sections.findIndex((s) => TRACKING_SECTION.test(s.text.replace(/^[\d.\s]+/, '')));
  let end = lines.length;
  if (section >= 0) end = parsed.sections[section + 1]?.line ?? lines.length;
  while (end > 0 && (isBlank(lines[end - 1] as string) || THEMATIC_BREAK.test(lines[end - 1] as string))) end--;
  return end;
}

/** `text` with `insert` placed before 0-based line `at`, in the file's line endings. */
function insertLines(text: string, at: number, insert: string[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split('\n');
  const ending = eol === '\r\n' ? '\r' : '';
  if (at >= lines.length || (at === lines.length - 1 && lines[at] === '')) {
    const body = text.endsWith('\n') || text === '' ? text : text + eol;
    return body + insert.map((l) => l + eol).join('');
  }
  lines.splice(at, 0, ...insert.map((l) => l + ending));
  return lines.join('\n');
}

/** `text` with the value at `line` (0-based, BOM not counted) between `start` and `end` replaced. */
function replaceValue(text: string, line: number, start: number, end: number, value: string): string {
  const lines = text.split('\n');
  const bom = line === 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const l = lines[line] as string;
  lines[line] = l.slice(0, start + bom) + value + l.slice(end + bom);
  return lines.join('\n');
}

function newLog(plan: Plan, task: Task, title: string, number: number, runId: string | undefined): string {
  const dir = executionDir(plan.path);
  return [
    `# Execution Log ${String(number).padStart(3, '0')}: ${title} — taskwave`,
    '',
    `**Document ID**: ${logFileName(number)}`,
    `**Created**: ${new Date().toISOString()}`,
    '**Generated by**: taskwave',
    ...(runId !== undefined ? [`**Run**: ${runId}`] : []),
    '**Status**: IN PROGRESS',
    `**References**: [${basename(plan.path)}](${linkTarget(dir, plan.path)})`,
    '',
    '---',
    '',
    '## Story Implementation Tracking',
    '',
    `#### Story ${task.id}: ${task.title}`,
    '**Status**: COMPLETED',
    '',
  ].join('\n');
}

/**
 * Records story `taskId` as COMPLETED in the log of run `runId` (`runsLog`; without a run, the newest
 * open taskwave log of the plan), creating the log when there is none. Re-reads the log; changes one
 * line or adds the entry. With the run named, an open log of another run (one killed before it
 * closed its log) is never taken for this run's.
 */
export async function markStoryDone(plan: Plan, taskId: string, runId?: string): Promise<Result<void, Diagnostic>> {
  const task = plan.tasks.find((t) => t.id === taskId);
  if (!task) return err(errorAt(undefined, `story ${taskId} is not in ${plan.path}`));
  const dir = executionDir(plan.path);
  const listed = await listLogs(dir);
  const read = await readLogs(listed);
  if (!read.ok) return read;
  const newestFirst = [...read.value].reverse();
  const target =
    runId !== undefined
      ? runsLog(newestFirst, plan.path, runId)
      : newestFirst.find((r) => isOpenTaskwaveLog(r, plan.path));
  if (!target) {
    const number = nextLogNumber(listed);
    return write(join(dir, logFileName(number)), newLog(plan, task, await planTitle(plan.path), number, runId));
  }
  const { parsed, text } = target;
  const entry = [...parsed.entries].reverse().find((e) => entryStoryId(parsed, e) === taskId);
  let next: string;
  if (entry?.status) {
    if (storyStatusOf(entry.status.value) === 'done') return ok(undefined);
    next = replaceValue(text, entry.status.line, entry.status.start, entry.status.end, 'COMPLETED');
  } else if (entry) {
    next = insertLines(text, entry.line + 1, ['**Status**: COMPLETED']);
  } else {
    next = insertLines(text, insertionLine(parsed), [
      '',
      `#### Story ${task.id}: ${task.title}`,
      '**Status**: COMPLETED',
    ]);
  }
  return write(target.log.file, next);
}
