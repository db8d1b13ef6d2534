import { isUtf8 } from 'node:buffer';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { errorMessage } from '../util/error-message.js';
import { type Diagnostic, errorAt } from './diagnostic.js';

/*
 * The bytes of a plan file before a format reads them. Hostile or broken input is refused here with a
 * diagnostic rather than left to a line scanner:
 * - NUL bytes mean a binary file (or UTF-16 text), not a plan;
 * - bytes that are not UTF-8 are read as U+FFFD, with a warning at the first such line: one stray
 *   Latin-1 byte in a note should not stop a run, and the write-backs work on the file's bytes, so the
 *   bytes themselves are kept;
 * - a plan file that is a symbolic link out of its repository is refused: taskwave would hand what it
 *   points at to agents as work, and a tick (an atomic replace) would swap the link for a copy;
 * - a device or a named pipe is refused before anything reads it, since reading one need never end.
 */

/** The file's text, and warnings about how it was decoded. */
export interface PlanText {
  text: string;
  warnings: Diagnostic[];
}

/** How many leading bytes `loadPlan` looks at for NULs, as git does to call a file binary. */
const BINARY_PROBE_BYTES = 8000;

const at = (file: string, line = 1): { file: string; line: number; column: number } => ({ file, line, column: 1 });

/** 1-based line of byte offset `offset` in `buf`. */
function lineOfOffset(buf: Buffer, offset: number): number {
  let line = 1;
  for (let pos = buf.indexOf(0x0a); pos >= 0 && pos < offset; pos = buf.indexOf(0x0a, pos + 1)) line++;
  return line;
}

/** The refusal for bytes that hold a NUL, or undefined. */
function binaryProblem(buf: Buffer, file: string): Diagnostic | undefined {
  const nul = buf.indexOf(0);
  if (nul < 0) return undefined;
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    return errorAt(at(file), 'the file is UTF-16 text; taskwave reads plans written in UTF-8: save it as UTF-8');
  }
  return errorAt(at(file, lineOfOffset(buf, nul)), 'binary file, not a plan (it holds NUL bytes)');
}

/** 1-based line of the first line that is not valid UTF-8 (no UTF-8 sequence spans a newline). */
function firstInvalidLine(buf: Buffer): number {
  let line = 1;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl;
    if (!isUtf8(buf.subarray(start, end))) return line;
    if (nl < 0) return line;
    start = nl + 1;
    line++;
  }
}

/** A plan file's bytes as text: refused when binary; decoded with a warning when not valid UTF-8. */
export function decodePlanBytes(buf: Buffer, file: string): Result<PlanText, Diagnostic[]> {
  const binary = binaryProblem(buf, file);
  if (binary) return err([binary]);
  const text = buf.toString('utf8');
  if (isUtf8(buf)) return ok({ text, warnings: [] });
  const line = firstInvalidLine(buf);
  return ok({
    text,
    warnings: [
      {
        severity: 'warning',
        location: at(file, line),
        message: `invalid UTF-8 at line ${line}; the bytes were replaced with U+FFFD`,
      },
    ],
  });
}

/**
 * The folder taskwave would take as the repository of `dir`: the nearest one above it holding `.git`,
 * else the nearest holding a `taskwave.yaml`, else `dir` (as the CLI finds its root).
 */
function repositoryOf(dir: string): string {
  for (const marker of ['.git', 'taskwave.yaml']) {
    for (let d = dir; ; d = dirname(d)) {
      if (existsSync(join(d, marker))) return d;
      if (dirname(d) === d) break;
    }
  }
  return dir;
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The refusal for a plan file that is a symbolic link to a file outside its repository, or undefined. */
export function symlinkProblem(file: string): Diagnostic | undefined {
  let target: string;
  try {
    if (!lstatSync(file).isSymbolicLink()) return undefined;
    target = realpathSync(file);
  } catch {
    // A dangling link or an unreadable one: the read that follows reports it.
    return undefined;
  }
  const root = repositoryOf(dirname(file));
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    realRoot = root;
  }
  if (isInside(target, realRoot)) return undefined;
  return errorAt(
    at(file),
    `the plan file is a symbolic link to ${target}, outside the repository (${root}); taskwave does not read it`,
  );
}

/** The refusal for something that is not a regular file, from its stat; undefined for a file. */
function notAFileProblem(file: string, st: { isFile(): boolean; isDirectory(): boolean }): Diagnostic | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return errorAt(undefined, `${file} is a folder, not a plan file`);
  return errorAt(undefined, `${file} is not a regular file (a device, a pipe or a socket); taskwave does not read it`);
}

/**
 * Checks `loadPlan` makes on a file given as the plan before any format looks at it: not a device or
 * pipe, not a symbolic link out of the repository, not empty, not binary (judged on its first bytes).
 */
export function checkPlanFile(file: string): Diagnostic | undefined {
  const link = symlinkProblem(file);
  if (link) return link;
  let size: number;
  try {
    const st = statSync(file);
    const notFile = notAFileProblem(file, st);
    if (notFile) return notFile;
    size = st.size;
  } catch (e) {
    return errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`);
  }
  if (size === 0) return errorAt(at(file), 'empty file, not a plan');
  const probe = Buffer.alloc(Math.min(size, BINARY_PROBE_BYTES));
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const n = readSync(fd, probe, 0, probe.length, 0);
    return binaryProblem(probe.subarray(0, n), file);
  } catch (e) {
    return errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads a plan file a format needs: refused when it is not a regular file, links out of the repository, or is binary. */
export async function readPlanText(file: string): Promise<Result<PlanText, Diagnostic[]>> {
  const link = symlinkProblem(file);
  if (link) return err([link]);
  let buf: Buffer;
  try {
    const notFile = notAFileProblem(file, await stat(file));
    if (notFile) return err([notFile]);
    buf = await readFile(file);
  } catch (e) {
    return err([errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`)]);
  }
  return decodePlanBytes(buf, file);
}

/** `readPlanText` for the formats that read synchronously. */
export function readPlanTextSync(file: string): Result<PlanText, Diagnostic[]> {
  const link = symlinkProblem(file);
  if (link) return err([link]);
  let buf: Buffer;
  try {
    const notFile = notAFileProblem(file, statSync(file));
    if (notFile) return err([notFile]);
    buf = readFileSync(file);
  } catch (e) {
    return err([errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`)]);
  }
  return decodePlanBytes(buf, file);
}

/** `result` with the decoding warnings put first: in the plan's warnings, or among the errors. */
export function withDecodeWarnings<T extends { warnings: Diagnostic[] }>(
  result: Result<T, Diagnostic[]>,
  warnings: readonly Diagnostic[],
): Result<T, Diagnostic[]> {
  if (warnings.length === 0) return result;
  if (result.ok) result.value.warnings.unshift(...warnings);
  else result.error.unshift(...warnings);
  return result;
}
