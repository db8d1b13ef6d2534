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

/**
 * Before every command: git's own housekeeping after a commit or a merge (`git maintenance run
 * --auto`, a second process each time) is left to one call at the end of a run (`maintainOnce`).
 */
const QUIET_HOUSEKEEPING = ['-c', 'maintenance.auto=false'];

export function git(cwd: string, args: string[], opts: GitOptions = {}): Promise<Result<string, GitError>> {
  return run(cwd, args, opts, (out) => out.toString('utf8'));
}

/** `git`, for output that is bytes rather than text (a blob). */
export function gitBytes(cwd: string, args: string[], opts: GitOptions = {}): Promise<Result<Buffer, GitError>> {
  return run(cwd, args, opts, (out) => out);
}

function run<T>(
  cwd: string,
  args: string[],
  opts: GitOptions,
  decode: (stdout: Buffer) => T,
): Promise<Result<T, GitError>> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      [...QUIET_HOUSEKEEPING, ...args],
      {
        cwd,
        encoding: 'buffer',
        maxBuffer: MAX_BUFFER,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', ...opts.env },
      },
      (error, stdout, stderr) => {
        addTiming('git processes (all steps)', performance.now() - started);
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          resolve(err({ args, code, stderr: stderr.toString('utf8'), stdout: stdout.toString('utf8') }));
        } else resolve(ok(decode(stdout)));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/**
 * The housekeeping a run's commits would each have started (`git gc --auto` when loose objects pile
 * up), once: a run of hundreds of tasks leaves its repository as tidy as hundreds of commits would.
 */
export async function maintainOnce(root: string): Promise<void> {
  await git(root, ['-c', 'maintenance.auto=true', 'maintenance', 'run', '--auto', '--quiet']);
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

/**
 * The git directory all worktrees share (branches, objects, the records of linked worktrees), from
 * the git directory of one checkout (`gitDirOf`).
 */
export function commonDirOf(gitDir: string): string {
  try {
    return resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    return gitDir; // The main checkout: its git directory is the common one.
  }
}

/** The commit a ref points to. */
export async function revParse(cwd: string, ref: string): Promise<Result<string, GitError>> {
  const r = await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.ok ? ok(r.value.trim()) : r;
}

const HASH = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * What `ref` (`HEAD`, or a `refs/heads/…` name) of the checkout at `dir` points to, read from git's
 * own files where they say it plainly: a run asks this several times per task, and a file read
 * costs nothing next to a git process. Undefined when the files do not say (a packed ref, the
 * reftable format, a redirected git): then ask git.
 */
export function readRef(dir: string, ref: string): { commit: string; branch?: string } | undefined {
  const gitDir = gitDirOf(dir);
  if (!gitDir) return undefined;
  const common = commonDirOf(gitDir);
  let name = ref;
  let branch: string | undefined;
  for (let depth = 0; depth < 5; depth++) {
    let text: string;
    try {
      // HEAD belongs to the checkout; branches are shared by all worktrees.
      text = readFileSync(join(name === 'HEAD' ? gitDir : common, name), 'utf8').trim();
    } catch {
      return undefined;
    }
    if (HASH.test(text)) return branch !== undefined ? { commit: text, branch } : { commit: text };
    const m = /^ref: (refs\/\S+)$/.exec(text);
    if (!m) return undefined;
    name = m[1] as string;
    branch ??= name;
  }
  return undefined;
}

/** The commit a ref points to: from git's files when they say, else from git. */
export async function refCommit(dir: string, ref: string): Promise<Result<string, GitError>> {
  const known = readRef(dir, ref);
  return known ? ok(known.commit) : revParse(dir, ref);
}

/** Whether commit `a` is `b` or one of its ancestors. */
export async function isAncestor(root: string, a: string, b: string): Promise<boolean> {
  return (await git(root, ['merge-base', '--is-ancestor', a, b])).ok;
}
