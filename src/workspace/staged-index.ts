import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { errorMessage } from '../util/error-message.js';
import { isProcessAlive } from '../util/process-alive.js';
import { describeGitError, git, gitDirOf, readRef } from './git.js';

/**
 * A copy of a checkout's index with everything in the checkout staged (`git add --all`), beside the
 * index in the checkout's git directory (so it can become the index by a rename, and a run killed
 * mid-verification leaves it where the next one finds it, not in /tmp). The verification reads what
 * a task changed through it, and the task's commit is made from it (installed as the checkout's
 * index): the checkout is scanned and its new files hashed once per task, not once to verify and
 * again to commit, and what is committed is what was verified. The checkout's own index is untouched
 * until `install`, so a task that fails verification leaves the agent's staging (or the user's, in
 * place) as it was.
 */
export class StagedIndex {
  private constructor(
    /** The checkout. */
    readonly cwd: string,
    /** The copy, for GIT_INDEX_FILE. */
    readonly file: string,
    private readonly realIndex: string,
    private readonly realStamp: string,
    private readonly head: string | undefined,
    /** Every path went in (git could read every file): the copy holds the whole checkout. */
    readonly complete: boolean,
  ) {}

  /**
   * Copy the index of the checkout at `cwd` and stage everything in the checkout into the copy.
   * `--ignore-errors`: one path git cannot add (a nested repository without a commit) must not keep
   * the others out of the verification's view; such a copy is not `complete`, and is not committed.
   */
  static async take(cwd: string): Promise<Result<StagedIndex, string>> {
    const realIndex = await indexPath(cwd);
    if (!realIndex.ok) return realIndex;
    const dir = dirname(realIndex.value);
    removeDeadCopies(dir);
    const file = join(dir, `${COPY_PREFIX}${process.pid}-${++copiesTaken}`);
    try {
      // No index yet (nothing ever staged): git starts an empty one. The copy keeps the index's own
      // time: git trusts an entry's file times only when they are older than the index, so a copy made
      // later would hide a same-size edit made in the second the worktree was checked out.
      // Stamped before it is copied: a change in between makes the copy stale, never the stamp.
      const stamp = stampOf(realIndex.value);
      const head = readRef(cwd, 'HEAD')?.commit;
      // A name left by a dead process of the same pid may be a second name of the index itself
      // (installed, then killed): copied onto, it would truncate the index.
      removeCopy(file);
      if (existsSync(realIndex.value)) copyKeepingTimes(realIndex.value, file);
      const add = await git(cwd, ['add', '--all', '--ignore-errors', '--', ':/'], { env: { GIT_INDEX_FILE: file } });
      return ok(new StagedIndex(cwd, file, realIndex.value, stamp, head, add.ok));
    } catch (e) {
      removeCopy(file);
      return err(errorMessage(e));
    }
  }

  /** The environment that points git at the copy. */
  get env(): Record<string, string> {
    return { GIT_INDEX_FILE: this.file };
  }

  /**
   * Whether the copy can stand for the checkout's index: it is complete, and neither the checkout's
   * own index nor its HEAD changed since it was taken (a person staging or committing in place
   * meanwhile: a commit from the copy would revert their change).
   */
  committable(): boolean {
    if (!this.complete || this.head === undefined) return false;
    return stampOf(this.realIndex) === this.realStamp && readRef(this.cwd, 'HEAD')?.commit === this.head;
  }

  /**
   * Make the copy the checkout's index, in place of staging the checkout again, if it still describes
   * it (`committable`). Done as git does it: `index.lock` is created exclusively (while a git command
   * at work in the checkout holds it: false, and nothing changes), the check is made while the lock is
   * held, then the lock is renamed over the index. The lock is a second name of the copy (a hard
   * link: no second copy of an index that is megabytes in a large repository), so the copy's file
   * times go with it, for the reason given in `take`.
   */
  install(): boolean {
    if (!this.complete) return false;
    const lock = `${this.realIndex}.lock`;
    if (!createLock(this.file, lock)) return false;
    try {
      if (!this.committable()) throw new Error('changed since');
      renameSync(lock, this.realIndex);
      return true;
    } catch {
      unlinkQuietly(lock);
      return false;
    }
  }

  /**
   * The copy written out as a tree object (`git write-tree`, one process): the checkout as it was
   * taken, for a later `git diff <tree>`. The objects stay in git until its housekeeping prunes
   * unreferenced ones (two weeks by default).
   */
  async writeTree(): Promise<Result<string, string>> {
    const r = await git(this.cwd, ['write-tree'], { env: this.env });
    return r.ok ? ok(r.value.trim()) : err(describeGitError(r.error));
  }

  /** Remove the copy (once installed, only its name: the index lives on under its own). */
  dispose(): void {
    removeCopy(this.file);
  }
}

/**
 * A checkout's index as it was before a commit staged into it, to put back if the commit fails: in
 * place the index is the user's, and a task whose commit failed must not leave its changes staged
 * there (they stay in the working tree, as any uncommitted change does).
 */
export interface SavedIndex {
  /** Put the index back as it was; false when git holds `index.lock` (a command at work in the checkout). */
  restore(): boolean;
  /** Drop the saved index (the commit went through). */
  dispose(): void;
}

/**
 * The index of the checkout at `cwd` as it is now, under a second name beside it (a hard link: git
 * replaces an index by renaming a new one over it, so the name keeps this one; a copy where there
 * are no hard links). Undefined when it cannot be saved: then nothing can be put back.
 */
export async function saveIndex(cwd: string): Promise<SavedIndex | undefined> {
  const realIndex = await indexPath(cwd);
  if (!realIndex.ok) return undefined;
  const index = realIndex.value;
  const lock = `${index}.lock`;
  if (!existsSync(index)) {
    // No index yet: as it was is without one.
    return {
      restore: () => {
        if (!existsSync(index)) return true;
        if (!createEmptyLock(lock)) return false;
        unlinkQuietly(index);
        unlinkQuietly(lock);
        return true;
      },
      dispose: () => {},
    };
  }
  const dir = dirname(index);
  removeDeadCopies(dir);
  const file = join(dir, `${COPY_PREFIX}${process.pid}-${++copiesTaken}`);
  removeCopy(file);
  if (!createLock(index, file)) return undefined;
  return {
    // As git replaces an index: `index.lock` created exclusively, then renamed over the index.
    restore: () => {
      // Still the same file: nothing was staged (git could not take the index, say).
      if (sameFile(index, file)) return true;
      if (!createLock(file, lock)) return false;
      try {
        renameSync(lock, index);
        return true;
      } catch {
        unlinkQuietly(lock);
        return false;
      }
    },
    dispose: () => removeCopy(file),
  };
}

/** The copies' names: `taskwave-index-<pid>-<n>`, the process that took them and a count. */
const COPY_PREFIX = 'taskwave-index-';
const COPY_NAME = /^taskwave-index-(\d+)-\d+(?:\.lock)?$/;
let copiesTaken = 0;
/** Git directories already cleared of dead runs' copies by this process. */
const cleared = new Set<string>();

/** Create `lock` as the copy `file` under a second name; false when it exists (git holds the index). */
function createLock(file: string, lock: string): boolean {
  try {
    linkSync(file, lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
  }
  // A file system without hard links: a copy, still created only if no lock exists.
  try {
    copyKeepingTimes(file, lock, constants.COPYFILE_EXCL);
    return true;
  } catch {
    return false;
  }
}

/** Create `lock` empty; false when it exists (git holds the index). */
function createEmptyLock(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx'));
    return true;
  } catch {
    return false;
  }
}

/** The copy and the lock git may have left beside it (killed mid-add). */
function removeCopy(file: string): void {
  unlinkQuietly(file);
  unlinkQuietly(`${file}.lock`);
}

/** Remove a file that may already be gone. */
function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {}
}

/**
 * Copies left in git directory `dir` by processes that are gone (a run killed mid-verification),
 * once per directory: a copy of a live process (another run's, this one's) is in use.
 */
function removeDeadCopies(dir: string): void {
  if (cleared.has(dir)) return;
  cleared.add(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(COPY_NAME.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isProcessAlive(pid)) continue;
    unlinkQuietly(join(dir, name));
  }
}

function copyKeepingTimes(from: string, to: string, mode?: number): void {
  copyFileSync(from, to, mode);
  const at = statSync(from);
  utimesSync(to, at.atime, at.mtime);
}

/** Whether two names are of one file (a hard link's two names). */
function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a, { bigint: true });
    const y = statSync(b, { bigint: true });
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/** Enough of a file's identity to tell it was rewritten: git replaces an index by renaming a new one over it. */
function stampOf(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return 'absent';
  }
}

async function indexPath(cwd: string): Promise<Result<string, string>> {
  const gitDir = gitDirOf(cwd);
  if (gitDir) return ok(join(gitDir, 'index'));
  const where = await git(cwd, ['rev-parse', '--git-path', 'index']);
  return where.ok ? ok(resolve(cwd, where.value.trim())) : err(describeGitError(where.error));
}
