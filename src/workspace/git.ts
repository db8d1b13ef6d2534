import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { isDirectory } from '../util/fs-kind.js';
import { addTiming } from '../util/timings.js';

/*
 * git, run as an argv (never through a shell: branch names and messages carry task text), with
 * prompts off so a run never waits for a password, and a fallback identity so commits work on a
 * machine without `user.name` (CI, fresh containers) without touching the user's config.
 */

export interface GitError {
  args: string[];
  code: number | null;
  stderr: string;
  stdout: string;
}

export interface GitOptions {
  /** Text for stdin. */
  input?: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

const MAX_BUFFER = 256 * 1024 * 1024;

export function git(cwd: string, args: string[], opts: GitOptions = {}): Promise<Result<string, GitError>> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      args,
      {
        cwd,
        maxBuffer: MAX_BUFFER,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', ...opts.env },
      },
      (error, stdout, stderr) => {
        addTiming('git processes (all steps)', performance.now() - started);
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          resolve(err({ args, code, stderr: String(stderr), stdout: String(stdout) }));
        } else resolve(ok(String(stdout)));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** One line for a person: the command and git's own words. */
export function describeGitError(e: GitError): string {
  const said = (e.stderr.trim() || e.stdout.trim()).split('\n').slice(0, 6).join('\n');
  return `git ${e.args.join(' ')} failed${e.code !== null ? ` (exit ${e.code})` : ''}${said ? `: ${said}` : ''}`;
}

const identities = new Map<string, Promise<string[]>>();

/**
 * `-c user.name=… -c user.email=…` when the repository has no identity of its own. Asked once per
 * checkout and remembered: a run commits twice per task, and the answer does not change under it.
 */
export function identityArgs(cwd: string): Promise<string[]> {
  let known = identities.get(cwd);
  if (!known) {
    known = git(cwd, ['config', '--get-regexp', '^user\\.(name|email)$']).then((r) => {
      const set = new Set(
        (r.ok ? r.value : '')
          .split('\n')
          .filter((l) => /^\S+ \S/.test(l))
          .map((l) => l.slice(0, l.indexOf(' ')).toLowerCase()),
      );
      const out: string[] = [];
      if (!set.has('user.name')) out.push('-c', 'user.name=taskwave');
      if (!set.has('user.email')) out.push('-c', 'user.email=taskwave@localhost');
      return out;
    });
    identities.set(cwd, known);
  }
  return known;
}

/**
 * The git directory of the checkout at `dir` (`.git` itself, or where a worktree's `.git` file points),
 * read from the file system instead of asking git: a run needs it several times per task. Undefined
 * when `dir` is not the top of a checkout, or the environment redirects git (GIT_DIR, GIT_INDEX_FILE):
 * then ask `git rev-parse`.
 */
export function gitDirOf(dir: string): string | undefined {
  if (process.env.GIT_DIR || process.env.GIT_INDEX_FILE || process.env.GIT_WORK_TREE) return undefined;
  const dotGit = join(dir, '.git');
  if (isDirectory(dotGit)) return dotGit;
  try {
    const m = /^gitdir: (.+?)\r?\n?$/.exec(readFileSync(dotGit, 'utf8'));
    return m ? resolve(dir, m[1] as string) : undefined;
  } catch {
    return undefined;
  }
}

/** The commit a ref points to. */
export async function revParse(cwd: string, ref: string): Promise<Result<string, GitError>> {
  const r = await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.ok ? ok(r.value.trim()) : r;
}
