import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { acquireLock, isAlive, readLock } from '../state/lock.js';
import { git, gitBytes, revParse } from './git.js';

/*
 * A run killed (SIGKILL, power lost) in the middle of a git command leaves what that command had
 * half done: git's lock files (`.git/index.lock`, `refs/heads/main.lock`), which make every later git
 * command fail, and, when it died inside the `git merge --ff-only` that moves the user's working tree,
 * a tree half way between two commits. The next run clears this before it reads the plan (whose tick
 * may be among the files half written), and only when the run before is known to be dead.
 */

/** Beside the merge worktree: what the merge queue is fast-forwarding, while it does (merge-queue.ts). */
export const DELIVERING = '_delivering.json';

export interface DeliveryNote {
  branch: string;
  head: string;
  tip: string;
}

export interface Recovery {
  /** What was done or could not be done, for the user. */
  notes: string[];
  /** The integration branch moved: the plan must be read again. */
  moved: boolean;
}

/**
 * When the lock of `.taskwave/` names a process that is gone, the run before was killed: take the
 * lock for the time of the repair, clear git's stale lock files and finish a fast-forward it was in
 * the middle of. Does nothing while a run is alive, or when the last one ended normally.
 */
export async function recoverKilledRun(root: string, stateDir: string, lockPath: string): Promise<Recovery> {
  const none: Recovery = { notes: [], moved: false };
  if (!existsSync(lockPath)) return none;
  const holder = readLock(lockPath);
  // A lock that does not parse was torn by the kill that wrote it.
  if (holder && isAlive(holder)) return none;
  const lock = acquireLock(lockPath, 'taskwave (repairing after a killed run)');
  if (!lock.ok) return none;
  try {
    const notes: string[] = [];
    const common = await git(root, ['rev-parse', '--git-common-dir']);
    if (!common.ok) return none;
    const gitDir = resolve(root, common.value.trim());
    const cleared = await clearStaleGitLocks(root, gitDir, notes);
    const moved = cleared ? await finishDeliveries(root, stateDir, notes) : false;
    return { notes, moved };
  } finally {
    lock.value.release();
  }
}

/**
 * git's own lock files of the shared repository (the worktrees' own go with the worktrees). One left
 * by a killed git command stays forever and fails every later command that needs it. Safe rule: they
 * are removed only when no git process is running in the repository — the run that died is gone
 * (we hold its lock), and a git process that outlived it (its child, still finishing) or that the
 * user is running (`git commit` waiting in an editor holds index.lock) is waited for, up to a few
 * seconds, and then left alone. On Linux "in the repository" is a git process whose working
 * directory is inside it (/proc); elsewhere any git process on the machine counts. Returns false when
 * locks are left.
 */
async function clearStaleGitLocks(root: string, gitDir: string, notes: string[]): Promise<boolean> {
  const locks = ['index.lock', 'HEAD.lock', 'ORIG_HEAD.lock', 'packed-refs.lock']
    .map((f) => join(gitDir, f))
    .filter((f) => existsSync(f));
  locks.push(...lockFilesUnder(join(gitDir, 'refs')));
  if (locks.length === 0) return true;
  const until = Date.now() + 5000;
  while (await gitRunningIn([root, gitDir])) {
    if (Date.now() > until) {
      notes.push(
        `git's lock files ${locks.join(', ')} are left from a killed run, but a git process is running in the repository; if it is not yours, remove them`,
      );
      return false;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const left = locks.filter((f) => existsSync(f));
  for (const f of left) rmSync(f, { force: true });
  if (left.length > 0) notes.push(`removed git's lock files left by the killed run: ${left.join(', ')}`);
  return true;
}

function lockFilesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e);
    let isDir = false;
    try {
      isDir = lstatSync(p).isDirectory();
    } catch {
      continue;
    }
    if (isDir) out.push(...lockFilesUnder(p));
    else if (e.endsWith('.lock')) out.push(p);
  }
  return out;
}

/** Is a git process (other than ours: we run none now) working in one of `dirs`? */
async function gitRunningIn(dirs: string[]): Promise<boolean> {
  if (!existsSync('/proc/self/cwd')) {
    const ps = await new Promise<string | undefined>((done) =>
      execFile('ps', ['-A', '-o', 'comm='], (e, out) => done(e ? undefined : String(out))),
    );
    // Cannot tell: assume one is.
    if (ps === undefined) return true;
    return ps.split('\n').some((l) => /(^|\/)git(-[\w-]+)?$/.test(l.trim()));
  }
  const real = dirs.map((d) => {
    try {
      return realpathSync(d);
    } catch {
      return d;
    }
  });
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let comm: string;
    let cwd: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!/^git(-|$)/.test(comm)) continue;
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue; // gone, or another user's: not working in our repository
    }
    if (real.some((d) => cwd === d || cwd.startsWith(d + sep))) return true;
  }
  return false;
}

/** Every run's note of a fast-forward it was in the middle of: finish it (or see it finished). */
async function finishDeliveries(root: string, stateDir: string, notes: string[]): Promise<boolean> {
  const runs = join(stateDir, 'worktrees');
  let moved = false;
  for (const run of existsSync(runs) ? readdirSync(runs) : []) {
    const file = join(runs, run, DELIVERING);
    if (!existsSync(file)) continue;
    let note: DeliveryNote | undefined;
    try {
      note = JSON.parse(readFileSync(file, 'utf8')) as DeliveryNote;
    } catch {
      // Torn: the fast-forward had not started (the note is written before it, atomically).
    }
    const done = note ? await finishDelivery(root, note, notes) : 'done';
    if (done === 'moved') moved = true;
    if (done !== 'refused') rmSync(file, { force: true });
  }
  return moved;
}

/**
 * `git merge --ff-only` from `head` to `tip`, killed: it writes the files first, then the index, then
 * moves the branch. When the branch is still at `head` and every file the two commits differ in holds
 * either version (nothing else touched them: git refused to start over local changes), write the
 * rest of `tip` and move the branch: the task's commit lands as it was about to.
 */
async function finishDelivery(
  root: string,
  note: DeliveryNote,
  notes: string[],
): Promise<'done' | 'moved' | 'refused'> {
  const at = await revParse(root, `refs/heads/${note.branch}`);
  if (!at.ok || at.value !== note.head) return 'done'; // it finished, or the branch moved on since
  const on = await git(root, ['symbolic-ref', '--quiet', 'HEAD']);
  if (!on.ok || on.value.trim() !== `refs/heads/${note.branch}`) return 'done';
  const diff = await git(root, ['diff', '--name-only', '--no-renames', '-z', note.head, note.tip]);
  if (!diff.ok) return 'done'; // the tip is gone: nothing can have been written from it
  const paths = diff.value.split('\0').filter(Boolean);
  if (paths.length === 0) return 'done';
  const blobs = async (rev: string) => {
    const r = await git(root, ['ls-tree', '-z', '--full-tree', rev, '--', ...paths.map(literal)]);
    const m = new Map<string, string>();
    for (const entry of r.ok ? r.value.split('\0').filter(Boolean) : []) {
      const tab = entry.indexOf('\t');
      m.set(entry.slice(tab + 1), entry.slice(0, tab).split(' ')[2] ?? '');
    }
    return m;
  };
  const before = await blobs(note.head);
  const after = await blobs(note.tip);
  const present = paths.filter((p) => existsSync(join(root, p)));
  const hashed = present.length ? await git(root, ['hash-object', '--', ...present]) : { ok: true as const, value: '' };
  if (!hashed.ok) return 'refused';
  const inTree = new Map(present.map((p, i) => [p, hashed.value.split('\n')[i] ?? '']));
  let written = 0;
  for (const p of paths) {
    const now = inTree.get(p);
    const isOld = now === before.get(p);
    const isNew = now === after.get(p) || (now !== undefined && (await tornWriteOf(root, p, after.get(p))));
    if (!isOld && !isNew) {
      notes.push(
        `a killed run was moving ${note.branch} to ${note.tip.slice(0, 12)} and ${p} has changed since: finish it by hand (git status)`,
      );
      return 'refused';
    }
    if (isNew && !isOld) written++;
  }
  const index = await git(root, ['diff', '--cached', '--quiet', note.head]);
  if (written === 0 && index.ok) return 'done'; // it had written nothing yet
  const keep = paths.filter((p) => after.has(p));
  const gone = paths.filter((p) => !after.has(p));
  if (keep.length > 0) {
    const co = await git(root, ['checkout', '--quiet', note.tip, '--', ...keep.map(literal)]);
    if (!co.ok) return 'refused';
  }
  if (gone.length > 0) {
    await git(root, ['rm', '--quiet', '--cached', '--ignore-unmatch', '--', ...gone.map(literal)]);
    for (const p of gone) rmSync(join(root, p), { force: true });
  }
  const upd = await git(root, ['update-ref', `refs/heads/${note.branch}`, note.tip, note.head]);
  if (!upd.ok) return 'refused';
  notes.push(`finished moving ${note.branch} to ${note.tip.slice(0, 12)}, which a killed run was in the middle of`);
  return 'moved';
}

/**
 * Is the file at `p` a start of blob `blob`, shorter than it: git killed while it wrote the file (it
 * creates each file anew, then writes it)? Nobody else writes there meanwhile: git refused to start
 * over local changes, and the run that started it is dead.
 */
async function tornWriteOf(root: string, p: string, blob: string | undefined): Promise<boolean> {
  if (!blob) return false;
  let file: Buffer;
  try {
    file = readFileSync(join(root, p));
  } catch {
    return false;
  }
  const full = await gitBytes(root, ['cat-file', 'blob', blob]);
  return full.ok && file.length < full.value.length && full.value.subarray(0, file.length).equals(file);
}

/** A path as a pathspec that means only itself (no glob). */
const literal = (p: string) => `:(literal)${p}`;
