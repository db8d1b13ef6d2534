import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { isDirectoryAsync as isDirectory } from '../../../util/fs-kind.js';

/*
 * Where a platform-mode project keeps its books: `.platform-mode/plans/planNNN.plan.md` and
 * `.platform-mode/execution/executionNNN.execution.md`, numbered with three digits.
 */

const PLAN_FILE = /^plan(\d+)\.plan\.md$/i;
const LOG_FILE = /^execution(\d+)\.execution\.md$/i;

export interface LogFile {
  file: string;
  number: number;
}

/** A `*.plan.md` file directly inside `.platform-mode/plans/`. */
export function isPlatformPlanPath(file: string): boolean {
  const plans = dirname(file);
  return /\.plan\.md$/i.test(file) && basename(plans) === 'plans' && basename(dirname(plans)) === '.platform-mode';
}

/** The `*.plan.md` file with the highest `planNNN` number in `dir`, or the last by name when none is numbered. */
async function newestPlanIn(dir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return undefined;
  }
  const numbered = names
    .map((name) => ({ name, m: PLAN_FILE.exec(name) }))
    .filter((x) => x.m !== null)
    .sort((a, b) => Number(a.m?.[1]) - Number(b.m?.[1]) || a.name.localeCompare(b.name));
  const pick =
    numbered.at(-1)?.name ??
    names
      .filter((n) => /\.plan\.md$/i.test(n))
      .sort()
      .at(-1);
  return pick === undefined ? undefined : join(dir, pick);
}

/**
 * The plan file a path means: the plan file itself, or for a `.platform-mode` folder (or a folder
 * holding `.platform-mode/plans/`, or the plans folder) its newest plan.
 */
export async function platformPlanFile(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    if (st.isFile()) return isPlatformPlanPath(path) ? path : undefined;
    if (!st.isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const name = basename(path);
  if (name === 'plans' && basename(dirname(path)) === '.platform-mode') return newestPlanIn(path);
  const plans = name === '.platform-mode' ? join(path, 'plans') : join(path, '.platform-mode', 'plans');
  return (await isDirectory(plans)) ? newestPlanIn(plans) : undefined;
}

/** `.platform-mode/execution/` beside the plan's `plans/` folder. */
export function executionDir(planFile: string): string {
  return join(dirname(dirname(planFile)), 'execution');
}

/** The execution logs in `dir`, lowest number first; none when the folder does not exist. */
export async function listLogs(dir: string): Promise<LogFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const logs: LogFile[] = [];
  for (const name of names) {
    const m = LOG_FILE.exec(name);
    if (m) logs.push({ file: join(dir, name), number: Number(m[1]) });
  }
  return logs.sort((a, b) => a.number - b.number || a.file.localeCompare(b.file));
}

export function logFileName(n: number): string {
  return `execution${String(n).padStart(3, '0')}.execution.md`;
}

export function nextLogNumber(logs: readonly LogFile[]): number {
  return logs.reduce((max, l) => Math.max(max, l.number), 0) + 1;
}

/** A markdown link target from a file in `fromDir` to `file`, with forward slashes. */
export function linkTarget(fromDir: string, file: string): string {
  return relative(fromDir, file).split(sep).join('/');
}
