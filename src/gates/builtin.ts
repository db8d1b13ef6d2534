import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { namesAFile } from '../plan/file-refs.js';
import type { Task } from '../plan/types.js';
import type { Result } from '../result.js';
import { git } from '../workspace/git.js';
import { formatFinding, type SecretRules, scanAddedLines } from './secrets.js';
import type { GateResult } from './types.js';
import { readChanges, type WorktreeChanges } from './worktree-diff.js';

/*
 * taskwave's own checks on a task's worktree: it changed something, the files it names exist, and
 * what it adds holds no secret. Each returns a GateResult like a command gate, with `builtin: true`.
 */

export type BuiltinCheck =
  | 'changed-something'
  | 'named-files-exist'
  | 'no-secrets'
  | 'plan-untouched'
  | 'no-unasked-deletions'
  | 'no-nested-repos';

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

/** Where a check reads the task's changes: one reading shared by a verification's checks, or its own. */
interface ChangesSource {
  /** The task's worktree. */
  cwd: string;
  /** What the task started from: a commit, or in place with no commit per task a tree (`snapshotTree`). */
  base: string;
  /** Already being read (the verifier reads once for all its checks). */
  changes?: Promise<Result<WorktreeChanges, string>>;
}

function changesOf(o: ChangesSource): Promise<Result<WorktreeChanges, string>> {
  return o.changes ?? readChanges(o.cwd, o.base);
}

export interface ChangedSomethingOptions extends ChangesSource {
  task: Pick<Task, 'tags' | 'title' | 'files'>;
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
  const files = await changesOf(opts);
  if (!files.ok) {
    return builtinResult('changed-something', started, {
      ok: false,
      outputTail: files.error,
      message: `could not tell what changed: ${files.error.split('\n')[0]}`,
    });
  }
  // A copied folder (`copy: [config/]`) covers everything under it.
  const ignored = (opts.ignore ?? []).map((p) => posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, ''));
  const changed = files.value.changed.filter((f) => !ignored.some((p) => f === p || f.startsWith(`${p}/`)));
  if (changed.length === 0) {
    const hidden = await ignoredNamedFiles(opts.cwd, opts.task);
    return builtinResult('changed-something', started, {
      ok: false,
      outputTail: hidden.join('\n'),
      message:
        hidden.length > 0
          ? `the agent changed no file git would commit: the files the task names are ignored by git (${listed(hidden)})`
          : 'the agent changed no file',
    });
  }
  return builtinResult('changed-something', started, {
    ok: true,
    outputTail: listTail(changed),
    message: `${changed.length} file(s) changed`,
  });
}

/**
 * The files a task names that are there and that git ignores, each with the rule that does
 * (`greet/index.js (.gitignore:2: greet/)`): work a commit would never carry. Asked only when a task
 * seems to have changed nothing.
 */
async function ignoredNamedFiles(cwd: string, task: Pick<Task, 'files' | 'title'>): Promise<string[]> {
  const present = filesToExist(task).filter((f) => existsSync(join(cwd, f)));
  if (present.length === 0) return [];
  const r = await git(cwd, ['check-ignore', '--verbose', '-z', '--stdin'], { input: `${present.join('\0')}\0` });
  // Exit 1: none of them is ignored.
  if (!r.ok) return [];
  const fields = r.value.split('\0');
  const out: string[] = [];
  // Records of four fields: source, line number, pattern, path.
  for (let i = 0; i + 3 < fields.length; i += 4) {
    out.push(`${fields[i + 3]} (${fields[i]}:${fields[i + 1]}: ${fields[i + 2]})`);
  }
  return out;
}

/** A task that takes files away: which of the files it names should be gone is not knowable. */
const REMOVES = /\b(?:delete|remove|rename|move|drop)s?\b/i;
const GLOB = /[*?[\]{}]/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/|^www\./i;

/**
 * The files a task names that it should leave behind: relative paths inside the repository whose last
 * part names a file (`src/a.ts`, `Makefile`) or that end in `/` (a folder); not globs, URLs, routes
 * (`users/:id`), words with a slash (`US1/AC2`), absolute paths or `../` paths. A false "missing"
 * fails a task that did its work, so the rule leans towards checking less.
 */
export function filesToExist(task: Pick<Task, 'files' | 'title'>): string[] {
  if (REMOVES.test(task.title)) return [];
  const out: string[] = [];
  for (const raw of task.files) {
    const f = raw.trim().replace(/\\/g, '/');
    if (!f || GLOB.test(f) || URL_LIKE.test(f)) continue;
    if (isAbsolute(f) || f.startsWith('/') || f.startsWith('~') || /^[A-Za-z]:/.test(f)) continue;
    const parts = f.split('/');
    if (parts.includes('..') || parts.some((p) => p.includes(':'))) continue;
    if (!f.endsWith('/') && !namesAFile(parts[parts.length - 1] as string)) continue;
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

export interface NamedFilesOptions {
  cwd: string;
  task: Pick<Task, 'files' | 'title'>;
  /** What the task changed: a file it names by its last parts (`yamlio.py`) is found where it was written. */
  changed?: readonly string[];
  /**
   * Another task that names `file` too and may not have run yet (not done, not one of this task's
   * prerequisites): the file may be that task's to create, so its absence is not this task's failure.
   */
  namedByOther?: (file: string) => string | undefined;
}

/**
 * Every file the task names exists in its worktree afterwards (a spec-kit task's test file, say):
 * from the root, or, for a name given without its whole path, where the task wrote it or anywhere
 * git knows it. Spec-kit tasks name the documents beside `tasks.md` (`data-model.md`,
 * `contracts/api.md`) relative to it, and files by their last parts (`__init__.py`, `models/user.py`).
 * A missing file that a task which may not have run yet names too (`namedByOther`) is let pass.
 */
export async function checkNamedFilesExist(opts: NamedFilesOptions): Promise<GateResult> {
  const started = performance.now();
  const expected = filesToExist(opts.task);
  const written = (f: string) => (opts.changed ?? []).some((c) => isNamedBy(c, f));
  let missing = expected.filter((f) => !existsSync(join(opts.cwd, f)) && !written(f));
  if (missing.length > 0) {
    const known = await knownAnywhere(opts.cwd, missing);
    missing = missing.filter((f) => !known.has(f));
  }
  // A sibling or a later task that names the file too may be the one to create it.
  const leftToOthers: string[] = [];
  if (missing.length > 0 && opts.namedByOther) {
    const other = opts.namedByOther;
    missing = missing.filter((f) => {
      const id = other(f);
      if (id !== undefined) leftToOthers.push(`${f} (${id})`);
      return id === undefined;
    });
  }
  if (missing.length === 0) {
    const present = expected.length - leftToOthers.length;
    const left = leftToOthers.length > 0 ? `; left to tasks that name them too: ${listed(leftToOthers)}` : '';
    return builtinResult('named-files-exist', started, {
      ok: true,
      outputTail: '',
      message: expected.length === 0 ? 'no file to check' : `${present} file(s) present${left}`,
    });
  }
  return builtinResult('named-files-exist', started, {
    ok: false,
    outputTail: listTail(missing),
    message: `missing after the task: ${listed(missing)}`,
  });
}

/**
 * Which of `names` git knows (tracked, or untracked and not ignored) as the last parts of some path:
 * asked only when a file looks missing, so a passing check costs no git process.
 */
async function knownAnywhere(cwd: string, names: readonly string[]): Promise<Set<string>> {
  const files = names.filter((f) => !f.endsWith('/'));
  if (files.length === 0) return new Set();
  const r = await git(cwd, [
    'ls-files',
    '-z',
    '--cached',
    '--others',
    '--exclude-standard',
    '--',
    ...files.map((f) => `:(glob)**/${f}`),
  ]);
  if (!r.ok) return new Set();
  const paths = r.value.split('\0').filter(Boolean);
  return new Set(files.filter((f) => paths.some((p) => isNamedBy(p, f))));
}

/** Whether `name` (`yamlio.py`, `models/user.py`) is `path` or its last parts. */
function isNamedBy(path: string, name: string): boolean {
  return path === name || path.endsWith(`/${name}`);
}

export interface NoSecretsOptions extends ChangesSource {
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
  const lines = await changesOf(opts);
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
  const findings = scanAddedLines(lines.value.added, opts.rules).map(formatFinding);
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
export async function checkPlanUntouched(opts: ChangesSource & { planFiles: readonly string[] }): Promise<GateResult> {
  const started = performance.now();
  const changed = await changesOf(opts);
  if (!changed.ok) {
    return builtinResult('plan-untouched', started, { ok: false, outputTail: changed.error, message: changed.error });
  }
  const guarded = new Set(opts.planFiles);
  const touched = changed.value.changed.filter((f) => guarded.has(f));
  if (touched.length === 0) return builtinResult('plan-untouched', started, { ok: true, outputTail: '' });
  return builtinResult('plan-untouched', started, {
    ok: false,
    outputTail: listTail(touched),
    message: `the agent edited the plan (${listed(touched)}); taskwave ticks it itself once the task is verified: undo that change`,
  });
}

/** The agent deleted no tracked file it was not asked to (a task that says remove/move/rename may). */
export async function checkNoUnaskedDeletions(
  opts: ChangesSource & { task: Pick<Task, 'title'> },
): Promise<GateResult> {
  const started = performance.now();
  if (mayDelete(opts.task)) {
    return builtinResult('no-unasked-deletions', started, {
      ok: true,
      outputTail: '',
      message: 'the task may delete files',
    });
  }
  const deleted = await changesOf(opts);
  if (!deleted.ok) {
    return builtinResult('no-unasked-deletions', started, {
      ok: false,
      outputTail: deleted.error,
      message: deleted.error,
    });
  }
  if (deleted.value.deleted.length === 0)
    return builtinResult('no-unasked-deletions', started, { ok: true, outputTail: '' });
  return builtinResult('no-unasked-deletions', started, {
    ok: false,
    outputTail: listTail(deleted.value.deleted),
    message: `the agent deleted tracked files the task does not ask to remove: ${listed(deleted.value.deleted)}; restore them`,
  });
}

export interface NestedReposOptions extends ChangesSource {
  /**
   * The checkout is the task's own worktree, so a repository without a commit in it is the agent's
   * (in place it may be the user's, which no tree records).
   */
  worktree: boolean;
}

/**
 * The agent left no repository of its own inside the checkout (`git init` in a folder, a project
 * generator that makes one, a `git clone`): its files would never be committed, only a link to a
 * commit nobody else has (or, without a commit, nothing at all), and they would go with the worktree
 * while the task was called done. A submodule that `.gitmodules` names is meant to be one.
 */
export async function checkNoNestedRepos(opts: NestedReposOptions): Promise<GateResult> {
  const started = performance.now();
  const changes = await changesOf(opts);
  if (!changes.ok) {
    return builtinResult('no-nested-repos', started, { ok: false, outputTail: changes.error, message: changes.error });
  }
  const found = [...changes.value.nestedRepos, ...(opts.worktree ? changes.value.unaddableRepos : [])];
  const submodules = found.length > 0 ? submodulePaths(opts.cwd) : new Set<string>();
  const nested = found.filter((p) => !submodules.has(p));
  if (nested.length === 0) return builtinResult('no-nested-repos', started, { ok: true, outputTail: '' });
  const gits = nested.map((p) => `${p}/.git`);
  return builtinResult('no-nested-repos', started, {
    ok: false,
    outputTail: listTail(gits),
    message: `the agent left git repositories of their own in the checkout (${listed(gits)}): git would commit none of their files; remove those .git folders (a submodule needs an entry in .gitmodules)`,
  });
}

/** The paths `.gitmodules` in the checkout names: submodules meant as such. */
function submodulePaths(cwd: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(join(cwd, '.gitmodules'), 'utf8');
  } catch {
    return new Set();
  }
  const paths = [...text.matchAll(/^\s*path\s*=\s*(.+?)\s*$/gm)].map((m) => (m[1] as string).replace(/\/+$/, ''));
  return new Set(paths);
}
