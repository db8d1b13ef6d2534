import { err, ok, type Result } from '../result.js';
import { faultPoint } from '../util/fault.js';
import { describeGitError, git, identityArgs } from './git.js';

/**
 * Commit everything the agent changed in a worktree (new, changed and deleted files) with `message`.
 * `undefined` when there was nothing to commit.
 */
export async function commitAll(dir: string, message: string): Promise<Result<string | undefined, string>> {
  const add = await git(dir, ['add', '-A']);
  if (!add.ok) return err(describeGitError(add.error));
  const staged = await git(dir, ['diff', '--cached', '--quiet']);
  if (staged.ok) return ok(undefined);
  if (staged.error.code !== 1) return err(describeGitError(staged.error));
  const who = await identityArgs(dir);
  const c = await git(dir, [...who, 'commit', '--quiet', '--no-verify', '-F', '-'], { input: message });
  if (!c.ok) return err(describeGitError(c.error));
  faultPoint('worktree:committed');
  const head = await git(dir, ['rev-parse', 'HEAD']);
  return head.ok ? ok(head.value.trim()) : err(describeGitError(head.error));
}

/** `T012: title`, then the agent's summary as the body. */
export function taskCommitMessage(taskId: string, title: string, body?: string): string {
  const subject = `${taskId}: ${title}`.replace(/\s+/g, ' ').trim();
  const text = body?.trim();
  return text ? `${subject}\n\n${text}\n` : `${subject}\n`;
}
