import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInvariants, crashAndResume, makeFaultRepo, runDetached, TASKS } from '../faults/harness.js';
import { killAgentsOf, type TempRepo } from '../support/repo.js';

/*
 * Crash recovery in the default suite: a run killed (SIGKILL) at a few representative points, and
 * at what a git command killed half way leaves behind. The long sweep over every point is
 * `npm run test:faults` (test/faults/sweep.test.ts).
 */

describe.concurrent('a run killed anywhere is finished by the next one, with nothing lost or merged twice', () => {
  it.each([
    'journal:after@20',
    'merge:committed@2',
    'merge:delivered@3',
    'worktree:created@2',
    'tick:written@1',
    'gate:start@4',
  ])('killed at %s', async (at) => {
    const t = await crashAndResume(at);
    expect(t.killed).toBe(true);
    expect(t.diedAt).toBe(at.split('@')[0]);
    expect(t.problems).toEqual([]);
  });
});

/** Kill a run at `at` and hand back the repository as the crash left it. */
async function crashAt(at: string): Promise<TempRepo> {
  const repo = makeFaultRepo();
  const r = await runDetached(['run', 'tasks.md'], repo.dir, { TASKWAVE_FAULT_AT: at });
  expect(r.signal).toBe('SIGKILL');
  killAgentsOf(repo);
  return repo;
}

/** Resume; it must finish in one run, and leave everything as a run that never crashed would. */
async function resumeAndCheck(repo: TempRepo): Promise<string> {
  const r = await runDetached(['run', 'tasks.md'], repo.dir, {});
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(checkInvariants(repo)).toEqual([]);
  rmSync(repo.dir, { recursive: true, force: true });
  return r.stderr;
}

const runIdOf = (repo: TempRepo): string => JSON.parse(repo.read('.taskwave/execution.json')).runId;

/** What the merge queue was fast-forwarding the user's branch to when the run died. */
function deliveryNote(repo: TempRepo): { head: string; tip: string } {
  return JSON.parse(repo.read(`.taskwave/worktrees/${runIdOf(repo)}/_delivering.json`));
}

describe.concurrent('what a git command killed half way leaves', () => {
  it('a fast-forward of the working tree killed after some files: the next run finishes it', async () => {
    const repo = await crashAt('merge:delivering@2');
    const { head, tip } = deliveryNote(repo);
    const changed = repo.git('diff', '--name-only', head, tip).trim().split('\n');
    expect(changed).toContain('tasks.md');
    // git had written the task's file (not yet the plan) and held the index when the kill came.
    const file = changed.find((f) => f !== 'tasks.md') as string;
    writeFileSync(join(repo.dir, file), repo.git('show', `${tip}:${file}`));
    writeFileSync(join(repo.dir, '.git', 'index.lock'), '');
    const said = await resumeAndCheck(repo);
    expect(said).toMatch(/removed git's lock files left by the killed run: .*index\.lock/);
    expect(said).toMatch(/finished moving main to/);
  });

  it('a fast-forward killed in the middle of writing a file (empty, or a start of it): the next run finishes it', async () => {
    for (const cut of [0, 4]) {
      const repo = await crashAt('merge:delivering@2');
      const { head, tip } = deliveryNote(repo);
      const file = repo
        .git('diff', '--name-only', head, tip)
        .trim()
        .split('\n')
        .find((f) => f !== 'tasks.md') as string;
      writeFileSync(join(repo.dir, file), repo.git('show', `${tip}:${file}`).slice(0, cut));
      expect(await resumeAndCheck(repo)).toMatch(/finished moving main to/);
    }
  });

  it('a fast-forward killed after every file and the index, before the branch moved: the next run finishes it', async () => {
    const repo = await crashAt('merge:delivering@3');
    const { head, tip } = deliveryNote(repo);
    for (const f of repo.git('diff', '--name-only', head, tip).trim().split('\n')) {
      writeFileSync(join(repo.dir, f), repo.git('show', `${tip}:${f}`));
    }
    repo.git('read-tree', tip);
    // The plan on disk is ticked but not committed: without the repair the run would refuse to start.
    expect(repo.git('status', '--porcelain')).toContain('tasks.md');
    expect(await resumeAndCheck(repo)).toMatch(/finished moving main to/);
  });

  it('a fast-forward killed before it wrote anything: the task simply runs again', async () => {
    const repo = await crashAt('merge:delivering@1');
    deliveryNote(repo);
    await resumeAndCheck(repo);
  });

  it('a worktree add killed half way (its record locked, its folder half made) and stale ref locks', async () => {
    const repo = await crashAt('worktree:created@3');
    const runId = runIdOf(repo);
    const dir = join(repo.dir, '.taskwave', 'worktrees', runId, 'T009');
    repo.git('worktree', 'add', '--quiet', '--lock', '-b', `taskwave/${runId}/T009`, dir, 'HEAD');
    rmSync(join(dir, '.git'));
    const missing = join(repo.dir, '.taskwave', 'worktrees', runId, 'T010');
    repo.git('worktree', 'add', '--quiet', '--lock', '-b', `taskwave/${runId}/T010`, missing, 'HEAD');
    rmSync(missing, { recursive: true, force: true });
    writeFileSync(join(repo.dir, '.git', 'refs', 'heads', 'main.lock'), '');
    // A branch deletion killed half way: the branch's own lock.
    mkdirSync(join(repo.dir, '.git', 'refs', 'heads', 'taskwave', runId), { recursive: true });
    writeFileSync(join(repo.dir, '.git', 'refs', 'heads', 'taskwave', runId, 'T009.lock'), '');
    const said = await resumeAndCheck(repo);
    expect(said).toMatch(/main\.lock/);
  });

  it('a worktree add killed while writing its record (commondir empty, or no gitdir yet)', async () => {
    const repo = await crashAt('worktree:created@3');
    const runId = runIdOf(repo);
    const records = join(repo.dir, '.git', 'worktrees');
    const tear = { T009: 'commondir', T010: 'gitdir' } as const;
    for (const name of ['T009', 'T010'] as const) {
      const dir = join(repo.dir, '.taskwave', 'worktrees', runId, name);
      repo.git('worktree', 'add', '--quiet', '--lock', '-b', `taskwave/${runId}/${name}`, dir, 'HEAD');
    }
    for (const [name, file] of Object.entries(tear)) {
      // As git leaves it when killed between creating a file of the record and writing it.
      writeFileSync(join(records, name, 'locked'), 'initializing');
      if (file === 'commondir') writeFileSync(join(records, name, file), '');
      else rmSync(join(records, name, file));
    }
    // Every worktree command stops on such a record; the next run must not leave it there.
    expect(() => repo.git('worktree', 'list')).toThrow(/commondir/);
    await resumeAndCheck(repo);
  });

  it('leaves git lock files alone while the run that left them is alive', async () => {
    const repo = makeFaultRepo();
    repo.script(Object.fromEntries(TASKS.map((id) => [id, { sleepMs: 2000 }])));
    const run = runDetached(['run', 'tasks.md', '--only', 'T001'], repo.dir, {});
    // A second run while the first holds the repository: refused, and touches nothing.
    const until = Date.now() + 10_000;
    while (!existsSync(join(repo.dir, '.taskwave', 'lock')) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
    }
    writeFileSync(join(repo.dir, '.git', 'HEAD.lock'), 'someone else');
    const second = await runDetached(['run', 'tasks.md'], repo.dir, {});
    expect(second.code).toBe(2);
    expect(readFileSync(join(repo.dir, '.git', 'HEAD.lock'), 'utf8')).toBe('someone else');
    rmSync(join(repo.dir, '.git', 'HEAD.lock'));
    await run;
    expect(readdirSync(join(repo.dir, '.git')).filter((f) => f.endsWith('.lock'))).toEqual([]);
    rmSync(repo.dir, { recursive: true, force: true });
  });
});
