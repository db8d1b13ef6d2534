import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, killLeftoversAfterEach, waitFor } from '../support/processes.js';
import { makeRepo, runCli, startCli, type TempRepo } from '../support/repo.js';

const PLAN = `# Tasks

## Phase 1

- [ ] T001 first
- [ ] T002 [P] second
- [ ] T003 [P] third
- [ ] T004 fourth
`;

const leftovers = killLeftoversAfterEach();

const starts = (repo: TempRepo) => repo.agentLog().filter((e) => e.event === 'start');

describe('secrets', () => {
  it('never puts the value of a secret environment variable into the logs or the event stream', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 leak it\n' });
    repo.script({ T001: { printEnv: 'MY_API_KEY', exit: 1 } });
    const secret = 'sk-test-0123456789abcdef';
    const r = await runCli(['run', 'tasks.md', '--json'], repo.dir, { MY_API_KEY: secret });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('my MY_API_KEY is ***');
    expect(r.stdout).not.toContain(secret);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    const log = repo.read(`.taskwave/logs/${exec.runId}/T001.jsonl`);
    expect(log).toContain('my MY_API_KEY is ***');
    expect(log).not.toContain(secret);
    expect(repo.read('.taskwave/journal.jsonl')).not.toContain(secret);
  });

  it('masks it in gate output, report.md, status.md, JUnit and the summary too', async () => {
    const repo = makeRepo(
      { 'tasks.md': '- [ ] T001 Write `a.txt`\n' },
      { extraConfig: 'repair:\n  attempts: 0\ngates:\n  task: ["echo token is $SERVICE_TOKEN; exit 1"]\n' },
    );
    const secret = 'ghp-not-really-but-secret-42';
    const r = await runCli(['run', 'tasks.md', '--junit', 'junit.xml'], repo.dir, { SERVICE_TOKEN: secret });
    expect(r.code).toBe(1);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    for (const text of [...everythingWritten(repo, r), repo.read('junit.xml')]) expect(text).not.toContain(secret);
    expect(repo.read(`.taskwave/runs/${exec.runId}/report.md`)).toContain('token is ***');
  });
});

/** Everything a run leaves a person to read: its output, its books, its logs and reports. */
function everythingWritten(repo: TempRepo, r: { stdout: string; stderr: string }): string[] {
  const exec = JSON.parse(repo.read('.taskwave/execution.json'));
  const logDir = join(repo.dir, '.taskwave', 'logs', exec.runId);
  const logs = existsSync(logDir) ? readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8')) : [];
  return [
    r.stdout,
    r.stderr,
    repo.read('.taskwave/execution.json'),
    repo.read('.taskwave/journal.jsonl'),
    repo.read(`.taskwave/runs/${exec.runId}/report.md`),
    repo.read(`.taskwave/runs/${exec.runId}/status.md`),
    ...logs,
  ];
}

describe('secrets in command output', () => {
  it('masks the output of a failing workspace setup command', async () => {
    const repo = makeRepo(
      { 'tasks.md': '- [ ] T001 first\n' },
      { extraConfig: 'workspace:\n  setup: ["echo token $GITHUB_TOKEN; exit 1"]\n' },
    );
    const secret = 'ghp_qasecret0123456789abcdefXYZ';
    const r = await runCli(['run', 'tasks.md'], repo.dir, { GITHUB_TOKEN: secret });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('token ***');
    for (const text of everythingWritten(repo, r)) expect(text).not.toContain(secret);
  });

  it('masks the password of a URL with credentials, whatever its variable is called', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 leak it\n' });
    // An error line: the task's error quotes it.
    repo.script({ T001: { printEnv: 'DATABASE_URL', exit: 1, stderr: 'error: auth failed for dbpassqa777' } });
    const r = await runCli(['run', 'tasks.md', '--json'], repo.dir, { DATABASE_URL: 'postgres://u:dbpassqa777@h/db' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('my DATABASE_URL is postgres://u:***@h/db');
    for (const text of everythingWritten(repo, r)) expect(text).not.toContain('dbpassqa777');
  });
});

describe('secrets in commits', () => {
  // The agent's final message becomes the commit's body: a key it echoes there must not be committed.
  for (const inPlace of [false, true]) {
    it(`masks them in the task's commit message${inPlace ? ' (in place)' : ''}`, async () => {
      const repo = makeRepo({ 'tasks.md': '- [ ] T001 Write `a.txt`\n' });
      repo.script({ T001: { write: { 'a.txt': 'a\n' }, finalEnv: 'ANTHROPIC_API_KEY' } });
      const secret = 'sk-ant-qa-secret-123456';
      const r = await runCli(['run', 'tasks.md', ...(inPlace ? ['--in-place'] : [])], repo.dir, {
        ANTHROPIC_API_KEY: secret,
      });
      expect(r.code).toBe(0);
      const messages = repo.git('log', '--format=%B');
      expect(messages).toContain('final: ***');
      expect(messages).not.toContain(secret);
    });
  }

  it('masks a token of a known shape whatever its variable is called, in the commit and the books', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 Write `a.txt`\n' });
    repo.script({ T001: { write: { 'a.txt': 'a\n' }, finalEnv: 'GH_PAT' } });
    // From pieces: this file must hold no string a secret scanner would stop.
    const token = ['ghp_', 'u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d'].join('');
    const r = await runCli(['run', 'tasks.md'], repo.dir, { GH_PAT: token });
    expect(r.code).toBe(0);
    const messages = repo.git('log', '--format=%B');
    expect(messages).toContain('final: ***');
    expect(messages).not.toContain(token);
    for (const text of everythingWritten(repo, r)) expect(text).not.toContain(token);
    // Every file of the books, not only the ones everythingWritten knows of.
    const books = join(repo.dir, '.taskwave');
    const files = readdirSync(books, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'utf8')).not.toContain(token);
  });
});

describe('interruptions', () => {
  it('continues after the process is killed mid-run: done tasks stay done, the running one runs again', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ '*': { sleepMs: 100 }, T002: { sleepMs: 60_000 }, T003: { sleepMs: 60_000 } });
    const run = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor('T002 and T003 to start', () => starts(repo).length === 3);
    for (const e of starts(repo)) leftovers.push(e.pid);
    run.child.kill('SIGKILL');
    await run.done;
    expect(repo.read('tasks.md')).toContain('- [x] T001');
    expect(repo.read('tasks.md')).toContain('- [ ] T002');
    const crashed = JSON.parse(repo.read('.taskwave/execution.json'));
    expect(crashed.status).toBe('running');
    // The killed run left its worktrees and branches behind...
    expect(repo.git('worktree', 'list').trim().split('\n').length).toBeGreaterThan(1);

    const status = await runCli(['status', '--json'], repo.dir);
    expect(status.code).toBe(0);
    const st = JSON.parse(status.stdout);
    expect(st.live).toBe(false);
    expect(st.status).toBe('interrupted');
    expect(st.tasks.T001.status).toBe('done');
    expect(st.tasks.T002.status).toBe('running');
    const human = await runCli(['status'], repo.dir);
    expect(human.stdout).toMatch(/: interrupted\n/);
    expect(human.stdout).toMatch(/stopped\s+T002 second/);

    repo.script({ '*': { sleepMs: 50 } });
    const again = await runCli(['run', 'tasks.md'], repo.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/did not finish/);
    const second = starts(repo).slice(3);
    expect(second.map((e) => [e.id, e.attempt]).sort()).toEqual([
      ['T002', 2],
      ['T003', 2],
      ['T004', 1],
    ]);
    expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));
    // ...and the next run cleared them: nothing dangles.
    expect(repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(repo.git('branch', '--list', 'taskwave/*').trim()).toBe('');
    expect(repo.git('status', '--porcelain').trim()).toBe('');
  });

  it('on Ctrl-C stops the agents, saves state, exits 130, and resume finishes the run', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ '*': { sleepMs: 50 }, T002: { sleepMs: 60_000, spawnChild: true }, T003: { sleepMs: 60_000 } });
    const run = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor(
      'T002 and T003 to start',
      () => starts(repo).length === 3 && repo.agentLog().some((e) => e.event === 'child'),
    );
    const child = repo.agentLog().find((e) => e.event === 'child')?.childPid as number;
    leftovers.push(child);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('stopping the running agents');
    const log = repo.agentLog();
    expect(
      log
        .filter((e) => e.event === 'sigint')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['T002', 'T003']);
    // The agent's own child went down with its process group.
    await waitFor('the grandchild to die', () => !alive(child), 5000);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    expect(exec.status).toBe('interrupted');
    expect(exec.tasks.T002.status).toBe('cancelled');
    expect(exec.tasks.T001.status).toBe('done');
    expect(existsSync(join(repo.dir, '.taskwave', 'lock'))).toBe(false);
    expect(repo.read('tasks.md')).toContain('- [ ] T002');

    repo.script({ '*': { sleepMs: 20 } });
    const resumed = await runCli(['resume'], repo.dir);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`run ${exec.runId}`);
    expect(resumed.stdout).toContain('resumed');
    const after = JSON.parse(repo.read('.taskwave/execution.json'));
    expect(after.runId).toBe(exec.runId);
    expect(after.status).toBe('done');
    expect(after.tasks.T002.attempts).toBe(2);
    expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));
  });

  it('on a second Ctrl-C stops waiting and kills the agents at once', async () => {
    // A long grace: only the second Ctrl-C, not the SIGTERM/SIGKILL escalation, can end this in time.
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 stubborn\n' }, { killGrace: '60s' });
    repo.script({ T001: { hang: true, ignoreSigint: true, spawnChild: true } });
    const run = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor('T001 and its child to start', () => repo.agentLog().some((e) => e.event === 'child'));
    const agent = starts(repo)[0]?.pid as number;
    const child = repo.agentLog().find((e) => e.event === 'child')?.childPid as number;
    leftovers.push(agent, child);
    run.child.kill('SIGINT');
    await waitFor('the agent to get SIGINT', () => repo.agentLog().some((e) => e.event === 'sigint'));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    await waitFor('the agent and its child to die', () => !alive(agent) && !alive(child), 3000);
    expect(existsSync(join(repo.dir, '.taskwave', 'lock'))).toBe(false);
    expect(repo.read('tasks.md')).toBe('- [ ] T001 stubborn\n');
  });

  it('on Ctrl-C stops the gate commands under way too, task, phase and final gates alike', async () => {
    // Gates run in process groups of their own, out of reach of the terminal's Ctrl-C.
    for (const where of ['task', 'phase', 'final']) {
      const pidFile = join(mkdtempSync(join(tmpdir(), 'taskwave-gate-')), 'pid');
      const gate = `echo $$ > ${pidFile}; trap '' INT; exec sleep 60`;
      const repo = makeRepo(
        { 'tasks.md': '## Phase 1\n\n- [ ] T001 first\n' },
        { extraConfig: `gates:\n  ${where}: ["${gate}"]\n` },
      );
      const run = startCli(['run', 'tasks.md'], repo.dir);
      await waitFor(
        `the ${where} gate to start`,
        () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'),
      );
      const pid = Number(readFileSync(pidFile, 'utf8'));
      leftovers.push(pid);
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code).toBe(130);
      await waitFor(`the ${where} gate to die`, () => !alive(pid), 5000);
    }
  });

  it('kills an agent that runs past its timeout, with everything it started', async () => {
    const repo = makeRepo({ 'tasks.md': '## Work\n\n- [ ] T001 [P] hangs\n- [ ] T002 [P] fine\n' });
    repo.script({ T001: { hang: true, spawnChild: true, ignoreSigint: true } });
    const r = await runCli(['run', 'tasks.md', '--timeout', '1s'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/failed {2}T001 hangs: timed out after 1\.0s/);
    const child = repo.agentLog().find((e) => e.event === 'child')?.childPid as number;
    leftovers.push(child);
    expect(alive(child)).toBe(false);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    expect(exec.tasks.T001).toMatchObject({ status: 'failed', error: 'timed out after 1.0s' });
    expect(exec.tasks.T002.status).toBe('done');
  });

  it('takes a timeout too long for a timer as a long wait, not as no wait at all', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 takes a moment\n' });
    repo.script({ T001: { sleepMs: 300 } });
    const r = await runCli(['run', 'tasks.md', '--timeout', '30d'], repo.dir);
    expect(r.stdout).not.toContain('timed out');
    expect(r.code).toBe(0);
  });

  it('refuses a second run in the same repository while one is running', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T001: { sleepMs: 3000 } });
    const first = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor('T001 to start', () => starts(repo).length === 1);
    const second = await runCli(['run', 'tasks.md'], repo.dir);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another taskwave run holds this repository \(pid \d+/);
    expect((await first.done).code).toBe(0);
  });

  it('in place, keeps edits a person makes to the plan while tasks run', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    // The person's edit lands while T001 runs; T001's own work is elsewhere (an edit of the plan alone
    // is no change of a task's).
    repo.script({
      T001: { write: { 'one.txt': '1\n' }, append: { 'tasks.md': '- [ ] T005 added by hand during the run\n' } },
    });
    const r = await runCli(['run', 'tasks.md', '--in-place'], repo.dir);
    expect(r.code).toBe(0);
    expect(repo.read('tasks.md')).toBe(
      `${PLAN.replaceAll('- [ ] T', '- [x] T')}- [ ] T005 added by hand during the run\n`,
    );
  });
});

describe('a state folder that cannot be used', () => {
  it('is a clear error with exit 2 and nothing written: a file named .taskwave, a folder where the journal goes', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    writeFileSync(join(repo.dir, '.taskwave'), 'hi\n');
    const file = await runCli(['run', 'tasks.md'], repo.dir);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(
      /^taskwave: error: .*\.taskwave is a file, but taskwave keeps its run state in a folder/m,
    );
    expect(file.stderr).not.toMatch(/\n\s+at /);
    expect(repo.read('.taskwave')).toBe('hi\n');

    repo.git('clean', '-fq');
    mkdirSync(join(repo.dir, '.taskwave', 'journal.jsonl'), { recursive: true });
    const folder = await runCli(['run', 'tasks.md'], repo.dir);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/journal\.jsonl is a folder, where taskwave keeps a file of its run state/);
    expect(folder.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(repo.dir, '.taskwave'))).toEqual(['journal.jsonl']);
    expect(repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(starts(repo)).toEqual([]);
    expect(repo.read('tasks.md')).toBe(PLAN);
  });
});

/**
 * The CLI with its stdout read by something like `head -1`: the first line read, then the pipe
 * closed, so every later write of taskwave's meets a reader that is gone (EPIPE).
 */
function runCliIntoHead(args: string[], cwd: string) {
  const { child, done } = startCli(args, cwd);
  child.stdout.once('data', () => {
    child.stdout.destroy();
  });
  return done;
}

describe('a reader of the output that goes away (taskwave … | head -1)', () => {
  it('plan of a large plan ends quietly with exit 0', async () => {
    const tasks = Array.from({ length: 5000 }, (_, i) => `- [ ] T${i + 1} [P] task number ${i + 1}`);
    const repo = makeRepo({ 'big.md': `# Tasks\n\n## Phase 1\n\n${tasks.join('\n')}\n` });
    for (const args of [
      ['plan', 'big.md'],
      ['plan', 'big.md', '--json'],
      ['graph', 'big.md'],
    ]) {
      const r = await runCliIntoHead(args, repo.dir);
      expect(r.stderr, args.join(' ')).not.toMatch(/EPIPE|internal error|\n\s+at /);
      expect(r.code, args.join(' ')).toBe(0);
    }
  });

  it('a run goes on to its end: done in its books, no lock left, exit 0', async () => {
    for (const json of [false, true]) {
      const repo = makeRepo({ 'tasks.md': PLAN });
      repo.script({ '*': { sleepMs: 300 } });
      const r = await runCliIntoHead(['run', 'tasks.md', ...(json ? ['--json'] : [])], repo.dir);
      expect(r.stderr).not.toMatch(/EPIPE|internal error|\n\s+at /);
      expect(r.code).toBe(0);
      expect(JSON.parse(repo.read('.taskwave/execution.json')).status).toBe('done');
      expect(existsSync(join(repo.dir, '.taskwave', 'lock'))).toBe(false);
      expect(repo.read('tasks.md')).not.toContain('- [ ]');
    }
  });
});
