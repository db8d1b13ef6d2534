import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { faultPoint } from '../util/fault.js';
import { describeGitError, git, identityArgs, revParse } from './git.js';
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
  /** The message of the task's commit on the integration branch. */
  message: string;
  /** Writes the task's tick (and the plan's books) into `dir`, a checkout of the integration head. */
  tick(dir: string): Promise<Result<void, string>>;
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

export class MergeQueue {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly root: string,
    /** `main`: the integration branch. */
    readonly branch: string,
    /** Where the merges happen: a detached worktree of the run. */
    private readonly mergeDir: string,
  ) {}

  /** The integration branch's head now. */
  async head(): Promise<Result<string, string>> {
    const r = await revParse(this.root, `refs/heads/${this.branch}`);
    return r.ok ? r : err(describeGitError(r.error));
  }

  enqueue(req: MergeRequest): Promise<Result<Merged, MergeFailure>> {
    const next = this.chain.then(() => this.mergeWithRetry(req));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Run `fn` in a clean checkout of the integration head, between merges (a phase's gates see exactly
   * what landed, and nothing lands while they run).
   */
  atHead<T>(fn: (dir: string, head: string) => Promise<T>): Promise<Result<T, string>> {
    const next = this.chain.then(async (): Promise<Result<T, string>> => {
      const head = await this.head();
      if (!head.ok) return head;
      const ready = await this.checkoutAt(head.value);
      if (!ready.ok) return ready;
      return ok(await fn(this.mergeDir, head.value));
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Waits for the queue to drain, then removes the merge worktree. */
  async close(): Promise<void> {
    await this.chain;
    if (existsSync(this.mergeDir)) await removeWorktree(this.root, this.mergeDir);
  }

  private async mergeWithRetry(req: MergeRequest): Promise<Result<Merged, MergeFailure>> {
    // The user may commit to the branch while we merge: start again once from the new head.
    const first = await this.merge(req);
    if (first.ok || first.error.kind !== 'error' || !first.error.message.includes('moved')) return first;
    return this.merge(req);
  }

  private async merge(req: MergeRequest): Promise<Result<Merged, MergeFailure>> {
    const fail = (message: string): Result<Merged, MergeFailure> => err({ kind: 'error', message });
    const headR = await this.head();
    if (!headR.ok) return fail(headR.error);
    const head = headR.value;
    const dir = this.mergeDir;

    const prepared = await this.checkoutAt(head);
    if (!prepared.ok) return fail(prepared.error);

    const squash = req.branch ? await git(dir, ['merge', '--squash', '--quiet', req.branch]) : ok('');
    if (!squash.ok) {
      const conflicted = await git(dir, ['diff', '--name-only', '--diff-filter=U']);
      const files = conflicted.ok ? conflicted.value.split('\n').filter(Boolean) : [];
      await git(dir, ['reset', '--hard', '--quiet', head]);
      if (files.length > 0) return err({ kind: 'conflict', files, head });
      return fail(describeGitError(squash.error));
    }
    faultPoint('merge:squashed');

    const ticked = await req.tick(dir);
    if (!ticked.ok) {
      await git(dir, ['reset', '--hard', '--quiet', head]);
      return fail(`could not tick ${req.taskId} in the plan: ${ticked.error}`);
    }
    const add = await git(dir, ['add', '-A']);
    if (!add.ok) return fail(describeGitError(add.error));
    const staged = await git(dir, ['diff', '--cached', '--quiet']);
    if (!staged.ok) {
      // taskwave's own message (`T012: title`, the summary, what verified it), whatever commits the
      // agent made on its branch itself.
      const who = await identityArgs(dir);
      const c = await git(dir, [...who, 'commit', '--quiet', '--no-verify', '-F', '-'], { input: req.message });
      if (!c.ok) return fail(describeGitError(c.error));
    }
    const tipR = await revParse(dir, 'HEAD');
    if (!tipR.ok) return fail(describeGitError(tipR.error));
    const tip = tipR.value;
    faultPoint('merge:committed');
    if (tip === head) return ok({ commit: head });
    const delivered = await this.deliver(head, tip);
    if (delivered.ok) faultPoint('merge:delivered');
    return delivered;
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

  /** Move the integration branch (and the user's working tree, when it has it checked out) to `tip`. */
  private async deliver(head: string, tip: string): Promise<Result<Merged, MergeFailure>> {
    const current = await git(this.root, ['symbolic-ref', '--quiet', 'HEAD']);
    if (current.ok && current.value.trim() === `refs/heads/${this.branch}`) {
      const at = await revParse(this.root, 'HEAD');
      if (!at.ok || at.value !== head) return err({ kind: 'error', message: `${this.branch} moved during the merge` });
      // Killed inside the fast-forward, git would leave the user's tree half way between the two
      // commits (and a stale index.lock): this note tells the next run what to finish (recover.ts).
      const note = join(dirname(this.mergeDir), DELIVERING);
      writeFileAtomic(note, JSON.stringify({ branch: this.branch, head, tip } satisfies DeliveryNote));
      faultPoint('merge:delivering');
      const ff = await git(this.root, ['merge', '--ff-only', '--quiet', tip]);
      rmSync(note, { force: true });
      if (ff.ok) return ok({ commit: tip });
      const said = `${ff.error.stderr}\n${ff.error.stdout}`;
      if (/would be overwritten|untracked working tree files/i.test(said)) {
        const files = said
          .split('\n')
          .filter((l) => /^\s+\S/.test(l))
          .map((l) => l.trim())
          .filter((l) => !/^(please|aborting)/i.test(l));
        return err({
          kind: 'local-changes',
          message: `your uncommitted changes to ${files.join(', ') || 'the same files'} would be overwritten; commit or stash them and run again`,
        });
      }
      return err({ kind: 'error', message: describeGitError(ff.error) });
    }
    // The user is on another branch now: move ours without touching their files.
    const upd = await git(this.root, ['update-ref', `refs/heads/${this.branch}`, tip, head]);
    if (!upd.ok) return err({ kind: 'error', message: `${this.branch} moved during the merge` });
    return ok({ commit: tip });
  }
}
