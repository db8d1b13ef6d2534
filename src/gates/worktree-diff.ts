import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { errorMessage } from '../util/error-message.js';
import { describeGitError, git, gitDirOf } from '../workspace/git.js';
import type { AddedLine } from './secrets.js';

/*
 * What a task changed in its worktree since the commit it started from, read with one `git diff`:
 * the paths (for "it changed something", "it left the plan alone", "it deleted nothing unasked") and
 * the lines it added (for the secrets scan). Every check of a verification reads the same answer, so
 * a task costs two git processes here, not four per check.
 */

export interface WorktreeChanges {
  /** Paths that differ from the base: committed, staged, unstaged and untracked (not ignored). A rename counts as both paths. */
  changed: string[];
  /** Paths the base has and the worktree no longer has (a renamed file's old path included). */
  deleted: string[];
  /** The lines the worktree adds to the base, untracked files included (renamed lines are not added). */
  added: AddedLine[];
}

/** The changes in the checkout at `cwd` since commit `base`. */
export function readChanges(cwd: string, base: string): Promise<Result<WorktreeChanges, string>> {
  return withIntentToAdd(cwd, async (env) => {
    const r = await git(
      cwd,
      [
        'diff',
        '--patch-with-raw',
        '-z',
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
    return ok(parseRawAndPatch(r.value));
  });
}

/**
 * `--patch-with-raw -z` output: raw records (`:<modes> <ids> <status>\0<path>\0[<new path>\0]`), a
 * NUL, then the patch (where -z changes nothing, so its paths are quoted the usual way).
 */
function parseRawAndPatch(out: string): WorktreeChanges {
  const changed: string[] = [];
  const deleted: string[] = [];
  let i = 0;
  const field = (): string => {
    const end = out.indexOf('\0', i);
    const s = out.slice(i, end < 0 ? out.length : end);
    i = end < 0 ? out.length : end + 1;
    return s;
  };
  while (out[i] === ':') {
    const status = field().split(' ').pop() ?? '';
    const path = field();
    if (status.startsWith('R') || status.startsWith('C')) {
      const to = field();
      changed.push(path, to);
      if (status.startsWith('R')) deleted.push(path);
    } else {
      changed.push(path);
      if (status === 'D') deleted.push(path);
    }
  }
  if (out[i] === '\0') i++;
  return { changed, deleted, added: parseAddedLines(out.slice(i)) };
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
  const realIndex = await indexPath(cwd);
  if (!realIndex.ok) return realIndex;
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'taskwave-index-'));
    const index = join(dir, 'index');
    // No index yet (nothing ever staged): git starts an empty one. The copy keeps the index's own
    // time: git trusts an entry's file times only when they are older than the index, so a copy made
    // later would hide a same-size edit made in the second the worktree was checked out.
    if (existsSync(realIndex.value)) {
      copyFileSync(realIndex.value, index);
      const at = statSync(realIndex.value);
      utimesSync(index, at.atime, at.mtime);
    }
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

async function indexPath(cwd: string): Promise<Result<string, string>> {
  const gitDir = gitDirOf(cwd);
  if (gitDir) return ok(join(gitDir, 'index'));
  const where = await git(cwd, ['rev-parse', '--git-path', 'index']);
  return where.ok ? ok(resolve(cwd, where.value.trim())) : err(describeGitError(where.error));
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
