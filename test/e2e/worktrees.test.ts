import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/processes.js';
import { type AgentLogEntry, killAgentsOf, makeRepo, runCli, startCli } from '../support/repo.js';

/*
 * Worktrees and the merge queue: each task in its own worktree and branch, merged back one at a
 * time as one commit with its tick; conflicts get one resolution attempt; failed work is kept on its
 * branch; the user's uncommitted changes are never touched.
 */

const PLAN = `# Tasks

## Phase 1

- [ ] T001 [P] Write \`a.txt\`
- [ ] T002 [P] Write \`b.txt\`

## Phase 2

- [ ] T003 Write \`c.txt\`
`;

const execution = (dir: string) => JSON.parse(readFileSync(join(dir, '.taskwave', 'execution.json'), 'utf8'));
const starts = (log: AgentLogEntry[]) => log.filter((e) => e.event === 'start');
const leftovers = (repo: { git(...a: string[]): string }) => ({
  branches: repo.git('branch', '--list', 'taskwave/*').trim(),
  worktrees: repo.git('worktree', 'list').trim().split('\n').length,
});

describe('worktrees', () => {
  it('runs tasks in parallel worktrees, merges each as one commit with its tick, and leaves nothing behind', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN, 'notes.txt': 'mine\n' });
    repo.script({
      T001: { sleepMs: 300, write: { 'a.txt': 'A\n' } },
      T002: { sleepMs: 300, write: { 'b.txt': 'B\n' } },
      T003: { write: { 'c.txt': 'C\n' } },
    });
    // An uncommitted change of the user's own, in a file no task touches.
    repo.write('notes.txt', 'mine, edited\n');
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 file(s) have uncommitted changes (notes.txt)');

    const log = starts(repo.agentLog());
    const cwd = new Map(log.map((e) => [e.id, e.cwd]));
    expect(new Set(cwd.values()).size).toBe(3);
    for (const [id, dir] of cwd) expect(dir).toMatch(new RegExp(`/\\.taskwave/worktrees/[^/]+/${id}$`));

    expect(repo.read('a.txt')).toBe('A\n');
    expect(repo.read('b.txt')).toBe('B\n');
    expect(repo.read('c.txt')).toBe('C\n');
    expect(repo.read('notes.txt')).toBe('mine, edited\n');
    expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));
    expect(repo.git('status', '--porcelain').trim()).toBe('M notes.txt');
    // One commit per task, each with its own file and its tick.
    const subjects = repo.git('log', '--format=%s', 'HEAD~3..HEAD').trim().split('\n');
    expect(subjects[0]).toBe('T003: Write `c.txt`');
    expect(subjects.slice(1).sort()).toEqual(['T001: Write `a.txt`', 'T002: Write `b.txt`']);
    expect(repo.git('show', '--format=', '--name-only', 'HEAD').trim().split('\n').sort()).toEqual([
      'c.txt',
      'tasks.md',
    ]);
    expect(repo.git('show', 'HEAD:tasks.md')).toContain('- [x] T003');
    expect(leftovers(repo)).toEqual({ branches: '', worktrees: 1 });
    // Not even the run's empty folder of worktrees.
    expect(existsSync(join(repo.dir, '.taskwave', 'worktrees'))).toBe(false);
    const exec = execution(repo.dir);
    expect(exec.tasks.T003.commit).toBe(repo.git('rev-parse', 'HEAD').trim());
  });

  it('deletes the branch of a failed attempt once a later run lands its task, and keeps those of tasks not done', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({
      T001: { write: { 'a.txt': 'half done\n' }, exit: 1 },
      T002: { write: { 'b.txt': 'half\n' }, exit: 1 },
    });
    expect((await runCli(['run', 'tasks.md', '--only', 'T001,T002'], repo.dir)).code).toBe(1);
    const first = execution(repo.dir).runId;
    expect(
      leftovers(repo)
        .branches.split('\n')
        .map((b) => b.trim()),
    ).toEqual([`taskwave/${first}/T001`, `taskwave/${first}/T002`]);
    repo.script({ T001: { write: { 'a.txt': 'done\n' } } });
    expect((await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir)).code).toBe(0);
    // T001's old attempt is superseded by what landed; T002's work is still the only copy of it.
    expect(leftovers(repo)).toEqual({ branches: `taskwave/${first}/T002`, worktrees: 1 });
  });

  it('gives the agent one attempt to resolve a real merge conflict, then merges the resolution', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN.replace('`b.txt`', 'the second note'), 'a.txt': 'base\n' });
    repo.script({
      T001: { sleepMs: 100, write: { 'a.txt': 'from T001\n' } },
      T002: {
        sleepMs: 600,
        write: { 'a.txt': 'from T002\n' },
        onConflict: { write: { 'a.txt': 'from T001\nfrom T002\n' } },
      },
    });
    const r = await runCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir);
    expect(r.code).toBe(0);
    const t2 = starts(repo.agentLog()).filter((e) => e.id === 'T002');
    expect(t2.map((e) => e.conflict)).toEqual([false, true]);
    expect(t2[1]?.stdin).toContain('- a.txt');
    expect(repo.read('a.txt')).toBe('from T001\nfrom T002\n');
    expect(repo.read('tasks.md')).toContain('- [x] T002');
    expect(repo.git('status', '--porcelain').trim()).toBe('');
    expect(leftovers(repo)).toEqual({ branches: '', worktrees: 1 });
  });

  it('marks a conflict the agent cannot resolve, keeps its branch, names it, and its dependents wait', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN.replace('`b.txt`', 'the second note'), 'a.txt': 'base\n' });
    repo.script({
      T001: { sleepMs: 100, write: { 'a.txt': 'from T001\n' } },
      T002: { sleepMs: 600, write: { 'a.txt': 'from T002\n' }, onConflict: { exit: 1 } },
    });
    const r = await runCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    const branch = `taskwave/${exec.runId}/T002`;
    expect(exec.tasks.T002.status).toBe('conflict');
    expect(exec.tasks.T002.error).toBe(`merge conflict in a.txt; its work is kept on branch ${branch}`);
    expect(exec.tasks.T003.status).toBe('blocked');
    expect(r.stdout).toContain(branch);
    // The plain lines and the summary say what the books say: a conflict, not a failure.
    expect(r.stdout).toContain(
      `conflict T002 Write the second note: merge conflict in a.txt; its work is kept on branch ${branch}`,
    );
    expect(r.stdout).toMatch(/^T002 {2}✖ conflict/m);
    expect(r.stdout).toMatch(/^some tasks could not be merged: 1 done, 1 conflict, 1 blocked in /m);
    expect(r.stdout).not.toMatch(/^failed /m);
    // So does status: in its counts (the JSON's `failed` still holds it, as it always did) and its list.
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toContain(
      '3 tasks: 1 done, 0 running, 0 failed, 1 conflict, 1 blocked, 0 pending, 0 skipped',
    );
    expect(status.stdout).toMatch(/^ {2}conflict {2}T002 Write the second note/m);
    const json = JSON.parse((await runCli(['status', '--json'], repo.dir)).stdout);
    expect(json.overall).toMatchObject({ failed: 1, conflict: 1, unverified: 0, blocked: 1 });
    expect(repo.git('show', `${branch}:a.txt`)).toBe('from T002\n');
    expect(repo.read('a.txt')).toBe('from T001\n');
    expect(repo.read('tasks.md')).toContain('- [ ] T002');
    expect(repo.git('status', '--porcelain').trim()).toBe('');
    expect(leftovers(repo)).toEqual({ branches: branch, worktrees: 1 });
  });

  it('keeps the work of a failed agent on its branch and removes the worktree', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T001: { write: { 'a.txt': 'half done\n' }, exit: 1 } });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(1);
    const branch = `taskwave/${execution(repo.dir).runId}/T001`;
    expect(r.stdout).toContain(`the work T001 did is kept on branch ${branch}`);
    expect(repo.git('show', `${branch}:a.txt`)).toBe('half done\n');
    expect(existsSync(join(repo.dir, 'a.txt'))).toBe(false);
    expect(leftovers(repo)).toEqual({ branches: branch, worktrees: 1 });
  });

  it('keeps the work of a task whose commit cannot be signed (a key not at hand) on its branch, as it says', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.git('config', 'commit.gpgSign', 'true');
    repo.git('config', 'gpg.program', 'false');
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    const branch = `taskwave/${exec.runId}/T001`;
    expect(exec.tasks.T001.error).toContain('gpg failed to sign');
    expect(exec.tasks.T001.error).toContain(`kept on branch ${branch}`);
    expect(repo.git('show', `${branch}:a.txt`)).toBe('done by T001\n');
  });

  it('never overwrites an uncommitted change of the user: the task fails, naming the file, with its work kept', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN, 'a.txt': 'committed\n' });
    repo.script({ T001: { write: { 'a.txt': 'from T001\n' } } });
    repo.write('a.txt', 'my uncommitted edit\n');
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(1);
    expect(repo.read('a.txt')).toBe('my uncommitted edit\n');
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.error).toContain('your uncommitted changes to a.txt would be overwritten');
    expect(exec.tasks.T001.error).toContain(`kept on branch taskwave/${exec.runId}/T001`);
    expect(repo.read('tasks.md')).toBe(PLAN);
  });

  it('waits for the user to commit an edit of the plan made during the run, then lands every task on top of it', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const note = '\nA note the user adds while the run goes on.\n';
    // While T002 works, "the user" adds a line to the plan in their working tree.
    repo.script({ T001: { sleepMs: 500 }, T002: { append: { [join(repo.dir, 'tasks.md')]: note, 'b.txt': 'b\n' } } });
    const run = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor('the run to say it waits', () => run.output().includes('merges are waiting'));
    expect(run.output()).toContain('your uncommitted changes to tasks.md are in the way of every task');
    expect(run.output()).not.toMatch(/^(done|failed) /m);
    repo.git('commit', '-qam', 'my note');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T') + note);
    expect(repo.git('log', '--format=%s', 'main').trim().split('\n').slice(-2)).toEqual(['my note', 'initial']);
    expect(repo.git('status', '--porcelain').trim()).toBe('');
  });

  it('runs the setup commands and copies the listed untracked files into each new worktree', async () => {
    const extraConfig = 'workspace:\n  setup: ["printf ready > .ready"]\n  copy: [".env"]\n';
    const repo = makeRepo(
      { 'tasks.md': PLAN, '.gitignore': '.agent-script.json\n.agent-log.jsonl\n.env\n.ready\n' },
      { extraConfig },
    );
    repo.write('.env', 'TOKEN=x\n');
    repo.script({ T001: { requireFile: '.env' }, T002: { requireFile: '.ready' } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(
      starts(repo.agentLog())
        .map((e) => e.id)
        .sort(),
    ).toEqual(['T001', 'T002', 'T003']);
    expect(repo.git('status', '--porcelain').trim()).toBe('');
    expect(repo.git('ls-files', '.env', '.ready').trim()).toBe('');
    // Without them the agent's check fails: the test can fail.
    const bare = makeRepo({ 'tasks.md': PLAN });
    bare.script({ T001: { requireFile: '.env' } });
    expect((await runCli(['run', 'tasks.md', '--only', 'T001'], bare.dir)).code).toBe(1);
  });

  it("hands a merged task's worktree on to the next task, checked out afresh: nothing of the last task's is left", async () => {
    const plan = [1, 2, 3].map((n) => `## Phase ${n}\n\n- [ ] T00${n} Write \`${'abc'[n - 1]}.txt\`\n`).join('\n');
    const extraConfig = 'workspace:\n  copy: [".env"]\n';
    const ignored = '.agent-script.json\n.agent-log.jsonl\n.env\nbuild/\n';
    const repo = makeRepo({ 'tasks.md': plan, '.gitignore': ignored }, { extraConfig });
    repo.write('.env', 'TOKEN=x\n');
    repo.script({
      // Build output git ignores: gone before the next task (so is .env, copied in again).
      T001: { write: { 'a.txt': 'A\n', 'build/out.bin': 'x' } },
      T002: { requireFile: '.env', refuseFile: 'build/out.bin', write: { 'b.txt': 'B\n' } },
      T003: { requireFile: 'b.txt', refuseFile: 'build/out.bin' },
    });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    const log = starts(repo.agentLog());
    expect(log.map((e) => e.id)).toEqual(['T001', 'T002', 'T003']);
    // Each in a folder named after itself, all three the same worktree of git's (T001's record).
    for (const e of log) expect(e.cwd).toMatch(new RegExp(`/\\.taskwave/worktrees/[^/]+/${e.id}$`));
    expect(new Set(log.map((e) => e.dotGit)).size).toBe(1);
    expect(log[0]?.dotGit).toMatch(/\/\.git\/worktrees\/T001$/);
    expect(repo.read('tasks.md')).toBe(plan.replaceAll('- [ ] T', '- [x] T'));
    expect(repo.git('log', '--format=%s', '-3').trim().split('\n')).toEqual([
      'T003: Write `c.txt`',
      'T002: Write `b.txt`',
      'T001: Write `a.txt`',
    ]);
    expect(leftovers(repo)).toEqual({ branches: '', worktrees: 1 });
    expect(existsSync(join(repo.dir, '.git', 'worktrees'))).toBe(false);
  });

  it('a failing setup command fails the task with its output', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      { extraConfig: 'workspace:\n  setup: ["echo no network >&2; exit 4"]\n' },
    );
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(1);
    expect(execution(repo.dir).tasks.T001.error).toBe(
      "could not prepare its worktree: setup command 'echo no network >&2; exit 4' failed (exit 4):\nno network",
    );
    expect(repo.agentLog()).toEqual([]);
    expect(leftovers(repo)).toEqual({ branches: '', worktrees: 1 });
  });

  it('--in-place runs one task at a time in the working tree, committing each; --no-commit leaves them uncommitted', async () => {
    const committed = makeRepo({ 'tasks.md': PLAN });
    const quiet = await runCli(['run', 'tasks.md', '--in-place'], committed.dir);
    expect(quiet.code).toBe(0);
    // The config's concurrency (4) is for worktree runs: no warning unless --concurrency asks for more.
    expect(quiet.stdout).not.toContain('--in-place runs one task at a time');
    expect(committed.git('log', '--format=%s', '-3').trim().split('\n')).toEqual([
      'T003: Write `c.txt`',
      'T002: Write `b.txt`',
      'T001: Write `a.txt`',
    ]);
    // Each commit holds the task's file and its tick (the tick written after the task was verified).
    expect(committed.git('show', '--name-only', '--format=', 'HEAD~1').trim().split('\n')).toEqual([
      'b.txt',
      'tasks.md',
    ]);
    expect(committed.git('show', 'HEAD~1:tasks.md')).toBe(
      PLAN.replace('- [ ] T001', '- [x] T001').replace('- [ ] T002', '- [x] T002'),
    );
    expect(committed.git('status', '--porcelain').trim()).toBe('');

    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ '*': { sleepMs: 100 }, T001: { write: { 'a.txt': 'A\n' } } });
    const r = await runCli(['run', 'tasks.md', '--in-place', '--no-commit', '--concurrency', '3'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--in-place runs one task at a time: agents would share the working tree');
    const log = repo.agentLog();
    expect(starts(log).every((e) => e.cwd === repo.dir)).toBe(true);
    let running = 0;
    for (const e of log) {
      if (e.event === 'start') expect(++running).toBe(1);
      if (e.event === 'end') running--;
    }
    expect(repo.git('status', '--porcelain').trim().split('\n').sort()).toEqual([
      '?? a.txt',
      '?? b.txt',
      '?? c.txt',
      'M tasks.md',
    ]);
  });

  it('in place, an agent that moves the branch back or switches it is refused, and the run stops there', async () => {
    const moved = makeRepo({ 'tasks.md': PLAN });
    moved.script({ T002: { git: [['reset', '-q', '--hard', 'HEAD~1']] } });
    const r = await runCli(['run', 'tasks.md', '--in-place'], moved.dir);
    expect(r.code).toBe(1);
    const exec = execution(moved.dir);
    expect(exec.tasks.T002.error).toBe(
      'refused: main was moved back (a reset, or a rewrite) past the commit of T001, taking its work and tick off the branch',
    );
    // T001's commit and tick are gone: it is not done, whatever it was when it landed.
    expect(exec.tasks.T001.status).toBe('failed');
    expect(exec.tasks.T003.status).toBe('blocked');
    expect(exec.stopReason).toContain("found after T002's agent: run again once it is put right");

    const switched = makeRepo({ 'tasks.md': PLAN });
    switched.script({ T001: { git: [['checkout', '-q', '-b', 'elsewhere']] } });
    const s = await runCli(['run', 'tasks.md', '--in-place'], switched.dir);
    expect(s.code).toBe(1);
    expect(execution(switched.dir).tasks.T001.error).toBe(
      'refused: your checkout is on elsewhere, no longer on main (check main out again)',
    );
    expect(switched.git('log', '--format=%s', 'elsewhere').trim()).toBe('initial');
  });

  it("in place without commits, an agent's git stash that takes an earlier task's tick stops the run, and that task is not done", async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T002: { git: [['stash', '-q']] } });
    const r = await runCli(['run', 'tasks.md', '--in-place', '--no-commit'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001).toMatchObject({ status: 'failed' });
    expect(exec.tasks.T001.error).toContain('its tick was undone in the working tree');
    expect(exec.tasks.T002.error).toMatch(/^refused: the ticks of T001 were undone in the working tree/);
    expect(repo.read('tasks.md')).toBe(PLAN);
  });

  it("in place, an agent's git clean -fdx takes no file of taskwave's into the commits", async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    // The scripted agent's own files are spared: the next agent reads its script there.
    repo.script({ T001: { git: [['clean', '-fdxq', '-e', '.agent-*']] } });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code).toBe(0);
    expect(
      repo
        .git('log', '--name-only', '--format=')
        .split('\n')
        .filter((f) => f.startsWith('.taskwave')),
    ).toEqual([]);
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('--in-place over uncommitted changes says that no task will be committed, and commits none', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.write('left-over.txt', 'from a failed task\n');
    // Named as they are, not as git quotes them ("na\303\257ve notes.txt").
    repo.write('naïve notes.txt', 'mine\n');
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'in place, no task is committed this run: the working tree has uncommitted changes (left-over.txt, naïve notes.txt)',
    );
    expect(repo.git('log', '--format=%s').trim().split('\n')).toEqual(['initial']);
    expect(repo.read('tasks.md')).toContain('- [x] T003');
  });

  it('refuses a detached HEAD and a plan with uncommitted edits, writing nothing', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.git('checkout', '-q', '--detach');
    const detached = await runCli(['run', 'tasks.md'], repo.dir);
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain('HEAD is detached');
    repo.git('checkout', '-q', 'main');
    repo.write('tasks.md', `${PLAN}- [ ] T004 new\n`);
    const dirty = await runCli(['run', 'tasks.md'], repo.dir);
    expect(dirty.code).toBe(2);
    expect(dirty.stderr).toContain('the plan has uncommitted changes (tasks.md)');
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
  });
});

/*
 * In place with nothing committed (`--no-commit`, or a tree that held the user's own changes when the
 * run started): each task is judged by what it changed since it started, not since the last commit,
 * which holds neither the earlier tasks' work nor the user's own changes.
 */
describe('in place, without a commit per task', () => {
  const TWO = '# Tasks\n\n- [ ] T001 Write the first part\n- [ ] T002 Tidy up\n';
  const statuses = (dir: string) => {
    const tasks = execution(dir).tasks as Record<string, { status: string }>;
    return Object.fromEntries(Object.entries(tasks).map(([id, t]) => [id, t.status]));
  };

  it('--no-commit: a task that changed nothing is unverified, though the task before it left changes', async () => {
    const repo = makeRepo({ 'tasks.md': TWO });
    repo.script({ T001: { write: { 'a.txt': 'A\n' } }, T002: { noChange: true } });
    const r = await runCli(['run', 'tasks.md', '--in-place', '--no-commit'], repo.dir);
    expect(r.code).toBe(1);
    // T001 first; T002 again for each repair, changing nothing each time.
    expect([...new Set(starts(repo.agentLog()).map((e) => e.id))]).toEqual(['T001', 'T002']);
    expect(statuses(repo.dir)).toEqual({ T001: 'done', T002: 'unverified' });
    expect(execution(repo.dir).tasks.T002.error).toContain('the agent changed no file');
    expect(repo.read('tasks.md')).toBe(TWO.replace('- [ ] T001', '- [x] T001'));
    expect(repo.git('log', '--format=%s').trim()).toBe('initial');
  });

  it('a task that fails and leaves changes in the tree stops the commits: a later commit would sweep them in', async () => {
    const plan = '# Tasks\n\n## Phase 1\n\n- [ ] T001 [P] Half\n- [ ] T002 [P] Whole\n- [ ] T003 [P] Tidy up\n';
    const repo = makeRepo({ 'tasks.md': plan }, { extraConfig: 'repair:\n  attempts: 0\n' });
    repo.script({
      T001: { exit: 1, write: { 'half.txt': 'half\n' } },
      T002: { write: { 'whole.txt': 'whole\n' } },
      T003: { noChange: true },
    });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'T001 failed and left changes in the working tree (half.txt): no later task is committed this run',
    );
    expect(statuses(repo.dir)).toEqual({ T001: 'failed', T002: 'done', T003: 'unverified' });
    // T002 is ticked, not committed: its commit would have taken T001's half.txt with it.
    expect(repo.git('log', '--format=%s').trim()).toBe('initial');
    expect(repo.read('tasks.md')).toContain('- [x] T002');
    expect(repo.read('half.txt')).toBe('half\n');
    expect(repo.git('status', '--porcelain', '--untracked-files=all')).toContain('half.txt');
  });

  it('a verified task git cannot commit is done as ticked, and stops the commits: the next commit would sweep it in', async () => {
    const plan = '# Tasks\n\n## Phase 1\n\n- [ ] T001 [P] One\n- [ ] T002 [P] Two\n';
    const repo = makeRepo({ 'tasks.md': plan });
    // A signing key that is not there (gpg-agent locked, no terminal for its pinentry).
    repo.git('config', 'commit.gpgsign', 'true');
    repo.git('config', 'gpg.program', 'false');
    repo.script({ T001: { write: { 'one.txt': '1\n' } }, T002: { write: { 'two.txt': '2\n' } } });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('T001 is done, but git could not commit it (');
    expect(r.stdout).toContain('no later task is committed this run');
    // The plan and the books agree: both ticked, both done.
    expect(statuses(repo.dir)).toEqual({ T001: 'done', T002: 'done' });
    expect(repo.read('tasks.md')).toBe(plan.replace('- [ ] T001', '- [x] T001').replace('- [ ] T002', '- [x] T002'));
    expect(repo.git('log', '--format=%s').trim()).toBe('initial');
    // T002 was judged by its own change: one.txt, T001's, was in the tree when it started.
    const t2 = execution(repo.dir).tasks.T002.gates.find((g: { name: string }) => g.name === 'changed-something');
    expect(t2.outputTail).toBe('two.txt');
  });

  it("a commit a hook of the user's rejects leaves the task's changes in the tree, unstaged, and the report says why", async () => {
    const plan = '# Tasks\n\n- [ ] T001 One\n- [ ] T002 Two\n';
    const repo = makeRepo({ 'tasks.md': plan, 'lib.txt': 'base\n' });
    // taskwave commits with --no-verify, which skips pre-commit and commit-msg, not prepare-commit-msg.
    repo.write('.git/hooks/prepare-commit-msg', '#!/bin/sh\necho "no ticket number in the message" >&2\nexit 1\n');
    chmodSync(join(repo.dir, '.git/hooks/prepare-commit-msg'), 0o755);
    repo.script({
      T001: { write: { 'one.txt': '1\n', 'lib.txt': 'changed\n' } },
      T002: { write: { 'two.txt': '2\n' } },
    });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(
      'T001 is done, but git could not commit it (git commit --quiet --no-verify -F - failed (exit 1): no ticket number in the message): its changes are left in the working tree, not staged',
    );
    expect(repo.git('log', '--format=%s').trim()).toBe('initial');
    // Nothing staged: the user's index is as it was before the run.
    expect(repo.git('diff', '--cached', '--name-only')).toBe('');
    expect(repo.git('status', '--porcelain').split('\n').filter(Boolean)).toEqual([
      ' M lib.txt',
      ' M tasks.md',
      '?? one.txt',
      '?? two.txt',
    ]);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.uncommitted).toContain('no ticket number in the message');
    expect(exec.tasks.T002.uncommitted).toBeUndefined();
    const report = readFileSync(join(repo.dir, '.taskwave', 'runs', exec.runId, 'report.md'), 'utf8');
    expect(report).toMatch(
      /^- `T001` One: done, but git could not commit it: git commit .*failed \(exit 1\): no ticket number in the message\.$/m,
    );
  });

  it('a task that cannot be ticked (its line taken out of the plan meanwhile) fails, and its changes stop the commits', async () => {
    const plan = '# Tasks\n\n## Phase 1\n\n- [ ] T001 [P] One\n- [ ] T002 [P] Two\n';
    const repo = makeRepo({ 'tasks.md': plan });
    repo.script({
      T001: { write: { 'one.txt': '1\n', 'tasks.md': plan.replace('- [ ] T001 [P] One\n', '') } },
      T002: { write: { 'two.txt': '2\n' } },
    });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('T001 failed and left changes in the working tree (one.txt)');
    expect(statuses(repo.dir)).toEqual({ T001: 'failed', T002: 'done' });
    // T002 is ticked, not committed: its commit would have taken T001's one.txt with it.
    expect(repo.git('log', '--format=%s').trim()).toBe('initial');
    expect(repo.read('tasks.md')).toContain('- [x] T002');
  });

  it('a failed task run again after other tasks ran is judged with what its failed attempt left, and only that', async () => {
    const plan = '# Tasks\n\n## Phase 1\n\n- [ ] T001 [P] Half\n- [ ] T002 [P] Whole\n';
    const repo = makeRepo({ 'tasks.md': plan }, { extraConfig: 'repair:\n  attempts: 0\nretry:\n  attempts: 0\n' });
    repo.script({ T001: { exit: 1, write: { 'half.txt': 'half\n' } }, T002: { write: { 'whole.txt': 'whole\n' } } });
    expect((await runCli(['run', 'tasks.md', '--in-place'], repo.dir)).code).toBe(1);
    expect(statuses(repo.dir)).toEqual({ T001: 'failed', T002: 'done' });
    // Its next attempt finds its work there and writes it again as it was: that is a change of T001's,
    // not "nothing"; T002's whole.txt, in the tree before it started too, is not.
    repo.script({ T001: { write: { 'half.txt': 'half\n' } } });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code, r.stdout).toBe(0);
    const changed = execution(repo.dir).tasks.T001.gates.find((g: { name: string }) => g.name === 'changed-something');
    expect(changed.outputTail).toBe('half.txt');
  });

  it("an edit of the plan alone (a person's, while the task runs) is no change of the task's", async () => {
    const repo = makeRepo({ 'tasks.md': TWO }, { extraConfig: 'repair:\n  attempts: 0\n' });
    repo.script({ T001: { append: { 'tasks.md': '- [ ] T003 added by hand\n' } } });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code).toBe(1);
    expect(statuses(repo.dir)).toMatchObject({ T001: 'unverified' });
    expect(repo.read('tasks.md')).toBe(`${TWO}- [ ] T003 added by hand\n`);
  });

  it('over uncommitted changes of the user: a task that changed nothing is unverified', async () => {
    const repo = makeRepo({ 'tasks.md': TWO, 'notes.txt': 'mine\n' });
    repo.write('notes.txt', 'mine, edited\n');
    repo.script({ T001: { write: { 'a.txt': 'A\n' } }, T002: { noChange: true } });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('in place, no task is committed this run');
    expect(statuses(repo.dir)).toEqual({ T001: 'done', T002: 'unverified' });
    expect(repo.read('notes.txt')).toBe('mine, edited\n');
  });

  it("the user's own uncommitted changes are not the task's: a secret-looking line, a deleted file", async () => {
    const key = ['AKIA', 'Z3Q7', 'K2PL', 'M9XW', 'T4RB'].join('');
    const secret = makeRepo({ 'tasks.md': TWO, 'config.txt': 'region = eu\n' });
    secret.write('config.txt', `region = eu\naws_access_key_id = ${key}\n`);
    secret.script({ T002: { write: { 'b.txt': 'B\n' } } });
    const r = await runCli(['run', 'tasks.md', '--in-place'], secret.dir);
    expect(r.code, r.stdout).toBe(0);
    expect(statuses(secret.dir)).toEqual({ T001: 'done', T002: 'done' });
    expect(secret.read('config.txt')).toContain(key);

    const deleted = makeRepo({ 'tasks.md': TWO, 'old.txt': 'old\n' });
    deleted.git('rm', '-q', 'old.txt');
    const d = await runCli(['run', 'tasks.md', '--in-place', '--no-commit'], deleted.dir);
    expect(d.code, d.stdout).toBe(0);
    expect(statuses(deleted.dir)).toEqual({ T001: 'done', T002: 'done' });
  });

  for (const commit of [false, true]) {
    it(`a run killed after the agent wrote its work: the resumed attempt is judged with what the first left${commit ? ' (the first run committing each task)' : ''}`, async () => {
      const three = `${TWO}- [ ] T003 Tidy up again\n`;
      const repo = makeRepo(
        { 'tasks.md': three },
        { extraConfig: 'gates:\n  task:\n    - name: always\n      run: "true"\n' },
      );
      repo.script({ T001: { write: { 'a.txt': 'A\n' } }, T002: { write: { 'b.txt': 'B\n' } } });
      // Killed as T002's gate starts: its work is in the tree, its verification not done.
      const killed = await runCli(['run', 'tasks.md', '--in-place', ...(commit ? [] : ['--no-commit'])], repo.dir, {
        TASKWAVE_FAULT_AT: 'gate:start@2',
      });
      expect(killed.signal).toBe('SIGKILL');
      expect(repo.read('b.txt')).toBe('B\n');
      expect(repo.git('log', '--format=%s').trim().split('\n')).toHaveLength(commit ? 2 : 1);
      // Its second attempt finds the work done and changes nothing; T003 changes nothing either. (The
      // work T002 left makes the tree dirty: the resumed run commits nothing either way.)
      repo.script({ T002: { noChange: true }, T003: { noChange: true } });
      const r = await runCli(['resume'], repo.dir);
      expect(r.code).toBe(1);
      // T002's second attempt passed at its first run: no repair.
      expect(
        starts(repo.agentLog())
          .filter((e) => e.id === 'T002')
          .map((e) => e.attempt),
      ).toEqual([1, 2]);
      expect(statuses(repo.dir)).toEqual({ T001: 'done', T002: 'done', T003: 'unverified' });
    });
  }
});

/** Run the plan with T002 hanging and kill taskwave hard once T001 has landed (its branch is deleted only at the end). */
async function killAfterT001Landed(repo: ReturnType<typeof makeRepo>): Promise<string> {
  repo.script({ T001: { write: { 'a.txt': 'A\n' } }, T002: { hang: true } });
  const cli = startCli(['run', 'tasks.md'], repo.dir);
  const journal = () => journalText(repo);
  await waitFor('T001 to land', () => journal().includes('"task-succeeded"'));
  cli.child.kill('SIGKILL');
  await cli.done;
  killAgentsOf(repo);
  const runId = JSON.parse(repo.read('.taskwave/execution.json')).runId as string;
  expect(repo.read('a.txt')).toBe('A\n');
  expect(leftovers(repo).branches).toContain(`taskwave/${runId}/T001`);
  return runId;
}

describe('branches of a killed run', () => {
  it('a later run deletes the branch of a task that landed, even with the worktrees gone (an older clean)', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    await killAfterT001Landed(repo);
    rmSync(join(repo.dir, '.taskwave', 'worktrees'), { recursive: true, force: true });
    repo.git('worktree', 'prune');
    repo.script({});
    const r = await runCli(['resume'], repo.dir);
    expect(r.code).toBe(0);
    expect(leftovers(repo)).toEqual({ branches: '', worktrees: 1 });
  });
});

describe('taskwave clean', () => {
  it('counts the branch of a squash-merged task as merged: deletes it after a run killed just after the task landed', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    await killAfterT001Landed(repo);
    const r = await runCli(['clean'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('not merged');
    expect(leftovers(repo)).toEqual({ branches: '', worktrees: 1 });
  });

  it('removes the worktrees a killed run left, deletes merged branches, keeps unmerged work unless asked', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T001: { hang: true }, T002: { write: { 'b.txt': 'half\n' }, exit: 1 } });
    const cli = startCli(['run', 'tasks.md'], repo.dir);
    // Wait until T002 has failed (its branch is kept) and T001 hangs in its worktree, then kill taskwave hard.
    const journal = () => journalText(repo);
    for (let i = 0; i < 200 && !journal().includes('"task-failed"'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    cli.child.kill('SIGKILL');
    await cli.done;
    killAgentsOf(repo);
    const runId = JSON.parse(repo.read('.taskwave/execution.json')).runId;
    // The main tree and T001's worktree (the merge worktree exists only once a task merged).
    expect(leftovers(repo).worktrees).toBe(2);
    const r = await runCli(['clean'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept 1 branch(es) with work that is not merged`);
    expect(r.stdout).toContain(`  taskwave/${runId}/T002`);
    expect(leftovers(repo)).toEqual({ branches: `taskwave/${runId}/T002`, worktrees: 1 });
    expect(existsSync(join(repo.dir, '.taskwave', 'worktrees'))).toBe(false);
    const all = await runCli(['clean', '--branches'], repo.dir);
    expect(all.stdout).toContain('deleted 1 branch(es)');
    expect(leftovers(repo)).toEqual({ branches: '', worktrees: 1 });
  });
});

/** The run's journal as it stands, empty before the run wrote one. */
function journalText(repo: ReturnType<typeof makeRepo>): string {
  return existsSync(join(repo.dir, '.taskwave/journal.jsonl')) ? repo.read('.taskwave/journal.jsonl') : '';
}
