import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AgentLogEntry, makeRepo, runCli } from '../support/repo.js';

const PLAN = `# Tasks: demo

## Phase 1: Setup

- [ ] T001 Create \`src/base.txt\`
- [ ] T002 [P] Write \`src/left.txt\`
- [ ] T003 [P] Write \`src/right.txt\`

## Phase 2: Core

- [ ] T004 Join them in \`src/both.txt\`
  - keep it short
`;

function intervals(log: AgentLogEntry[]) {
  const out = new Map<string, { start: number; end: number }>();
  for (const e of log) {
    const key = `${e.id}#${e.attempt}`;
    const cur = out.get(key) ?? { start: Number.NaN, end: Number.NaN };
    if (e.event === 'start') cur.start = e.time;
    if (e.event === 'end') cur.end = e.time;
    out.set(key, cur);
  }
  return out;
}

function maxOverlap(log: AgentLogEntry[]): number {
  const points: [number, number][] = [];
  for (const { start, end } of intervals(log).values()) {
    points.push([start, 1], [end, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) {
    cur += d;
    max = Math.max(max, cur);
  }
  return max;
}

describe('taskwave run', () => {
  it('runs every task in dependency order, ticks each box and keeps the books', async () => {
    const repo = makeRepo({ 'specs/001/tasks.md': PLAN, 'specs/001/spec.md': '# spec\n' });
    repo.script({ '*': { sleepMs: 150 } });
    const r = await runCli(['run', 'specs/001/tasks.md'], repo.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    // Only the four checkbox characters changed.
    expect(repo.read('specs/001/tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));

    const log = repo.agentLog();
    const iv = intervals(log);
    const start = (id: string) => iv.get(`${id}#1`)?.start ?? Number.NaN;
    const end = (id: string) => iv.get(`${id}#1`)?.end ?? Number.NaN;
    expect(start('T002')).toBeGreaterThanOrEqual(end('T001'));
    expect(start('T003')).toBeGreaterThanOrEqual(end('T001'));
    expect(start('T004')).toBeGreaterThanOrEqual(Math.max(end('T002'), end('T003')));
    // T002 and T003 are [P]: they ran side by side.
    expect(start('T003')).toBeLessThan(end('T002'));

    // What the agent was given.
    const t4 = log.find((e) => e.event === 'start' && e.id === 'T004') as AgentLogEntry;
    expect(t4.title).toBe('Join them in `src/both.txt`');
    // Each task ran in a worktree of its own.
    expect(t4.cwd).toMatch(
      new RegExp(`^${repo.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\.taskwave/worktrees/[^/]+/T004$`),
    );
    expect(t4.promptFileMatches).toBe(true);
    expect(t4.stdin).toContain('Task T004: Join them in `src/both.txt`');
    expect(t4.stdin).toContain('keep it short');
    expect(t4.stdin).toContain('Plan: specs/001/tasks.md');
    expect(t4.stdin).toContain('specs/001/spec.md');
    expect(t4.stdin).toMatch(/Do not edit the plan file \(specs\/001\/tasks.md\)/);
    expect(t4.runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);

    // The books.
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    expect(exec.status).toBe('done');
    expect(exec.plan).toEqual({ path: 'specs/001/tasks.md', format: 'markdown' });
    expect(exec.overall).toMatchObject({ total: 4, done: 4, failed: 0, running: 0, pending: 0 });
    expect(exec.tasks.T004).toMatchObject({ status: 'done', attempts: 1, agent: 'scripted' });
    expect(exec.tasks.T004.durationMs).toBeGreaterThanOrEqual(100);
    const journal = repo
      .read('.taskwave/journal.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(journal.map((e) => e.type)).toContain('run-finished');
    expect(journal.filter((e) => e.type === 'task-succeeded')).toHaveLength(4);
    expect(journal.every((e) => e.runId === exec.runId)).toBe(true);
    const logs = readdirSync(join(repo.dir, '.taskwave', 'logs', exec.runId)).sort();
    expect(logs).toEqual(['T001.jsonl', 'T002.jsonl', 'T003.jsonl', 'T004.jsonl']);
    const records = readFileSync(join(repo.dir, '.taskwave', 'logs', exec.runId, 'T004.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ event: 'start', attempt: 1, agent: 'scripted' });
    expect(records.some((r) => typeof r.out === 'string' && r.out.includes('finished T004'))).toBe(true);
    expect(records.at(-1)).toMatchObject({ event: 'succeeded' });

    // Each task is one commit on the branch, with its tick; nothing is left uncommitted or behind.
    expect(repo.git('status', '--porcelain').trim()).toBe('');
    expect(repo.git('log', '--format=%s', '-5').trim().split('\n')).toEqual([
      'T004: Join them in `src/both.txt`',
      expect.stringMatching(/^T00[23]: Write `src\/(left|right)\.txt`$/),
      expect.stringMatching(/^T00[23]: Write `src\/(left|right)\.txt`$/),
      'T001: Create `src/base.txt`',
      'initial',
    ]);
    expect(repo.git('show', '--format=', '--name-only', 'HEAD').trim().split('\n').sort()).toEqual(
      expect.arrayContaining(['specs/001/tasks.md']),
    );
    expect(repo.git('branch', '--list', 'taskwave/*').trim()).toBe('');
    expect(repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);

    // Plain CI lines and the summary.
    expect(r.stdout).toMatch(/^start {3}T001 /m);
    expect(r.stdout).toMatch(/^done {4}T004 /m);
    expect(r.stdout).toMatch(/all selected tasks done: 4 done/);
  });

  it('runs again without redoing what is done', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN.replace('- [ ] T001', '- [x] T001') });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(
      repo
        .agentLog()
        .filter((e) => e.event === 'start')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['T002', 'T003', 'T004']);
    const again = await runCli(['run', 'tasks.md'], repo.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 task(s) to run, 4 already done');
    expect(repo.agentLog().filter((e) => e.event === 'start')).toHaveLength(3);
  });

  it('still waits for an unfinished task behind one that was ticked out of order', async () => {
    const plan = '## Work\n\n- [ ] T001 first\n- [x] T002 done early\n- [ ] T003 third\n';
    const repo = makeRepo({ 'tasks.md': plan });
    repo.script({ '*': { sleepMs: 200 } });
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(0);
    const iv = intervals(repo.agentLog());
    expect(iv.get('T003#1')?.start).toBeGreaterThanOrEqual(iv.get('T001#1')?.end ?? Number.NaN);
    const refused = await runCli(['run', 'tasks.md', '--only', 'T003'], makeRepo({ 'tasks.md': plan }).dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/T003 needs T001/);
  });

  it('does not carry attempts over from the books of another plan', async () => {
    const repo = makeRepo({ 'a.md': '- [ ] T001 in a\n', 'b.md': '- [ ] T001 in b\n' });
    expect((await runCli(['run', 'a.md'], repo.dir)).code).toBe(0);
    expect((await runCli(['run', 'b.md'], repo.dir)).code).toBe(0);
    expect(
      repo
        .agentLog()
        .filter((e) => e.event === 'start')
        .map((e) => [e.title, e.attempt]),
    ).toEqual([
      ['in a', 1],
      ['in b', 1],
    ]);
  });

  it('keeps to the concurrency limit', async () => {
    const plan = `## Work\n\n${Array.from({ length: 6 }, (_, i) => `- [ ] T00${i + 1} [P] piece ${i + 1}`).join('\n')}\n`;
    const repo = makeRepo({ 'tasks.md': plan });
    repo.script({ '*': { sleepMs: 300 } });
    const r = await runCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir);
    expect(r.code).toBe(0);
    expect(maxOverlap(repo.agentLog())).toBe(2);
    const wide = makeRepo({ 'tasks.md': plan });
    // Each waits for a third to start: on a loaded machine, starts 300 ms apart would overlap less.
    wide.script({ '*': { sleepMs: 300, awaitStarts: 3 } });
    expect((await runCli(['run', 'tasks.md', '-c', '6'], wide.dir)).code).toBe(0);
    expect(maxOverlap(wide.agentLog())).toBeGreaterThanOrEqual(3);
  });

  it('never runs two tasks that name the same file at the same time', async () => {
    const plan =
      '## Work\n\n- [ ] T001 [P] Edit `src/shared.ts` first\n- [ ] T002 [P] Edit src/shared.ts again\n- [ ] T003 [P] Edit `src/other.ts`\n';
    const repo = makeRepo({ 'tasks.md': plan });
    repo.script({ '*': { sleepMs: 300 } });
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(0);
    const iv = intervals(repo.agentLog());
    const a = iv.get('T001#1') as { start: number; end: number };
    const b = iv.get('T002#1') as { start: number; end: number };
    const c = iv.get('T003#1') as { start: number; end: number };
    expect(a.end <= b.start || b.end <= a.start).toBe(true);
    expect(c.start).toBeLessThan(Math.max(a.end, b.end));
  });

  it('starts the task with the longest remaining path first', async () => {
    const plan =
      '## Work\n\n- [ ] T001 [P] leaf\n- [ ] T002 [P] head of a chain\n- [ ] T003 [P] middle (depends on T002)\n- [ ] T004 [P] end (depends on T003)\n';
    const repo = makeRepo({ 'tasks.md': plan });
    expect((await runCli(['run', 'tasks.md', '-c', '1'], repo.dir)).code).toBe(0);
    const order = repo
      .agentLog()
      .filter((e) => e.event === 'start')
      .map((e) => e.id);
    // T002 heads the longest chain; then T003 (2 left) before T001 and T004 (1 left each, plan order).
    expect(order).toEqual(['T002', 'T003', 'T001', 'T004']);
  });

  it('reports a failed task, blocks its dependents, finishes the rest and exits 1', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T002: { exit: 3 } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const text = repo.read('tasks.md');
    expect(text).toContain('- [x] T001');
    expect(text).toContain('- [ ] T002');
    expect(text).toContain('- [x] T003');
    expect(text).toContain('- [ ] T004');
    expect(r.stdout).toMatch(/^failed {2}T002 .*agent exited with code 3/m);
    expect(r.stdout).toMatch(/^blocked T004 .*depends on T002, which did not land$/m);
    expect(r.stdout).toMatch(/some tasks failed: 2 done, 1 failed, 1 blocked/);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    expect(exec.status).toBe('failed');
    expect(exec.tasks.T002).toMatchObject({ status: 'failed', error: 'agent exited with code 3' });
    expect(exec.tasks.T004).toMatchObject({ status: 'blocked', error: 'blocked by T002' });
    expect(repo.agentLog().some((e) => e.id === 'T004')).toBe(false);

    // Fixed: the next run does T002 (attempt 2) and T004 only.
    repo.script({});
    const again = await runCli(['run', 'tasks.md'], repo.dir);
    expect(again.code).toBe(0);
    const second = repo
      .agentLog()
      .filter((e) => e.event === 'start')
      .slice(3);
    expect(second.map((e) => [e.id, e.attempt])).toEqual([
      ['T002', 2],
      ['T004', 1],
    ]);
  });

  it('works outside a git repository, keeping its books beside the nearest taskwave.yaml', async () => {
    const repo = makeRepo({ 'plans/tasks.md': '- [ ] T001 one\n' }, { git: false });
    const r = await runCli(['run', 'plans/tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(repo.read('plans/tasks.md')).toBe('- [x] T001 one\n');
    expect(JSON.parse(repo.read('.taskwave/execution.json')).status).toBe('done');
    const status = await runCli(['status'], join(repo.dir, 'plans'));
    expect(status.stdout).toContain('of plans/tasks.md (markdown): done');
  });

  it('writes nothing on --dry-run', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const r = await runCli(['run', 'tasks.md', '--dry-run'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would run 4 task(s)');
    expect(r.stdout.indexOf('T001')).toBeLessThan(r.stdout.indexOf('T004'));
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
    expect(repo.read('tasks.md')).toBe(PLAN);
    expect(repo.agentLog()).toEqual([]);
  });

  it('runs only the selected phase or tasks, and refuses a selection whose prerequisites are not done', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const refused = await runCli(['run', 'tasks.md', '--phase', '2'], repo.dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/tasks\.md:\d+:\d+: error: T004 needs /);
    expect(repo.read('tasks.md')).toBe(PLAN);

    const one = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(one.code).toBe(0);
    expect(
      repo
        .agentLog()
        .filter((e) => e.event === 'start')
        .map((e) => e.id),
    ).toEqual(['T001']);

    const phase1 = await runCli(['run', 'tasks.md', '--phase', '1'], repo.dir);
    expect(phase1.code).toBe(0);
    expect(repo.read('tasks.md')).toContain('- [ ] T004');
    expect(repo.read('tasks.md')).toContain('- [x] T003');

    const withDeps = makeRepo({ 'tasks.md': PLAN });
    const all = await runCli(['run', 'tasks.md', '--only', 'T004', '--with-deps', '-c', '1'], withDeps.dir);
    expect(all.code).toBe(0);
    expect(
      withDeps
        .agentLog()
        .filter((e) => e.event === 'start')
        .map((e) => e.id),
    ).toEqual(['T001', 'T002', 'T003', 'T004']);
  });

  it('keeps ids of tasks without ids stable when a task is inserted above them', async () => {
    const plan = '# Chores\n\n- [ ] water the plants\n- [ ] feed the cat\n';
    const repo = makeRepo({ 'chores.md': plan });
    repo.script({ '*': { sleepMs: 10 } });
    expect((await runCli(['run', 'chores.md'], repo.dir)).code).toBe(0);
    const firstIds = repo
      .agentLog()
      .filter((e) => e.event === 'start')
      .map((e) => e.id);
    expect(firstIds).toHaveLength(2);
    // The person adds a task at the top and unticks "feed the cat" to have it done again.
    repo.write('chores.md', '# Chores\n\n- [ ] empty the bins\n- [x] water the plants\n- [ ] feed the cat\n');
    // Uncommitted plan edits are refused in worktrees (each tick is committed with its task)...
    const refused = await runCli(['run', 'chores.md'], repo.dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the plan has uncommitted changes (chores.md)');
    // ...so the person commits them.
    repo.git('commit', '-qam', 'more chores');
    expect((await runCli(['run', 'chores.md'], repo.dir)).code).toBe(0);
    const second = repo
      .agentLog()
      .filter((e) => e.event === 'start')
      .slice(2);
    expect(second).toHaveLength(2);
    const feed = second.find((e) => e.title === 'feed the cat') as AgentLogEntry;
    const feedBefore = repo.agentLog().find((e) => e.event === 'start' && e.title === 'feed the cat') as AgentLogEntry;
    expect(feed.id).toBe(feedBefore.id);
    expect(feed.attempt).toBe(2);
    expect(repo.read('chores.md')).toBe(
      '# Chores\n\n- [x] empty the bins\n- [x] water the plants\n- [x] feed the cat\n',
    );
  });

  it('prints events as JSON lines with --json', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const r = await runCli(['run', 'tasks.md', '--json'], repo.dir);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: 'run-started', toRun: 4, format: 'markdown', agent: 'scripted' });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', summary: { status: 'done', counts: { done: 4 } } });
    expect(events.filter((e) => e.type === 'task-output').length).toBeGreaterThan(0);
  });
});

describe('the command report.md gives to run failed tasks again', () => {
  /** The words a POSIX shell reads from the report's command (after `taskwave`), read in `cwd`. */
  const wordsOf = (command: string, cwd: string): string[] => {
    const r = spawnSync('sh', ['-c', `printf '%s\\0' ${command.replace(/^taskwave /, '')}`], { cwd, encoding: 'utf8' });
    return r.stdout.split('\0').slice(0, -1);
  };
  const commandIn = (report: string): string => report.match(/Run them again with:\n\n```sh\n(.*)\n```/)?.[1] ?? '';

  it('quotes a plan path with a space', async () => {
    const repo = makeRepo({ 'specs/my feature/tasks.md': '- [ ] T001 first\n' });
    repo.script({ T001: { exit: 1 } });
    const r = await runCli(['run', 'specs/my feature/tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    const command = commandIn(repo.read(`.taskwave/runs/${exec.runId}/report.md`));
    expect(command).toBe("taskwave run 'specs/my feature/tasks.md' --only T001");
    expect(wordsOf(command, repo.dir)).toEqual(['run', 'specs/my feature/tasks.md', '--only', 'T001']);
  });

  it('quotes task ids a shell would run', async () => {
    const id = 'x;touch pwned;';
    const tasks = { master: { tasks: [{ id, title: 'evil', status: 'pending', dependencies: [] }] } };
    const repo = makeRepo({ '.taskmaster/tasks/tasks.json': JSON.stringify(tasks, null, 2) });
    repo.script({ '*': { exit: 1 } });
    const r = await runCli(['run', '.taskmaster/tasks/tasks.json'], repo.dir);
    expect(r.code).toBe(1);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    const command = commandIn(repo.read(`.taskwave/runs/${exec.runId}/report.md`));
    expect(wordsOf(command, repo.dir)).toEqual(['run', '.taskmaster/tasks/tasks.json', '--only', id]);
    expect(existsSync(join(repo.dir, 'pwned'))).toBe(false);
  });
});
