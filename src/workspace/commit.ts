import { err, ok, type Result } from '../result.js';
import { faultPoint } from '../util/fault.js';
import { describeGitError, type GitError, git, identityArgs, refCommit } from './git.js';
import type { StagedIndex } from './staged-index.js';

export interface CommitOptions {
  /**
   * The checkout whose git identity to use (the repository's root for a worktree: asked once per
   * run rather than once per task). Default: the checkout itself.
   */
  identityOf?: string;
  /** `tracked`: only files git already tracks can have changed (one process, no scan for new files). */
  which?: 'all' | 'tracked';
  /**
   * The checkout as verified, already staged: installed as its index and committed as it is (no
   * second scan of the checkout), when it still can be (`StagedIndex.install`); else the checkout is
   * staged again as usual.
   */
  staged?: StagedIndex;
  /** With `staged`: tracked files written since it was taken (a tick), staged by the commit itself. */
  include?: readonly string[];
}

/**
 * Commit everything changed in a checkout (new, changed and deleted files) with `message`, on top of
 * what is staged. False when there was nothing to commit.
 */
export async function commitAll(dir: string, message: string, o: CommitOptions = {}): Promise<Result<boolean, string>> {
  const who = await identityArgs(o.identityOf ?? dir);
  if (o.staged?.install()) {
    // Everything as verified is staged; the files written since (a tick) are named to the commit.
    const include = o.include && o.include.length > 0 ? ['--include', '--', ...o.include] : [];
    if ((await runCommit(dir, who, message, include)).ok) return ok(true);
    // Nothing to commit, or a path git would not take: the ordinary way below tells which.
  }
  const which = o.which ?? 'all';
  if (which === 'all') {
    const add = await git(dir, ['add', '-A']);
    if (!add.ok) return err(describeGitError(add.error));
  }
  const c = await runCommit(dir, who, message, which === 'tracked' ? ['--all'] : []);
  if (c.ok) return ok(true);
  // Asked only when the commit failed: most commits have something in them.
  // With --all the staging happened inside the failed commit and was undone: compare the files.
  return nothingToCommit(dir, which === 'tracked' ? 'HEAD' : '--cached', c.error);
}

function runCommit(dir: string, who: string[], message: string, extra: string[]) {
  return git(dir, [...who, 'commit', '--quiet', '--no-verify', '-F', '-', ...extra], { input: message });
}

async function nothingToCommit(
  dir: string,
  against: 'HEAD' | '--cached',
  failure: GitError,
): Promise<Result<boolean, string>> {
  const same = await git(dir, ['diff', against, '--quiet']);
  return same.ok ? ok(false) : err(describeGitError(failure));
}

/** `commitAll`, and the commit it made (undefined when there was nothing to commit). */
export async function commitAllAt(
  dir: string,
  message: string,
  o: CommitOptions = {},
): Promise<Result<string | undefined, string>> {
  const c = await commitAll(dir, message, o);
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
