import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { markScratch, writeFileAtomic } from '../util/atomic-write.js';
import { faultPoint } from '../util/fault.js';
import { sleep } from '../util/sleep.js';
import { timed } from '../util/timings.js';
import { commitAll } from './commit.js';
import { describeGitError, git, isAncestor, readRef, refCommit } from './git.js';
import { DELIVERING, type DeliveryNote } from './recover.js';
import { removeWorktree, worktreeGit } from './worktrees.js';

/*
 * The merge queue brings finished task branches into the integration branch (the branch the user was
 * on when the run started) one at a time. Each merge happens in a detached worktree of its own at the
 * integration head, as one squashed commit per task with the task's tick in the plan file, so history
 * is linear and a conflict never leaves markers in the user's files. The user's working tree is then
 * moved forward with `git merge --ff-only`, which git refuses rather than overwrite uncommitted work.
 */

export interface MergeRequest {
  /** For messages: the task, or what the change is. */
  taskId: string;
  /** The task's branch; absent for a change of taskwave's own (the plan's books at the end of a run). */
  branch?: string;
  /**
   * The integration head the branch started from (or last merged in). If the integration branch no
   * longer descends from it (moved back, or rewritten, during the run), a squash would bring back
   * what was taken off: the merge is refused instead.
   */
  base?: string;
  /**
   * The branch is one commit of taskwave's on `base` (the agent made none of its own, and no conflict
   * was merged in): it comes in with `cherry-pick --no-commit`, the same three-way merge as a squash
   * (the same base, ours and theirs), without the `git stash create` that `git merge` runs first in
   * a process of its own since git 2.38. Anything else is squashed.
   */
  oneCommitOnBase?: boolean;
  /** The message of the task's commit on the integration branch. */
  message: string;
  /** Writes the task's tick (and the plan's books) into `dir`, a checkout of the integration head. */
  tick(dir: string): Promise<Result<void, string>>;
  /**
   * The tick only edits files git already tracks (the plan's own, no new books): the commit takes
   * them with `commit -a` rather than scanning the checkout for new files first.
   */
  tickEditsTrackedFiles?: boolean;
}

export type MergeFailure =
  /** The task's changes conflict with what landed since it started. */
  | { kind: 'conflict'; files: string[]; head: string }
  /** The user's uncommitted changes would be overwritten: nothing was touched. */
  | { kind: 'local-changes'; message: string }
  | { kind: 'error'; message: string };

export interface Merged {
  /** The integration branch's new head. */
  commit: string;
}

/** A task whose commit this queue landed, and which is no longer on the integration branch. */
export interface LostMerge {
  taskId: string;
  commit: string;
}

/**
 * A task whose commit this queue landed, and which the user rebased during the run: the same change
 * is on the integration branch under another commit.
 */
export interface CopiedMerge {
  taskId: string;
  /** The commit this queue made. */
  was: string;
  /** The commit on the branch now. */
  commit: string;
}

/** Told when the user moves or rewrites the integration branch under the run. */
export interface BranchWatch {
  /** Landed tasks whose change is no longer on the branch: their work and their ticks went with it. */
  onLost?(lost: LostMerge[]): void;
  /** Landed tasks whose change is still there under a new commit (a rebase). */
  onCopied?(copied: CopiedMerge[]): void;
}

export interface MergeQueueOptions extends BranchWatch {
  /**
   * Files every merge writes (the plan, for its ticks), relative to the root. The user's uncommitted
   * changes to them stand in the way of every merge, not one task's: a merge waits for the user to
   * commit or stash them, rather than fail each task after its agent's work.
   */
  planFiles?: readonly string[];
  /** A merge waits for the user's changes to `files` (told once each time it starts waiting). */
  onWaiting?(files: string[]): void;
  /** How often a waiting merge tries again; default 2 s. */
  pollMs?: number;
}

interface Waiting {
  req: MergeRequest;
  done(r: Result<Merged, MergeFailure>): void;
}

/** How many waiting merges are committed together and delivered with one fast-forward. */
const MAX_BATCH = 32;

export class MergeQueue {
  private chain: Promise<unknown> = Promise.resolve();
  /** Merges asked for and not yet started: the next batch, taken as a whole when its turn comes. */
  private open: Waiting[] | undefined;
  /**
   * The integration head as our last merge left it, with the merge worktree clean at it: the next
   * merge starts there without asking git or checking out again. A stale value costs one retry (the
   * delivery notices the branch moved); anything else that touches the merge worktree forgets it.
   */
  private ready: string | undefined;
  /** The integration head as last seen or made by this queue: where new tasks start. */
  private lastHead: string | undefined;
  /**
   * Integration heads in the order this queue saw or made them, each descending from the ones before:
   * whether a task's base is behind the head is then known without asking git. A head that does not
   * descend from the last one (the branch moved back) starts the line again.
   */
  private readonly line = new Map<string, number>();
  /**
   * The tasks' commits this queue landed, by commit; taken out when found off the branch. Each is the
   * last head seen (`lastHead`) or behind it: a commit found off the branch is taken out, and a copy
   * of one (a rebase) takes its place, on the new head's line.
   */
  private readonly landed = new Map<string, string>();

  constructor(
    private readonly root: string,
    /** `main`: the integration branch. */
    readonly branch: string,
    /** Where the merges happen: a detached worktree of the run. */
    private readonly mergeDir: string,
    private readonly o: MergeQueueOptions = {},
  ) {
    this.unmarkScratch = markScratch(mergeDir);
    this.planFiles = new Set(o.planFiles ?? []);
  }

  private readonly planFiles: ReadonlySet<string>;
  /** Aborted by `stopWaiting`: merges no longer wait for the user. */
  private readonly waitsEnd = new AbortController();

  /** A merge waiting for the user's changes fails now, and later ones do not wait (the run is stopping). */
  stopWaiting(): void {
    this.waitsEnd.abort();
  }

  private readonly unmarkScratch: () => void;

  /** The integration branch's head now. */
  async head(): Promise<Result<string, string>> {
    const r = await refCommit(this.root, `refs/heads/${this.branch}`);
    if (!r.ok) return err(describeGitError(r.error));
    const before = this.lastHead;
    if (before !== undefined && r.value !== before) {
      const at = this.line.get(r.value);
      if (at !== undefined) {
        // Moved back to a head of ours: what came after it is off the branch.
        const off: string[] = [];
        for (const [commit, pos] of this.line) if (pos > at) off.push(commit);
        for (const commit of off) this.line.delete(commit);
        this.lose(off);
      } else if (!(await isAncestor(this.root, before, r.value))) {
        // Moved by someone else, and not on top of what we knew: the line starts again.
        this.line.clear();
        this.lose(await this.offBranch(r.value, before));
      }
    }
    this.extendLine(r.value);
    this.lastHead = r.value;
    return r;
  }

  /**
   * The commits this queue landed that `head` does not hold, neither as they are nor as a copy with the
   * same change (a rebase onto commits of the user's). A copy takes the commit's place in `landed`
   * and is told to `onCopied`. Every landed commit is `before` or behind it.
   */
  private async offBranch(head: string, before: string): Promise<string[]> {
    if (this.landed.size === 0) return [];
    // What only one side holds: `<` only the new head, `>` only the old one, and `=` on either side
    // for a commit the other side has a copy of. Ours are told from a copy by `landed`.
    const log = await git(this.root, [
      'log',
      '--left-right',
      '--cherry-mark',
      '--format=%m %H %s',
      `${head}...${before}`,
      '--',
    ]);
    if (!log.ok) return [];
    const marks = new Map<string, { mark: string; subject: string }>();
    const copies = new Map<string, string[]>();
    for (const line of log.value.split('\n')) {
      const m = /^(\S) (\S+) ?(.*)$/.exec(line);
      if (!m) continue;
      const [, mark = '', commit = '', subject = ''] = m;
      if (this.landed.has(commit)) marks.set(commit, { mark, subject });
      else if (mark === '=') copies.set(subject, [...(copies.get(subject) ?? []), commit]);
    }
    // A copy is known by its change and, among the copies, by its subject (`T012: title`): one that
    // cannot be told apart from another is no longer followed, and counts as kept.
    const off: string[] = [];
    const copied: CopiedMerge[] = [];
    for (const [commit, taskId] of [...this.landed]) {
      const seen = marks.get(commit);
      if (seen === undefined) continue; // still on the branch
      if (seen.mark !== '=') {
        off.push(commit);
        continue;
      }
      this.landed.delete(commit);
      const [copy, ...more] = copies.get(seen.subject) ?? [];
      if (copy === undefined || more.length > 0) continue;
      this.landed.set(copy, taskId);
      copied.push({ taskId, was: commit, commit: copy });
    }
    if (copied.length > 0) this.o.onCopied?.(copied);
    return off;
  }

  private lose(commits: readonly string[]): void {
    const lost: LostMerge[] = [];
    for (const commit of commits) {
      const taskId = this.landed.get(commit);
      if (taskId === undefined) continue;
      this.landed.delete(commit);
      lost.push({ taskId, commit });
    }
    if (lost.length > 0) this.o.onLost?.(lost);
  }

  /**
   * Look at the integration branch once more (at the end of a run): a move back since the last
   * merge is told to `onLost` like one found by a merge.
   */
  async recheck(): Promise<void> {
    await this.chain;
    if (this.lastHead !== undefined) await this.head();
  }

  private extendLine(commit: string): void {
    if (!this.line.has(commit)) this.line.set(commit, this.line.size);
  }

  /** A failure when the integration head `head` does not descend from the request's base. */
  private async baseGone(req: MergeRequest, head: string): Promise<MergeFailure | undefined> {
    if (!req.base || req.base === head) return undefined;
    const at = this.line.get(req.base);
    const headAt = this.line.get(head);
    const behind =
      at !== undefined && headAt !== undefined
        ? at <= headAt
        : (await isAncestor(this.root, req.base, head)) || (await this.copiedOnto(req.base, head));
    if (behind) return undefined;
    return {
      kind: 'error',
      message: `${this.branch} was moved back or rewritten during the run: ${req.taskId} started from ${req.base.slice(0, 12)}, which is no longer on it, and merging would bring back what was taken off`,
    };
  }

  /**
   * Whether every commit `base` holds and `head` does not has a copy on `head` (a rebase): merging a
   * task that started from `base` then brings nothing back. A merge commit never counts as copied.
   */
  private async copiedOnto(base: string, head: string): Promise<boolean> {
    const only = await git(this.root, ['rev-list', '--right-only', '--cherry-pick', `${head}...${base}`, '--']);
    return only.ok && only.value.trim() === '';
  }

  /**
   * Where a new task starts: the head this queue last saw or made, without asking git again (a
   * commit the user makes meanwhile is picked up by the next merge, which notices the branch moved).
   */
  async startingPoint(): Promise<Result<string, string>> {
    return this.lastHead !== undefined ? ok(this.lastHead) : this.head();
  }

  /**
   * Merge a task's branch. Merges asked for while another is under way wait together and land as one
   * batch: each still its own commit, but one fast-forward of the user's tree for all of them, so a
   * queue of finished tasks drains faster than they arrive.
   */
  enqueue(req: MergeRequest): Promise<Result<Merged, MergeFailure>> {
    return new Promise((done) => {
      if (!this.open || this.open.length >= MAX_BATCH) {
        const batch: Waiting[] = [];
        this.open = batch;
        this.chain = this.chain
          .then(() => {
            if (this.open === batch) this.open = undefined;
            return timed('merge (one batch at a time)', () => this.mergeBatch(batch));
          })
          .catch(() => undefined);
      }
      this.open.push({ req, done });
    });
  }

  /**
   * Run `fn` in a clean checkout of the integration head, between merges (a phase's gates see exactly
   * what landed, and nothing lands while they run).
   */
  atHead<T>(fn: (dir: string, head: string) => Promise<T>): Promise<Result<T, string>> {
    // Merges asked for from now on land after `fn`, not in a batch queued before it.
    this.open = undefined;
    const next = this.chain.then(async (): Promise<Result<T, string>> => {
      const head = await this.head();
      if (!head.ok) return head;
      const ready = await this.checkoutAt(head.value);
      if (!ready.ok) return ready;
      // The gates build and test in there: what they leave is cleaned before the next merge.
      this.ready = undefined;
      return ok(await fn(this.mergeDir, head.value));
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Waits for the queue to drain, then removes the merge worktree. */
  async close(): Promise<void> {
    await this.chain;
    this.unmarkScratch();
    if (existsSync(this.mergeDir)) await removeWorktree(this.root, this.mergeDir);
  }

  /**
   * Commit each waiting merge on top of the one before, then deliver them all at once. Anything out
   * of the ordinary (a conflict, a failed tick, a delivery git refuses) falls back to merging one at a
   * time from there on, where each failure is told to the task it belongs to.
   */
  private async mergeBatch(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0] as Waiting;
      only.done(await this.mergeWithRetry(only.req));
      return;
    }
    const start = await this.prepare();
    let alone = batch;
    if (start.ok) {
      const head = start.value;
      // What each merge made: its commit, or undefined when it changed nothing.
      const made: (string | undefined)[] = [];
      for (const w of batch) {
        if (await this.baseGone(w.req, head)) break;
        const c = await this.commitOne(w.req, 'HEAD');
        if (!c.ok) break;
        const at = c.value ? await refCommit(this.mergeDir, 'HEAD') : undefined;
        if (at && !at.ok) break;
        made.push(at?.value);
      }
      const delivered = made.length > 0 && (await this.deliverBatch(head, batch.slice(0, made.length), made));
      alone = delivered ? batch.slice(made.length) : batch;
    }
    // What did not land in the batch is merged one at a time from a fresh checkout; a batch that
    // landed whole left the merge worktree clean at its tip, where the next merge starts.
    if (alone.length > 0) this.ready = undefined;
    for (const w of alone) w.done(await this.mergeWithRetry(w.req));
  }

  /** Deliver the commits the batch made since `head`; each task learns its own commit. */
  private async deliverBatch(head: string, landed: Waiting[], made: (string | undefined)[]): Promise<boolean> {
    const tip = made.filter((c) => c !== undefined).at(-1);
    if (tip && !(await this.land(head, tip)).ok) return false;
    this.ready = tip ?? head;
    let at = head;
    landed.forEach((w, i) => {
      const commit = made[i];
      if (commit !== undefined && w.req.branch) this.landed.set(commit, w.req.taskId);
      at = commit ?? at;
      w.done(ok({ commit: at }));
    });
    return true;
  }

  /** Deliver the commits between `head` and `tip`; the merge worktree, clean at `tip`, is where the next merge starts. */
  private async land(head: string, tip: string): Promise<Result<Merged, MergeFailure>> {
    faultPoint('merge:committed');
    const delivered = await this.deliver(head, tip);
    if (delivered.ok) {
      faultPoint('merge:delivered');
      this.ready = tip;
      this.lastHead = tip;
      this.extendLine(tip);
    }
    return delivered;
  }

  private async mergeWithRetry(req: MergeRequest): Promise<Result<Merged, MergeFailure>> {
    // The user may commit to the branch while we merge: start again once from the new head.
    const first = await this.merge(req);
    if (first.ok) return first;
    this.ready = undefined;
    if (first.error.kind !== 'error' || !first.error.message.includes('moved')) return first;
    const second = await this.merge(req);
    if (!second.ok) this.ready = undefined;
    return second;
  }

  /** The head to merge onto, with the merge worktree clean at it. */
  private async prepare(): Promise<Result<string, string>> {
    const known = this.ready;
    this.ready = undefined;
    if (known !== undefined) return ok(known);
    const head = await this.head();
    if (!head.ok) return head;
    const prepared = await this.checkoutAt(head.value);
    return prepared.ok ? head : prepared;
  }

  private async merge(req: MergeRequest): Promise<Result<Merged, MergeFailure>> {
    const fail = (message: string): Result<Merged, MergeFailure> => err({ kind: 'error', message });
    const start = await this.prepare();
    if (!start.ok) return fail(start.error);
    const head = start.value;
    const gone = await this.baseGone(req, head);
    if (gone) return err(gone);
    const c = await this.commitOne(req, head);
    if (!c.ok) return c;
    if (!c.value) {
      this.ready = head;
      return ok({ commit: head });
    }
    const tip = await refCommit(this.mergeDir, 'HEAD');
    if (!tip.ok) return fail(describeGitError(tip.error));
    const landed = await this.land(head, tip.value);
    if (landed.ok && req.branch) this.landed.set(tip.value, req.taskId);
    return landed;
  }

  /**
   * Squash the task's branch onto the merge worktree's HEAD (or apply its one commit: see
   * `oneCommitOnBase`), tick it, commit. False when that made no change. On failure the worktree is
   * put back at `head` (a conflict names it as what the task must merge in).
   */
  private async commitOne(req: MergeRequest, head: string): Promise<Result<boolean, MergeFailure>> {
    const dir = this.mergeDir;
    const fail = (message: string): Result<never, MergeFailure> => err({ kind: 'error', message });
    const applied = req.branch
      ? await git(
          dir,
          req.oneCommitOnBase
            ? ['cherry-pick', '--no-commit', req.branch]
            : ['merge', '--squash', '--quiet', req.branch],
        )
      : ok('');
    if (!applied.ok) {
      const conflicted = await git(dir, ['diff', '--name-only', '--diff-filter=U']);
      const files = conflicted.ok ? conflicted.value.split('\n').filter(Boolean) : [];
      await git(dir, ['reset', '--hard', '--quiet', head]);
      if (files.length > 0) return err({ kind: 'conflict', files, head });
      return fail(describeGitError(applied.error));
    }
    faultPoint('merge:squashed');

    const ticked = await timed('tick (plan and books)', () => req.tick(dir));
    if (!ticked.ok) {
      await git(dir, ['reset', '--hard', '--quiet', head]);
      return fail(`could not tick ${req.taskId} in the plan: ${ticked.error}`);
    }
    // taskwave's own message (`T012: title`, the summary, what verified it), whatever commits the
    // agent made on its branch itself.
    const committed = await commitAll(dir, req.message, {
      identityOf: this.root,
      which: req.tickEditsTrackedFiles ? 'tracked' : 'all',
      ownCheckout: true,
    });
    if (!committed.ok) {
      await git(dir, ['reset', '--hard', '--quiet', head]);
      return fail(committed.error);
    }
    return committed;
  }

  /** The merge worktree, detached at `head` with nothing else in it. */
  private async checkoutAt(head: string): Promise<Result<void, string>> {
    const dir = this.mergeDir;
    if (!existsSync(dir)) {
      mkdirSync(dirname(dir), { recursive: true });
      const add = await worktreeGit(this.root, ['worktree', 'add', '--quiet', '--detach', dir, head]);
      return add.ok ? ok(undefined) : err(describeGitError(add.error));
    }
    const co = await git(dir, ['checkout', '--quiet', '--detach', '--force', head]);
    if (!co.ok) return err(describeGitError(co.error));
    const clean = await git(dir, ['clean', '-fdq']);
    return clean.ok ? ok(undefined) : err(describeGitError(clean.error));
  }

  /** Where the user's tree is, and on which branch (`refs/heads/…`, or `HEAD` when detached). */
  private async userHead(): Promise<[string?, string?]> {
    const known = readRef(this.root, 'HEAD');
    if (known) return [known.commit, known.branch ?? 'HEAD'];
    const current = await git(this.root, ['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD']);
    const [at, on] = current.ok ? current.value.split('\n') : [];
    return [at, on];
  }

  /** Move the integration branch (and the user's working tree, when it has it checked out) to `tip`. */
  private async deliver(head: string, tip: string): Promise<Result<Merged, MergeFailure>> {
    for (let waiting = false; ; waiting = true) {
      const [at, on] = await this.userHead();
      if (on !== `refs/heads/${this.branch}`) {
        // The user is on another branch now: move ours without touching their files.
        const upd = await git(this.root, ['update-ref', `refs/heads/${this.branch}`, tip, head]);
        if (!upd.ok) return err({ kind: 'error', message: `${this.branch} moved during the merge` });
        return ok({ commit: tip });
      }
      // A commit of the user's (of the changes we waited for, say): the merge starts again on top of it.
      if (at !== head) return err({ kind: 'error', message: `${this.branch} moved during the merge` });
      // Killed inside the fast-forward, git would leave the user's tree half way between the two
      // commits (and a stale index.lock): this note tells the next run what to finish (recover.ts).
      const note = join(dirname(this.mergeDir), DELIVERING);
      writeFileAtomic(note, JSON.stringify({ branch: this.branch, head, tip } satisfies DeliveryNote));
      faultPoint('merge:delivering');
      const ff = await git(this.root, ['merge', '--ff-only', '--quiet', tip]);
      rmSync(note, { force: true });
      if (ff.ok) return ok({ commit: tip });
      const said = `${ff.error.stderr}\n${ff.error.stdout}`;
      if (!/would be overwritten|untracked working tree files/i.test(said)) {
        return err({ kind: 'error', message: describeGitError(ff.error) });
      }
      const files = said
        .split('\n')
        .filter((l) => /^\s+\S/.test(l))
        .map((l) => l.trim())
        .filter((l) => !/^(please|aborting)/i.test(l));
      const inTheWayOfAll = files.length > 0 && files.every((f) => this.planFiles.has(f));
      if (inTheWayOfAll && !waiting && !this.waitsEnd.signal.aborted) this.o.onWaiting?.(files);
      if (!inTheWayOfAll || !(await sleep(this.o.pollMs ?? 2000, this.waitsEnd.signal))) {
        return err({
          kind: 'local-changes',
          message: `your uncommitted changes to ${files.join(', ') || 'the same files'} would be overwritten; commit or stash them and run again`,
        });
      }
    }
  }
}
