import { err, ok, type Result } from '../result.js';
import { faultPoint } from '../util/fault.js';
import { describeGitError, type GitError, git, identityArgs, refCommit } from './git.js';
import { type StagedIndex, saveIndex } from './staged-index.js';

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
  /**
   * A commit on a task's own branch, squashed when it lands or kept as a failed task's work: not
   * signed (`commit.gpgSign`). A signing key not at hand (a passphrase the agent forgot overnight)
   * must not fail the commit that keeps an agent's work; the commit that lands on your branch is
   * signed as you configured.
   */
  unsigned?: boolean;
  /**
   * Keep what can be kept (a failed task's work): a path git cannot add (a repository of its own
   * without a commit, an unreadable file) does not keep the others out of the commit.
   */
  ignoreErrors?: boolean;
  /**
   * The checkout is one of taskwave's own (a task's worktree, the merge worktree), whose index
   * nobody else uses: a failed commit's staging is not put back (each caller resets or removes the
   * checkout), and the index is not saved before every commit for it.
   */
  ownCheckout?: boolean;
}

/** Before `commit`: no signature (see `CommitOptions.unsigned`). */
export const UNSIGNED = ['-c', 'commit.gpgSign=false'];

/**
 * Commit everything changed in a checkout (new, changed and deleted files) with `message`, on top of
 * what is staged. False when there was nothing to commit. A commit that fails (a hook of the user's
 * that rejects it, a signing key that is not there) leaves the index as it found it (unless it is
 * taskwave's own: `ownCheckout`): staged for a commit that did not happen, the changes would stay
 * staged in the user's index in place.
 */
export async function commitAll(dir: string, message: string, o: CommitOptions = {}): Promise<Result<boolean, string>> {
  const saved = o.ownCheckout ? undefined : await saveIndex(dir);
  try {
    const r = await stageAndCommit(dir, message, o);
    if (r.ok || !saved || saved.restore()) return r;
    return err(`${r.error}\n(and its changes stay staged: git held the index, and taskwave could not unstage them)`);
  } finally {
    saved?.dispose();
  }
}

async function stageAndCommit(dir: string, message: string, o: CommitOptions): Promise<Result<boolean, string>> {
  const who = [...(await identityArgs(o.identityOf ?? dir)), ...(o.unsigned ? UNSIGNED : [])];
  if (o.staged?.install()) {
    // Everything as verified is staged; the files written since (a tick) are named to the commit.
    const include = o.include && o.include.length > 0 ? ['--include', '--', ...o.include] : [];
    if ((await runCommit(dir, who, message, include)).ok) return ok(true);
    // Nothing to commit, or a path git would not take: the ordinary way below tells which.
  }
  const which = o.which ?? 'all';
  if (which === 'all') {
    const add = await git(dir, ['add', '-A', ...(o.ignoreErrors ? ['--ignore-errors'] : [])]);
    // With ignoreErrors, what could be added is staged and is committed.
    if (!add.ok && !o.ignoreErrors) return err(describeGitError(add.error));
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

/** What `git log --oneline`, GitHub and most tools show of a subject before cutting it themselves. */
export const SUBJECT_MAX = 72;

/**
 * `T012: title`, then the agent's summary as the body. A title too long for a subject (plans hold
 * paragraphs in a task's line) is cut at a word and ended with `…`, and given whole as the body's
 * first paragraph. `note` (`unfinished: …`) follows the title in parentheses and is never cut off.
 */
export function taskCommitMessage(taskId: string, title: string, body?: string, note?: string): string {
  const { subject, cut } = taskCommitSubject(taskId, title, note);
  const paragraphs = [...(cut ? [oneLine(title)] : []), body?.trim()].filter(Boolean);
  return paragraphs.length > 0 ? `${subject}\n\n${paragraphs.join('\n\n')}\n` : `${subject}\n`;
}

/** The subject line: `T012: title (note)`, the title cut to fit `SUBJECT_MAX` when it must be. */
export function taskCommitSubject(taskId: string, title: string, note?: string): { subject: string; cut: boolean } {
  const head = `${oneLine(taskId)}: `;
  const tail = note ? ` (${oneLine(note)})` : '';
  const text = oneLine(title);
  const whole = `${head}${text}${tail}`;
  if (length(whole) <= SUBJECT_MAX) return { subject: whole, cut: false };
  const room = SUBJECT_MAX - length(head) - length(tail) - 1;
  return { subject: `${head}${cutAtWord(text, room)}…${tail}`, cut: true };
}

/** Whitespace (newlines, tabs, runs of spaces) as single spaces. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** In code points, so a cut never splits an emoji's surrogate pair. */
function length(s: string): number {
  return Array.from(s).length;
}

/**
 * At most `room` code points of `text`, ending at a word's end when one is in the second half (a
 * single very long word is cut inside it rather than leave almost nothing), without the trailing
 * punctuation a sentence cut short would dangle before the `…`.
 */
function cutAtWord(text: string, room: number): string {
  if (room <= 0) return '';
  const chars = Array.from(text);
  let kept = chars.slice(0, room).join('');
  const nextIsSpace = chars[room] === undefined || chars[room] === ' ';
  if (!nextIsSpace) {
    const space = kept.lastIndexOf(' ');
    if (space >= kept.length / 2) kept = kept.slice(0, space);
  }
  return kept.replace(/[\s,;:.\-–—(]+$/u, '');
}
