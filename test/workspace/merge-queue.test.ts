import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ok } from '../../src/result.js';
import { type CopiedMerge, type LostMerge, MergeQueue, type MergeRequest } from '../../src/workspace/merge-queue.js';
import { type GitRepo, gitRepo } from '../gates/helpers.js';
import { waitFor } from '../support/processes.js';

const repos: GitRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/** A branch `name` from commit `from` with one commit that adds `file`; main is checked out again. */
function taskBranch(repo: GitRepo, name: string, from: string, file: string, message = `work of ${name}`): void {
  repo.git('checkout', '-q', '-b', name, from);
  repo.write(file, `${name}\n`);
  repo.git('add', file);
  repo.git('commit', '-qm', message);
  repo.git('checkout', '-q', 'main');
}

/** A repository on main with a plan, and one branch per task that adds `files` on top of the start. */
function setup(branches: Record<string, Record<string, string>>) {
  const repo = gitRepo({ 'plan.md': '# Plan\n', 'shared.txt': 'one\ntwo\nthree\n' });
  repos.push(repo);
  const start = repo.git('rev-parse', 'HEAD').trim();
  for (const [name, files] of Object.entries(branches)) {
    repo.git('checkout', '-q', '-b', name, start);
    for (const [p, t] of Object.entries(files)) repo.write(p, t);
    repo.git('add', '-A');
    repo.git('commit', '-qm', `work of ${name}`);
  }
  repo.git('checkout', '-q', 'main');
  const lost: LostMerge[] = [];
  const copied: CopiedMerge[] = [];
  const waits: string[][] = [];
  const queue = new MergeQueue(repo.dir, 'main', join(repo.dir, '.merge'), {
    onLost: (l) => lost.push(...l),
    onCopied: (c) => copied.push(...c),
    planFiles: ['plan.md'],
    onWaiting: (files) => waits.push(files),
    pollMs: 20,
  });
  const request = (taskId: string): MergeRequest => ({
    taskId,
    branch: taskId,
    message: `${taskId}: done\n`,
    tick: async (dir) => {
      appendFileSync(join(dir, 'plan.md'), `- [x] ${taskId}\n`);
      return ok(undefined);
    },
  });
  /** How many times main moved (each fast-forward of the user's tree is one reflog entry). */
  const moves = () => repo.git('reflog', 'show', '--format=%H', 'main').trim().split('\n').length;
  return { repo, queue, request, moves, lost, copied, waits };
}

describe('merge queue', () => {
  it('commits a tick that only edits tracked files with --all: the tick is in the commit', async () => {
    const { repo, queue, request } = setup({ T1: { 'a.txt': 'a\n' } });
    const r = await queue.enqueue({ ...request('T1'), tickEditsTrackedFiles: true });
    await queue.close();
    expect(r.ok).toBe(true);
    expect(repo.git('show', '--format=', '--name-only', 'HEAD').trim().split('\n').sort()).toEqual([
      'a.txt',
      'plan.md',
    ]);
    expect(repo.git('show', 'HEAD:plan.md')).toBe('# Plan\n- [x] T1\n');
    expect(repo.git('status', '--porcelain').trim()).toBe('');
  });

  it('lands merges that wait together as one batch: a commit each with its tick, one fast-forward', async () => {
    const { repo, queue, request, moves } = setup({
      T1: { 'a.txt': 'a\n' },
      T2: { 'b.txt': 'b\n' },
      T3: { 'c.txt': 'c\n' },
    });
    const before = moves();
    const first = await queue.enqueue(request('T1'));
    expect(first.ok).toBe(true);
    expect(moves()).toBe(before + 1);
    const [r2, r3] = await Promise.all([queue.enqueue(request('T2')), queue.enqueue(request('T3'))]);
    await queue.close();
    expect(moves()).toBe(before + 2);
    const log = repo.git('log', '--format=%H %s', 'main').trim().split('\n');
    expect(log.slice(0, 3).map((l) => l.slice(41))).toEqual(['T3: done', 'T2: done', 'T1: done']);
    expect([r3, r2, first]).toEqual(log.slice(0, 3).map((l) => ({ ok: true, value: { commit: l.slice(0, 40) } })));
    // Each commit carries its own tick, and the user's tree is at the last.
    expect(repo.git('show', 'HEAD~1:plan.md')).toBe('# Plan\n- [x] T1\n- [x] T2\n');
    expect(readFileSync(join(repo.dir, 'plan.md'), 'utf8')).toBe('# Plan\n- [x] T1\n- [x] T2\n- [x] T3\n');
    expect(readFileSync(join(repo.dir, 'c.txt'), 'utf8')).toBe('c\n');
  });

  it('tells a conflict in the middle of a batch to its own task, and lands the others', async () => {
    const { repo, queue, request } = setup({
      T1: { 'shared.txt': 'one\nTWO by T1\nthree\n' },
      T2: { 'shared.txt': 'one\nTWO by T2\nthree\n' },
      T3: { 'c.txt': 'c\n' },
    });
    const results = await Promise.all(['T1', 'T2', 'T3'].map((id) => queue.enqueue(request(id))));
    await queue.close();
    const t1 = repo.git('rev-parse', 'main~1').trim();
    expect(results[0]).toEqual({ ok: true, value: { commit: t1 } });
    expect(results[1]).toEqual({ ok: false, error: { kind: 'conflict', files: ['shared.txt'], head: t1 } });
    expect(results[2]).toEqual({ ok: true, value: { commit: repo.git('rev-parse', 'main').trim() } });
    expect(repo.git('show', 'main:plan.md')).toBe('# Plan\n- [x] T1\n- [x] T3\n');
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it.each([
    ['squashed', false],
    ['applied as one commit on its base', true],
  ])(
    'merges a branch %s: a file another task changed meanwhile merges line by line, a conflict is named',
    async (_, oneCommitOnBase) => {
      const { repo, queue, request } = setup({
        T1: { 'shared.txt': 'ONE\ntwo\nthree\n' },
        T2: { 'shared.txt': 'one\ntwo\nTHREE\n' },
        T3: { 'shared.txt': 'uno\ntwo\nthree\n', 'c.txt': 'c\n' },
      });
      const base = repo.git('rev-parse', 'main').trim();
      const merge = (id: string) => queue.enqueue({ ...request(id), base, oneCommitOnBase });
      const r1 = await merge('T1');
      const r2 = await merge('T2');
      const r3 = await merge('T3');
      await queue.close();
      const head = repo.git('rev-parse', 'main').trim();
      expect(r1.ok).toBe(true);
      expect(r2).toEqual({ ok: true, value: { commit: head } });
      expect(r3).toEqual({ ok: false, error: { kind: 'conflict', files: ['shared.txt'], head } });
      expect(repo.git('show', 'main:shared.txt')).toBe('ONE\ntwo\nTHREE\n');
      expect(repo.git('show', '--format=', '--name-only', 'main').trim().split('\n').sort()).toEqual([
        'plan.md',
        'shared.txt',
      ]);
      expect(repo.git('show', 'main:plan.md')).toBe('# Plan\n- [x] T1\n- [x] T2\n');
      expect(repo.git('status', '--porcelain')).toBe('');
    },
  );

  it('falls back to one at a time when the batch cannot be delivered, and names the task the user is in the way of', async () => {
    const { repo, queue, request } = setup({ T1: { 'a.txt': 'a\n' }, T2: { 'b.txt': 'b\n' } });
    repo.write('b.txt', 'the user was here\n');
    const [r1, r2] = await Promise.all([queue.enqueue(request('T1')), queue.enqueue(request('T2'))]);
    await queue.close();
    expect(r1).toEqual({ ok: true, value: { commit: repo.git('rev-parse', 'main').trim() } });
    expect(r2.ok === false && r2.error.kind).toBe('local-changes');
    expect(readFileSync(join(repo.dir, 'b.txt'), 'utf8')).toBe('the user was here\n');
    expect(repo.git('log', '--format=%s', '-1', 'main').trim()).toBe('T1: done');
  });

  it('refuses to merge a task whose base the user took off the branch, and merges those still on it', async () => {
    const { repo, queue, request, lost } = setup({ T1: { 'a.txt': 'a\n' } });
    const start = repo.git('rev-parse', 'HEAD').trim();
    const first = await queue.enqueue({ ...request('T1'), base: start });
    expect(first.ok).toBe(true);
    const t1 = repo.git('rev-parse', 'main').trim();
    // T2 starts from the head T1 made; T3 from the start.
    taskBranch(repo, 'T2', t1, 'b.txt');
    taskBranch(repo, 'T3', start, 'c.txt');
    // The user takes T1 off main while the run goes on.
    repo.git('reset', '-q', '--hard', start);
    const t2 = await queue.enqueue({ ...request('T2'), base: t1 });
    expect(t2.ok === false && t2.error).toMatchObject({ kind: 'error', message: expect.stringMatching(/moved back/) });
    // Nothing came back: main has neither T1's file nor T2's.
    expect(repo.git('ls-tree', '--name-only', 'main').trim().split('\n')).toEqual(['plan.md', 'shared.txt']);
    const t3 = await queue.enqueue({ ...request('T3'), base: start });
    expect(t3.ok).toBe(true);
    expect(repo.git('ls-tree', '--name-only', 'main').trim().split('\n')).toEqual(['c.txt', 'plan.md', 'shared.txt']);
    // T1's head is still off the branch after T3 landed on the new one.
    const again = await queue.enqueue({ ...request('T2'), base: t1 });
    await queue.close();
    expect(again.ok === false && again.error).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/moved back/),
    });
    expect(repo.git('ls-tree', '--name-only', 'main').trim().split('\n')).toEqual(['c.txt', 'plan.md', 'shared.txt']);
    // T1 landed and was taken off: told once.
    expect(lost).toEqual([{ taskId: 'T1', commit: t1 }]);
  });

  it('merges on top of a commit the user added meanwhile', async () => {
    const { repo, queue, request } = setup({ T1: { 'a.txt': 'a\n' } });
    const start = repo.git('rev-parse', 'HEAD').trim();
    await queue.startingPoint();
    repo.write('user.txt', 'mine\n');
    repo.git('add', 'user.txt');
    repo.git('commit', '-qm', 'the user commits');
    const r = await queue.enqueue({ ...request('T1'), base: start });
    await queue.close();
    expect(r.ok).toBe(true);
    expect(repo.git('log', '--format=%s', 'main').trim().split('\n')).toEqual([
      'T1: done',
      'the user commits',
      'initial',
    ]);
  });

  it('tells which landed tasks the user took off the branch by moving it back to an earlier head', async () => {
    const { repo, queue, request, lost } = setup({ T1: { 'a.txt': 'a\n' }, T2: { 'b.txt': 'b\n' } });
    const c1 = await queue.enqueue(request('T1'));
    const c2 = await queue.enqueue(request('T2'));
    if (!c1.ok || !c2.ok) throw new Error('not merged');
    await queue.recheck();
    expect(lost).toEqual([]);
    repo.git('reset', '-q', '--hard', c1.value.commit);
    await queue.recheck();
    expect(lost).toEqual([{ taskId: 'T2', commit: c2.value.commit }]);
    // Told once.
    await queue.recheck();
    await queue.close();
    expect(lost).toHaveLength(1);
  });

  it('tells which landed tasks a rewritten branch no longer holds, and not those it still does', async () => {
    const { repo, queue, request, lost } = setup({ T1: { 'a.txt': 'a\n' }, T2: { 'b.txt': 'b\n' } });
    const c1 = await queue.enqueue(request('T1'));
    const c2 = await queue.enqueue(request('T2'));
    if (!c1.ok || !c2.ok) throw new Error('not merged');
    // The user drops T2's commit and commits on T1's: a head the queue never saw.
    repo.git('reset', '-q', '--hard', c1.value.commit);
    repo.write('user.txt', 'mine\n');
    repo.git('add', 'user.txt');
    repo.git('commit', '-qm', 'the user commits');
    await queue.recheck();
    await queue.close();
    expect(lost).toEqual([{ taskId: 'T2', commit: c2.value.commit }]);
  });

  /**
   * T1 and T2 land; T3 starts from T2's commit; then the user rebases main onto a commit of theirs
   * (`upstream`, on a branch from the start).
   */
  async function landTwoThenRebase() {
    const s = setup({ T1: { 'a.txt': 'a\n' }, T2: { 'b.txt': 'b\n' } });
    const { repo, queue, request } = s;
    const start = repo.git('rev-parse', 'HEAD').trim();
    const c1 = await queue.enqueue(request('T1'));
    const c2 = await queue.enqueue(request('T2'));
    if (!c1.ok || !c2.ok) throw new Error('not merged');
    taskBranch(repo, 'T3', c2.value.commit, 'c.txt');
    taskBranch(repo, 'up', start, 'upstream.txt', 'upstream');
    repo.git('rebase', '-q', 'up');
    return { ...s, c1: c1.value.commit, c2: c2.value.commit };
  }

  it('follows landed tasks through a rebase of the branch, and merges a task that started before it', async () => {
    const { repo, queue, request, lost, copied, c1, c2 } = await landTwoThenRebase();
    const [t2, t1] = repo.git('log', '--format=%H', '-2', 'main').trim().split('\n');
    await queue.recheck();
    expect(lost).toEqual([]);
    expect(copied).toEqual([
      { taskId: 'T1', was: c1, commit: t1 },
      { taskId: 'T2', was: c2, commit: t2 },
    ]);
    // Its base is gone from the branch, but every change in it is there: nothing comes back.
    const c3 = await queue.enqueue({ ...request('T3'), base: c2 });
    expect(c3).toEqual({ ok: true, value: { commit: repo.git('rev-parse', 'main').trim() } });
    expect(repo.git('log', '--format=%s', 'main').trim().split('\n')).toEqual([
      'T3: done',
      'T2: done',
      'T1: done',
      'upstream',
      'initial',
    ]);
    expect(repo.git('show', 'main:plan.md')).toBe('# Plan\n- [x] T1\n- [x] T2\n- [x] T3\n');
    // The copies are what is followed from then on: taking T2's off is told with T2's new commit.
    repo.git('reset', '-q', '--hard', t1 as string);
    await queue.recheck();
    await queue.close();
    expect(lost).toEqual([
      { taskId: 'T2', commit: t2 },
      { taskId: 'T3', commit: c3.ok ? c3.value.commit : '' },
    ]);
  });

  it('counts a task as taken off when the rebase changed what it did, and refuses what started from it', async () => {
    const { repo, queue, request, lost, copied, c1, c2 } = await landTwoThenRebase();
    // The user edits T2's copy as they rebase: it is not the change T2 made.
    repo.write('b.txt', 'b, edited\n');
    repo.git('commit', '-q', '--amend', '--no-edit', '-a');
    const t1 = repo.git('rev-parse', 'main~1').trim();
    const t3 = await queue.enqueue({ ...request('T3'), base: c2 });
    await queue.close();
    expect(t3.ok === false && t3.error).toMatchObject({ kind: 'error', message: expect.stringMatching(/rewritten/) });
    expect(copied).toEqual([{ taskId: 'T1', was: c1, commit: t1 }]);
    expect(lost).toEqual([{ taskId: 'T2', commit: c2 }]);
    expect(repo.git('ls-tree', '--name-only', 'main').trim().split('\n')).toEqual([
      'a.txt',
      'b.txt',
      'plan.md',
      'shared.txt',
      'upstream.txt',
    ]);
  });

  it("waits out the user's uncommitted changes to the plan, told once, and merges on top of their commit", async () => {
    const { repo, queue, request, waits } = setup({ T1: { 'a.txt': 'a\n' }, T2: { 'b.txt': 'b\n' } });
    await queue.startingPoint();
    appendFileSync(join(repo.dir, 'plan.md'), 'A note of the user.\n');
    let settled = false;
    const r1 = queue.enqueue(request('T1')).finally(() => {
      settled = true;
    });
    await waitFor('the merge to wait for the user', () => waits.length > 0);
    // Several polls go by: still waiting, told once.
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    expect(waits).toEqual([['plan.md']]);
    // Nothing was touched meanwhile.
    expect(repo.git('log', '--format=%s', 'main').trim().split('\n')).toEqual(['initial']);
    expect(readFileSync(join(repo.dir, 'plan.md'), 'utf8')).toBe('# Plan\nA note of the user.\n');
    repo.git('commit', '-qam', 'the user notes');
    expect(await r1).toEqual({ ok: true, value: { commit: repo.git('rev-parse', 'main').trim() } });
    expect(await queue.enqueue(request('T2'))).toMatchObject({ ok: true });
    await queue.close();
    expect(repo.git('log', '--format=%s', 'main').trim().split('\n')).toEqual([
      'T2: done',
      'T1: done',
      'the user notes',
      'initial',
    ]);
    expect(readFileSync(join(repo.dir, 'plan.md'), 'utf8')).toBe('# Plan\nA note of the user.\n- [x] T1\n- [x] T2\n');
    expect(waits).toHaveLength(1);
  });

  it('gives up waiting when the run stops: the task fails as before, with nothing touched', async () => {
    const { repo, queue, request, waits } = setup({ T1: { 'a.txt': 'a\n' } });
    await queue.startingPoint();
    appendFileSync(join(repo.dir, 'plan.md'), 'A note of the user.\n');
    const r1 = queue.enqueue(request('T1'));
    await waitFor('the merge to wait for the user', () => waits.length > 0);
    queue.stopWaiting();
    const r = await r1;
    await queue.close();
    expect(waits).toEqual([['plan.md']]);
    expect(r.ok === false && r.error).toEqual({
      kind: 'local-changes',
      message: 'your uncommitted changes to plan.md would be overwritten; commit or stash them and run again',
    });
    expect(repo.git('log', '--format=%s', 'main').trim().split('\n')).toEqual(['initial']);
    expect(readFileSync(join(repo.dir, 'plan.md'), 'utf8')).toBe('# Plan\nA note of the user.\n');
  });
});
