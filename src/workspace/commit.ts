import { err, ok, type Result } from '../result.js';
import { faultPoint } from '../util/fault.js';
import { describeGitError, git, identityArgs, refCommit } from './git.js';

/**
 * Commit everything changed in a checkout (new, changed and deleted files) with `message`, on top of
 * what is staged. False when there was nothing to commit. `identityOf` is the checkout whose git
 * identity to use (the repository's root for a worktree: asked once per run rather than once per
 * task). `tracked`: only files git already tracks can have changed (one process, no scan for new
 * files).
 */
export async function commitAll(
  dir: string,
  message: string,
  identityOf = dir,
  which: 'all' | 'tracked' = 'all',
): Promise<Result<boolean, string>> {
  if (which === 'all') {
    const add = await git(dir, ['add', '-A']);
    if (!add.ok) return err(describeGitError(add.error));
  }
  const who = await identityArgs(identityOf);
  const all = which === 'tracked' ? ['--all'] : [];
  const c = await git(dir, [...who, 'commit', '--quiet', '--no-verify', ...all, '-F', '-'], { input: message });
  if (!c.ok) {
    // Asked only when the commit failed: most commits have something in them.
    // With --all the staging happened inside the failed commit and was undone: compare the files.
    const staged = await git(dir, ['diff', which === 'tracked' ? 'HEAD' : '--cached', '--quiet']);
    if (staged.ok) return ok(false);
    return err(describeGitError(c.error));
  }
  return ok(true);
}

/** `commitAll`, and the commit it made (undefined when there was nothing to commit). */
export async function commitAllAt(dir: string, message: string): Promise<Result<string | undefined, string>> {
  const c = await commitAll(dir, message);
  if (!c.ok || !c.value) return c.ok ? ok(undefined) : c;
  faultPoint('worktree:committed');
  const head = await refCommit(dir, 'HEAD');
  return head.ok ? ok(head.value) : err(describeGitError(head.error));
}

/** `T012: title`, then the agent's summary as the body. */
export function taskCommitMessage(taskId: string, title: string, body?: string): string {
  const subject = `${taskId}: ${title}`.replace(/\s+/g, ' ').trim();
  const text = body?.trim();
  return text ? `${subject}\n\n${text}\n` : `${subject}\n`;
}
