import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import type { Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { errorMessage } from '../util/error-message.js';
import { describeGitError, git } from '../workspace/git.js';
import { type AddedLine, formatFinding, type SecretRules, scanAddedLines } from './secrets.js';
import type { GateResult } from './types.js';

/*
 * taskwave's own checks on a task's worktree: it changed something, the files it names exist, and
 * what it adds holds no secret. Each returns a GateResult like a command gate, with `builtin: true`.
 */

export type BuiltinCheck =
  | 'changed-something'
  | 'named-files-exist'
  | 'no-secrets'
  | 'plan-untouched'
  | 'no-unasked-deletions';

function builtinResult(
  name: BuiltinCheck,
  started: number,
  fields: Omit<GateResult, 'name' | 'command' | 'durationMs' | 'builtin'>,
): GateResult {
  return {
    name,
    command: `builtin:${name}`,
    builtin: true,
    durationMs: Math.round(performance.now() - started),
    ...fields,
  };
}

/** Words that open the title of a task that checks rather than changes (Kiro "Checkpoint: …"). */
const CHECK_ONLY_TITLE = /^[^A-Za-z]*(?:checkpoint|verify|validate|review|check)(?=$|[\s:,.;!)*])/i;

/**
 * A task whose job is to look, not to write: a Kiro checkpoint, or a title such as "Verify the build
 * passes". Such a task may rightly change nothing.
 */
export function isCheckOnly(task: Pick<Task, 'tags' | 'title'>): boolean {
  if (task.tags.some((t) => t.toLowerCase() === 'checkpoint')) return true;
  return CHECK_ONLY_TITLE.test(task.title);
}

/**
 * Run `fn` with an environment whose GIT_INDEX_FILE is a copy of the worktree's index in which every
 * untracked (not ignored) file is marked intent-to-add, so `git diff <base>` shows new files too. The
 * real index is never touched: the agent's staged state stays as it left it, and there is no
 * index.lock to race with.
 */
async function withIntentToAdd<T>(
  cwd: string,
  fn: (env: Record<string, string>) => Promise<Result<T, string>>,
): Promise<Result<T, string>> {
  const where = await git(cwd, ['rev-parse', '--git-path', 'index']);
  if (!where.ok) return err(describeGitError(where.error));
  const realIndex = resolve(cwd, where.value.trim());
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'taskwave-index-'));
    const index = join(dir, 'index');
    // No index yet (nothing ever staged): git starts an empty one.
    if (existsSync(realIndex)) copyFileSync(realIndex, index);
    const env = { GIT_INDEX_FILE: index };
    // --ignore-errors, and its exit status unheeded: one path git cannot add (a nested repository
    // without a commit) must not hide the rest. A worktree git cannot read fails in `fn` anyway.
    await git(cwd, ['add', '--intent-to-add', '--all', '--ignore-errors', '--', ':/'], { env });
    return await fn(env);
  } catch (e) {
    return err(errorMessage(e));
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Paths that differ between `base` and the worktree: committed, staged, unstaged and untracked. */
export function changedFiles(cwd: string, base: string): Promise<Result<string[], string>> {
  return withIntentToAdd(cwd, async (env) => {
    const r = await git(cwd, ['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', base, '--'], { env });
    if (!r.ok) return err(describeGitError(r.error));
    return ok(r.value.split('\0').filter(Boolean));
  });
}

/** The lines the worktree adds to `base`, untracked files included (renamed lines are not added). */
export function addedLines(cwd: string, base: string): Promise<Result<AddedLine[], string>> {
  return withIntentToAdd(cwd, async (env) => {
    const r = await git(
      cwd,
      [
        'diff',
        '--no-color',
        '--no-ext-diff',
        '--no-textconv',
        '-U0',
        '-M',
        '--src-prefix=a/',
        '--dst-prefix=b/',
        base,
        '--',
      ],
      { env },
    );
    if (!r.ok) return err(describeGitError(r.error));
    return ok(parseAddedLines(r.value));
  });
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** The `+` lines of a unified diff, with the new file's path and line number. */
export function parseAddedLines(diff: string): AddedLine[] {
  const out: AddedLine[] = [];
  let path = '';
  let next = 0;
  let inHunk = false;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      inHunk = false;
      path = '';
    } else if (!inHunk && line.startsWith('+++ ')) {
      path = diffPath(line.slice(4));
    } else if (line.startsWith('@@')) {
      const m = HUNK.exec(line);
      inHunk = m !== null;
      next = Number(m?.[1] ?? 0);
    } else if (inHunk && path) {
      if (line.startsWith('+')) out.push({ path, line: next++, text: line.slice(1) });
      else if (line.startsWith(' ')) next++;
    }
  }
  return out;
}

/** `b/src/a.ts`, `"b/na\303\257ve.txt"`, `b/with space.txt<TAB>` → the path; `/dev/null` → ''. */
function diffPath(raw: string): string {
  let p = raw.endsWith('\t') ? raw.slice(0, -1) : raw;
  if (p.startsWith('"') && p.endsWith('"')) p = unquoteC(p.slice(1, -1));
  if (p === '/dev/null') return '';
  return p.startsWith('b/') ? p.slice(2) : p;
}

/** git's C-style quoting: `\"`, `\\`, `\t`, `\n` and octal bytes of UTF-8. */
function unquoteC(s: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const octal = /^[0-7]{3}/.exec(s.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      const e = s[i + 1] ?? '';
      bytes.push(simple[e] ?? e.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface ChangedSomethingOptions {
  /** The task's worktree. */
  cwd: string;
  /** The commit the task started from. */
  base: string;
  task: Pick<Task, 'tags' | 'title'>;
  /** `--allow-empty`: a task that changes nothing is done. */
  allowEmpty?: boolean;
  /** Paths that do not count as a change (files taskwave copied into the worktree, `workspace.copy`). */
  ignore?: readonly string[];
}

/**
 * Did the task change anything since `base` (committed or not, new files included, ignored files not)?
 * A task that changes nothing is `unverified`, not done: most often the agent stopped early.
 */
export async function checkChangedSomething(opts: ChangedSomethingOptions): Promise<GateResult> {
  const started = performance.now();
  if (opts.allowEmpty) {
    return builtinResult('changed-something', started, { ok: true, outputTail: '', message: '--allow-empty' });
  }
  if (isCheckOnly(opts.task)) {
    return builtinResult('changed-something', started, { ok: true, outputTail: '', message: 'check-only task' });
  }
  const files = await changedFiles(opts.cwd, opts.base);
  if (!files.ok) {
    return builtinResult('changed-something', started, {
      ok: false,
      outputTail: files.error,
      message: `could not tell what changed: ${files.error.split('\n')[0]}`,
    });
  }
  // A copied folder (`copy: [config/]`) covers everything under it.
  const ignored = (opts.ignore ?? []).map((p) => posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, ''));
  const changed = files.value.filter((f) => !ignored.some((p) => f === p || f.startsWith(`${p}/`)));
  if (changed.length === 0) {
    return builtinResult('changed-something', started, {
      ok: false,
      outputTail: '',
      message: 'the agent changed no file',
    });
  }
  return builtinResult('changed-something', started, {
    ok: true,
    outputTail: listTail(changed),
    message: `${changed.length} file(s) changed`,
  });
}

/** A task that takes files away: which of the files it names should be gone is not knowable. */
const REMOVES = /\b(?:delete|remove|rename|move|drop)s?\b/i;
const GLOB = /[*?[\]{}]/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/|^www\./i;
const HAS_EXTENSION = /(?:^|\/)[^/]*\.[A-Za-z0-9]+$/;

/**
 * The files a task names that it should leave behind: relative paths inside the repository that look
 * like files (a folder in them or an extension), not globs, URLs, absolute paths or `../` paths.
 */
export function filesToExist(task: Pick<Task, 'files' | 'title'>): string[] {
  if (REMOVES.test(task.title)) return [];
  const out: string[] = [];
  for (const raw of task.files) {
    const f = raw.trim().replace(/\\/g, '/');
    if (!f || GLOB.test(f) || URL_LIKE.test(f)) continue;
    if (isAbsolute(f) || f.startsWith('/') || f.startsWith('~') || /^[A-Za-z]:/.test(f)) continue;
    if (f.split('/').includes('..')) continue;
    if (!f.includes('/') && !HAS_EXTENSION.test(f)) continue;
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

export interface NamedFilesOptions {
  cwd: string;
  task: Pick<Task, 'files' | 'title'>;
}

/** Every file the task names exists in its worktree afterwards (a spec-kit task's test file, say). */
export function checkNamedFilesExist(opts: NamedFilesOptions): GateResult {
  const started = performance.now();
  const expected = filesToExist(opts.task);
  const missing = expected.filter((f) => !existsSync(join(opts.cwd, f)));
  if (missing.length === 0) {
    return builtinResult('named-files-exist', started, {
      ok: true,
      outputTail: '',
      message: expected.length === 0 ? 'no file to check' : `${expected.length} file(s) present`,
    });
  }
  return builtinResult('named-files-exist', started, {
    ok: false,
    outputTail: listTail(missing),
    message: `missing after the task: ${listed(missing)}`,
  });
}

export interface NoSecretsOptions {
  cwd: string;
  base: string;
  /** From compileSecretRules (built-in patterns plus `gates.secrets` / `gates.allowSecrets`). */
  rules: SecretRules;
}

export interface NoSecretsResult extends GateResult {
  /** `path:line: kind (abcd…)`, for TaskError `secret-in-diff`; empty when it passed. */
  findings: string[];
}

/** Nothing the task adds (committed or not, new files included) looks like a secret. */
export async function checkNoSecrets(opts: NoSecretsOptions): Promise<NoSecretsResult> {
  const started = performance.now();
  const lines = await addedLines(opts.cwd, opts.base);
  if (!lines.ok) {
    // Not knowing is not passing: a diff that could not be read is not merged unseen.
    return {
      ...builtinResult('no-secrets', started, {
        ok: false,
        outputTail: lines.error,
        message: `could not read the diff: ${lines.error.split('\n')[0]}`,
      }),
      findings: [],
    };
  }
  const findings = scanAddedLines(lines.value, opts.rules).map(formatFinding);
  if (findings.length === 0) {
    return { ...builtinResult('no-secrets', started, { ok: true, outputTail: '' }), findings };
  }
  const first = findings[0] as string;
  return {
    ...builtinResult('no-secrets', started, {
      ok: false,
      outputTail: listTail(findings),
      message: findings.length === 1 ? `possible secret: ${first}` : `${findings.length} possible secrets: ${first}, …`,
    }),
    findings,
  };
}

/** A list for the output tail, cut so a run that adds ten thousand files does not bloat the books. */
/** At most five, for a one-line message: `a, b, c, d, e and 3 more`. */
function listed(files: readonly string[]): string {
  return files.length > 5 ? `${files.slice(0, 5).join(', ')} and ${files.length - 5} more` : files.join(', ');
}

function listTail(items: readonly string[], max = 40): string {
  const shown = items.slice(0, max);
  if (items.length > max) shown.push(`… and ${items.length - max} more`);
  return shown.join('\n');
}

/** Paths `base` has and the worktree no longer has (tracked files the agent deleted). */
export function deletedFiles(cwd: string, base: string): Promise<Result<string[], string>> {
  return withIntentToAdd(cwd, async (env) => {
    const r = await git(
      cwd,
      ['diff', '--name-only', '-z', '--diff-filter=D', '--no-renames', '--no-ext-diff', base, '--'],
      { env },
    );
    if (!r.ok) return err(describeGitError(r.error));
    return ok(r.value.split('\0').filter(Boolean));
  });
}

const DELETION_WORDS =
  /\b(?:delete|deletes|deleting|remove|removes|removing|rename|renames|move|moves|drop|drops|replace|replaces|clean(?:s|up)?|prune|retire|deprecate)\b/i;

/** A task whose title says it removes or moves files may delete tracked files. */
export function mayDelete(task: Pick<Task, 'title'>): boolean {
  return DELETION_WORDS.test(task.title);
}

/**
 * The agent left the plan alone: taskwave ticks it once the task is verified, and an agent that ticks
 * (or rewrites) it itself would claim work before anything checked it.
 */
export async function checkPlanUntouched(opts: {
  cwd: string;
  base: string;
  planFiles: readonly string[];
}): Promise<GateResult> {
  const started = performance.now();
  const changed = await changedFiles(opts.cwd, opts.base);
  if (!changed.ok) {
    return builtinResult('plan-untouched', started, { ok: false, outputTail: changed.error, message: changed.error });
  }
  const guarded = new Set(opts.planFiles);
  const touched = changed.value.filter((f) => guarded.has(f));
  if (touched.length === 0) return builtinResult('plan-untouched', started, { ok: true, outputTail: '' });
  return builtinResult('plan-untouched', started, {
    ok: false,
    outputTail: listTail(touched),
    message: `the agent edited the plan (${listed(touched)}); taskwave ticks it itself once the task is verified: undo that change`,
  });
}

/** The agent deleted no tracked file it was not asked to (a task that says remove/move/rename may). */
export async function checkNoUnaskedDeletions(opts: {
  cwd: string;
  base: string;
  task: Pick<Task, 'title'>;
}): Promise<GateResult> {
  const started = performance.now();
  if (mayDelete(opts.task)) {
    return builtinResult('no-unasked-deletions', started, {
      ok: true,
      outputTail: '',
      message: 'the task may delete files',
    });
  }
  const deleted = await deletedFiles(opts.cwd, opts.base);
  if (!deleted.ok) {
    return builtinResult('no-unasked-deletions', started, {
      ok: false,
      outputTail: deleted.error,
      message: deleted.error,
    });
  }
  if (deleted.value.length === 0) return builtinResult('no-unasked-deletions', started, { ok: true, outputTail: '' });
  return builtinResult('no-unasked-deletions', started, {
    ok: false,
    outputTail: listTail(deleted.value),
    message: `the agent deleted tracked files the task does not ask to remove: ${listed(deleted.value)}; restore them`,
  });
}
