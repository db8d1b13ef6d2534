import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { describeGitError, git } from '../workspace/git.js';
import { StagedIndex } from '../workspace/staged-index.js';
import type { AddedLine } from './secrets.js';

/*
 * What a task changed in its worktree since the commit (in place without commits: the tree) it
 * started from, read with one `git diff`:
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
  /**
   * Repositories of their own (a folder with its own `.git`, from `git init`, `git clone` or a
   * project generator) that the base did not have: a commit holds a link to one (a gitlink), never
   * its files.
   */
  nestedRepos: string[];
  /**
   * Untracked folders that are repositories without a commit: git cannot add them at all (nor say
   * whether the base had them: they are in no tree).
   */
  unaddableRepos: string[];
}

/** The changes in the checkout at `cwd` since `base` (a commit, or a tree: `git diff` takes either). */
export async function readChanges(cwd: string, base: string): Promise<Result<WorktreeChanges, string>> {
  const staged = await StagedIndex.take(cwd);
  if (!staged.ok) return staged;
  try {
    return await changesIn(staged.value, base);
  } finally {
    staged.value.dispose();
  }
}

/**
 * The changes since `base` (a commit or a tree) in the checkout `staged` was taken of. Everything in it is staged
 * in that copy of its index, so `git diff <base>` shows new files too, while the checkout's own index
 * (the agent's staged state) is left as it was.
 */
export async function changesIn(staged: StagedIndex, base: string): Promise<Result<WorktreeChanges, string>> {
  const r = await git(
    staged.cwd,
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
    { env: staged.env },
  );
  if (!r.ok) return err(describeGitError(r.error));
  const changes = parseRawAndPatch(r.value);
  if (!staged.complete) changes.unaddableRepos = await unaddableRepos(staged);
  return ok(changes);
}

/**
 * The untracked folders of the checkout that are repositories without a commit: `git add` refuses
 * them (and the copy of the index is incomplete), so they are in no diff. Asked only then.
 */
async function unaddableRepos(staged: StagedIndex): Promise<string[]> {
  const r = await git(staged.cwd, ['ls-files', '-z', '--others', '--exclude-standard', '--directory'], {
    env: staged.env,
  });
  if (!r.ok) return [];
  return r.value
    .split('\0')
    .filter((p) => p.endsWith('/') && existsSync(join(staged.cwd, p, '.git')))
    .map((p) => p.slice(0, -1));
}

/** A gitlink's mode in git's records: a commit of another repository where a file would be. */
const GITLINK = '160000';

/**
 * `--patch-with-raw -z` output: raw records (`:<modes> <ids> <status>\0<path>\0[<new path>\0]`), a
 * NUL, then the patch (where -z changes nothing, so its paths are quoted the usual way).
 */
function parseRawAndPatch(out: string): WorktreeChanges {
  const changed: string[] = [];
  const deleted: string[] = [];
  const nestedRepos: string[] = [];
  let i = 0;
  const field = (): string => {
    const end = out.indexOf('\0', i);
    const s = out.slice(i, end < 0 ? out.length : end);
    i = end < 0 ? out.length : end + 1;
    return s;
  };
  while (out[i] === ':') {
    // `:<old mode> <new mode> <old id> <new id> <status>`
    const record = field().slice(1).split(' ');
    const status = record[4] ?? '';
    const path = field();
    if (record[1] === GITLINK && record[0] !== GITLINK && !status.startsWith('R') && !status.startsWith('C')) {
      nestedRepos.push(path);
    }
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
  return { changed, deleted, added: parseAddedLines(out.slice(i)), nestedRepos, unaddableRepos: [] };
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
