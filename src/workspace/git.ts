import { execFile } from 'node:child_process';
import { err, ok, type Result } from '../result.js';

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

/** `-c user.name=… -c user.email=…` when the repository has no identity of its own. */
export async function identityArgs(cwd: string): Promise<string[]> {
  const name = await git(cwd, ['config', 'user.name']);
  const email = await git(cwd, ['config', 'user.email']);
  const out: string[] = [];
  if (!name.ok || !name.value.trim()) out.push('-c', 'user.name=taskwave');
  if (!email.ok || !email.value.trim()) out.push('-c', 'user.email=taskwave@localhost');
  return out;
}

/** The commit a ref points to. */
export async function revParse(cwd: string, ref: string): Promise<Result<string, GitError>> {
  const r = await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.ok ? ok(r.value.trim()) : r;
}
