import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, killLeftoversAfterEach, waitFor } from '../support/processes.js';
import { type AgentLogEntry, makeRepo, runCli, startCli, type TempRepo } from '../support/repo.js';

/*
 * Agents that misbehave — crash, flood, print garbage, edit the plan, write outside their worktree,
 * delete files, commit or switch branch themselves — and hostile task text: taskwave keeps the
 * user's files intact and records nothing as done that was not.
 */

const PLAN = `# Tasks

- [ ] T001 [P] Write \`src/a.txt\`
- [ ] T002 [P] Write \`src/b.txt\`
`;

const execution = (dir: string) => JSON.parse(readFileSync(join(dir, '.taskwave', 'execution.json'), 'utf8'));
const starts = (repo: TempRepo): AgentLogEntry[] => repo.agentLog().filter((e) => e.event === 'start');
const clean = (repo: TempRepo) => ({
  status: repo.git('status', '--porcelain').trim(),
  worktrees: repo.git('worktree', 'list').trim().split('\n').length,
});

const leftovers = killLeftoversAfterEach();

describe('misbehaving agents', () => {
  it('an agent that crashes mid-write: nothing merged, nothing ticked, its half-written work kept on its branch', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T001: { write: { 'src/a.txt': 'half a fi' }, crash: true } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001).toMatchObject({ status: 'failed', error: 'agent killed by SIGKILL' });
    expect(exec.tasks.T002.status).toBe('done');
    expect(existsSync(join(repo.dir, 'src/a.txt'))).toBe(false);
    expect(repo.read('tasks.md')).toContain('- [ ] T001');
    expect(repo.git('show', `taskwave/${exec.runId}/T001:src/a.txt`)).toBe('half a fi');
    expect(clean(repo)).toEqual({ status: '', worktrees: 1 });
  });

  it('megabytes of output go to the log on disk, not to memory or the CI log', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 Write `big.txt`\n' });
    repo.script({ T001: { lines: 400_000 } }); // about 10 MB
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(10_000);
    const runId = execution(repo.dir).runId;
    const log = join(repo.dir, '.taskwave', 'logs', runId, 'T001.jsonl');
    expect(statSync(log).size).toBeGreaterThan(10_000_000);
  });

  it('a final line of megabytes goes whole to the log, cut in the books and the commit', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    // No newline: the agent's `finished …` line ends it, and the last line is the summary.
    const long = Buffer.from('x'.repeat(1_000_000)).toString('base64');
    repo.script({ T001: { rawOut: long }, T002: { rawOut: long, exit: 1 } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.summary).toMatch(/^x+… \(\d+ more characters\)$/);
    expect(exec.tasks.T001.summary.length).toBeLessThan(20_000);
    expect(repo.git('log', '--format=%B').length).toBeLessThan(20_000);
    const journal = readFileSync(join(repo.dir, '.taskwave', 'journal.jsonl'), 'utf8');
    expect(journal.length).toBeLessThan(100_000);
    const log = join(repo.dir, '.taskwave', 'logs', exec.runId, 'T002.jsonl');
    expect(statSync(log).size).toBeGreaterThan(1_000_000);
  });

  it('non-UTF-8 output is logged with replacement characters and does not break the run', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 Write `a.txt`\n' });
    repo.script({ T001: { rawOut: Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x80, 0x0a]).toString('base64') } });
    const r = await runCli(['run', 'tasks.md', '--json'], repo.dir);
    expect(r.code).toBe(0);
    const runId = execution(repo.dir).runId;
    const records = readFileSync(join(repo.dir, '.taskwave', 'logs', runId, 'T001.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.some((x) => x.out === 'ok\ufffd\ufffd\ufffd')).toBe(true);
    for (const line of r.stdout.trim().split('\n')) JSON.parse(line);
  });

  it('an agent that ticks the plan itself is told to undo it, and the task is ticked only by taskwave', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({
      T001: {
        write: { 'src/a.txt': 'a\n', 'tasks.md': PLAN.replace('- [ ] T001', '- [x] T001') },
        onRepair: { write: { 'src/a.txt': 'a\n', 'tasks.md': PLAN } },
      },
    });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(0);
    const t1 = starts(repo).filter((e) => e.id === 'T001');
    expect(t1.map((e) => e.repair)).toEqual([false, true]);
    expect(t1[1]?.stdin).toContain('the agent edited the plan (tasks.md)');
    expect(repo.read('tasks.md')).toBe(PLAN.replace('- [ ] T001', '- [x] T001'));

    const stubborn = makeRepo({ 'tasks.md': PLAN });
    stubborn.script({ T001: { write: { 'src/a.txt': 'a\n', 'tasks.md': '# rewritten by the agent\n' } } });
    const s = await runCli(['run', 'tasks.md', '--only', 'T001'], stubborn.dir);
    expect(s.code).toBe(1);
    expect(execution(stubborn.dir).tasks.T001.error).toMatch(/gate plan-untouched failed/);
    expect(stubborn.read('tasks.md')).toBe(PLAN);
  });

  it('an agent that leaves a git repository of its own in its worktree is refused: its files would not land', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'repair:\n  attempts: 0\n' });
    const id = ['-c', 'user.name=a', '-c', 'user.email=a@b'];
    const init = [
      ['-C', 'app', 'init', '-q'],
      ['-C', 'app', 'add', '.'],
      ['-C', 'app', ...id, 'commit', '-qm', 'app'],
    ];
    repo.script({ T001: { write: { 'src/a.txt': 'a\n', 'app/main.js': 'app\n' }, git: init } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.status).toBe('failed');
    expect(exec.tasks.T001.error).toContain('git repositories of their own in the checkout (app/.git)');
    expect(exec.tasks.T002.status).toBe('done');
    expect(repo.read('tasks.md')).toContain('- [ ] T001');
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD')).not.toContain('app');
  });

  it("what an agent writes into .taskwave/ in its worktree stays out of its commit and the user's branch", async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T001: { write: { 'src/a.txt': 'a\n', '.taskwave/execution.json': 'not the books\n' } } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(execution(repo.dir).tasks.T001.status).toBe('done');
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD')).not.toContain('.taskwave');
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('an agent that deletes tracked files it was not asked to is refused; a task that says remove may', async () => {
    const repo = makeRepo({
      'tasks.md': '# Tasks\n\n- [ ] T001 [P] Write `src/a.txt`\n- [ ] T002 [P] Remove the old `legacy.txt`\n',
      'README.md': 'keep me\n',
      'legacy.txt': 'old\n',
    });
    repo.script({
      T001: {
        write: { 'src/a.txt': 'a\n' },
        remove: ['README.md'],
        onRepair: { write: { 'src/a.txt': 'a\n' }, remove: ['README.md'] },
      },
      T002: { remove: ['legacy.txt'] },
    });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.error).toMatch(/gate no-unasked-deletions failed .*README\.md/);
    expect(repo.read('README.md')).toBe('keep me\n');
    expect(exec.tasks.T002.status).toBe('done');
    expect(existsSync(join(repo.dir, 'legacy.txt'))).toBe(false);
  });

  it('an agent that writes into the user\u2019s working tree instead of its worktree is refused; the file is left alone', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ T001: { write: { [join(repo.dir, 'src/a.txt')]: 'in the wrong place\n', 'src/a.txt': 'a\n' } } });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(1);
    expect(execution(repo.dir).tasks.T001.error).toBe(
      'refused: the agent wrote outside its worktree, into your working tree: src/a.txt (left as they are)',
    );
    expect(repo.read('src/a.txt')).toBe('in the wrong place\n');
    expect(repo.read('tasks.md')).toBe(PLAN);
  });

  it('a file the task made in its worktree and in the user\u2019s tree is refused; the same file landed by another task is not', async () => {
    const plan = '# Tasks\n\n- [ ] T001 [P] First\n- [ ] T002 [P] Second\n- [ ] T003 [P] Third\n';
    const repo = makeRepo({ 'tasks.md': plan });
    repo.script({
      // Not named by its task: known only as something it changed in its worktree.
      T001: { write: { [join(repo.dir, 'notes/t1.txt')]: 'stray\n', 'notes/t1.txt': 't1\n' } },
      // The same new file as T003, which lands first: a fresh file in the user's tree, but git's own.
      T002: { sleepMs: 1500, write: { 'shared.txt': 'same\n' } },
      T003: { write: { 'shared.txt': 'same\n' } },
    });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.error).toBe(
      'refused: the agent wrote outside its worktree, into your working tree: notes/t1.txt (left as they are)',
    );
    expect(repo.read('notes/t1.txt')).toBe('stray\n');
    expect(exec.tasks.T002.status).toBe('done');
    expect(exec.tasks.T003.status).toBe('done');
    expect(repo.read('shared.txt')).toBe('same\n');
  });

  it('an agent that commits itself is fine; one that switches its worktree to another branch is refused', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({
      // Its commit takes one file and leaves the other to taskwave's: both land.
      T001: {
        write: { 'src/a.txt': 'a\n', 'src/notes.txt': 'notes\n' },
        git: [
          ['add', 'src/a.txt'],
          ['-c', 'user.name=agent', '-c', 'user.email=agent@example.com', 'commit', '-qm', 'agent commit'],
        ],
      },
      T002: { write: { 'src/b.txt': 'b\n' }, git: [['checkout', '-q', '-b', 'agent-branch']] },
    });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.status).toBe('done');
    expect(repo.read('src/a.txt')).toBe('a\n');
    expect(repo.read('src/notes.txt')).toBe('notes\n');
    expect(repo.git('log', '--format=%s', '-1').trim()).toBe('T001: Write `src/a.txt`');
    expect(exec.tasks.T002.error).toMatch(
      /^refused: the agent switched its worktree from taskwave\/.*\/T002 to agent-branch/,
    );
    expect(existsSync(join(repo.dir, 'src/b.txt'))).toBe(false);
  });

  it('tasks whose commits the user takes off main during the run are reported as not done, and why', async () => {
    const repo = makeRepo({
      'tasks.md':
        '# Tasks\n\n- [ ] T001 Write `src/a.txt`\n- [ ] T002 Write `src/b.txt`\n- [ ] T003 Write `src/c.txt`\n',
    });
    const start = repo.git('rev-parse', 'HEAD').trim();
    repo.script({
      T001: { write: { 'src/a.txt': 'a\n' } },
      T002: { write: { 'src/b.txt': 'b\n' } },
      // While T003 works, "the user" moves main back to where the run started.
      T003: { write: { 'src/c.txt': 'c\n' }, git: [['-C', repo.dir, 'reset', '-q', '--hard', start]] },
    });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    for (const id of ['T001', 'T002']) {
      expect(exec.tasks[id].status).toBe('failed');
      expect(exec.tasks[id].error).toMatch(
        /^its commit [0-9a-f]{12} is no longer on main: the branch was moved back or rewritten during the run/,
      );
    }
    // T003 started from T002's commit, which is gone: it is not merged on top of the rewound branch.
    expect(exec.tasks.T003.status).not.toBe('done');
    expect(repo.git('rev-parse', 'main').trim()).toBe(start);
    expect(repo.read('tasks.md')).not.toMatch(/\[x\]/);
    expect(r.stdout + r.stderr).toMatch(/T001[^\n]*no longer on main/);
    expect(readFileSync(join(repo.dir, '.taskwave', 'runs', exec.runId, 'report.md'), 'utf8')).toMatch(
      /T002[\s\S]*no longer on main/,
    );
  });

  it('tasks the user rebases main under during the run stay done, and the books follow their new commits', async () => {
    const repo = makeRepo({
      'tasks.md':
        '# Tasks\n\n- [ ] T001 Write `src/a.txt`\n- [ ] T002 Write `src/b.txt`\n- [ ] T003 Write `src/c.txt`\n',
    });
    // A teammate's commit, on a branch from where the run starts.
    repo.git('checkout', '-q', '-b', 'upstream');
    repo.write('UPSTREAM.md', 'theirs\n');
    repo.git('add', 'UPSTREAM.md');
    repo.git('commit', '-qm', 'upstream work');
    repo.git('checkout', '-q', 'main');
    repo.script({
      T001: { write: { 'src/a.txt': 'a\n' } },
      T002: { write: { 'src/b.txt': 'b\n' } },
      // While T003 works, "the user" rebases main onto the teammate's commit.
      T003: { write: { 'src/c.txt': 'c\n' }, git: [['-C', repo.dir, 'rebase', '-q', 'upstream']] },
    });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const log = repo.git('log', '--format=%H %s', 'main').trim().split('\n');
    expect(log.map((l) => l.slice(41))).toEqual([
      'T003: Write `src/c.txt`',
      'T002: Write `src/b.txt`',
      'T001: Write `src/a.txt`',
      'upstream work',
      expect.any(String),
    ]);
    const exec = execution(repo.dir);
    ['T003', 'T002', 'T001'].forEach((id, i) => {
      expect(exec.tasks[id].status).toBe('done');
      expect(exec.tasks[id].commit).toBe(log[i]?.slice(0, 40));
    });
    expect(repo.read('tasks.md')).toMatch(/- \[x\] T001[\s\S]*- \[x\] T002[\s\S]*- \[x\] T003/);
    expect(r.stdout).toMatch(
      /rebased T001: the branch was rebased during the run; its change is there as [0-9a-f]{12}/,
    );
  });

  it('SIGTERM stops a run like Ctrl-C: agents stopped, state saved, exit 130, nothing outlives taskwave', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ '*': { sleepMs: 60_000, spawnChild: true } });
    const run = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor(
      'both agents and their children',
      () => repo.agentLog().filter((e) => e.event === 'child').length === 2,
    );
    const children = repo
      .agentLog()
      .filter((e) => e.event === 'child')
      .map((e) => e.childPid as number);
    const agents = starts(repo).map((e) => e.pid);
    leftovers.push(...children, ...agents);
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(execution(repo.dir).status).toBe('interrupted');
    await waitFor('the agents and their children to die', () => ![...children, ...agents].some(alive), 5000);
  });

  it('a process the agent left outside its group, holding its output open, does not keep taskwave from exiting', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 Write `a.txt`\n' });
    repo.script({ T001: { escapeChild: true } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    const child = repo.agentLog().find((e) => e.event === 'child')?.childPid as number;
    leftovers.push(child);
    expect(r.code).toBe(0);
    expect(execution(repo.dir).tasks.T001.status).toBe('done');
    expect(alive(child)).toBe(true); // it held the pipe still when taskwave exited
  });

  it('a stale lock left by a dead process is taken over', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    mkdirSync(join(repo.dir, '.taskwave'), { recursive: true });
    // A pid far above any this machine has handed out: the process that held the lock is gone.
    const dead = {
      pid: 2 ** 22 - 3,
      host: hostname(),
      startedAt: new Date().toISOString(),
      command: 'taskwave run tasks.md',
    };
    writeFileSync(join(repo.dir, '.taskwave', 'lock'), JSON.stringify(dead));
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(readdirSync(join(repo.dir, '.taskwave'))).not.toContain('lock');
    expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));
  });
});

describe('hostile task text', () => {
  it('reaches the agent only as data: no shell ever runs $(…), backticks or quotes from a plan', async () => {
    const evil = 'Say $(touch pwned-subshell) and `touch pwned-backtick` and "quotes" \'too\'; touch pwned-semicolon';
    const plan = `# Tasks\n\n- [ ] T001 ${evil}\n  - body line with $(touch pwned-body) && rm -rf /tmp/nothing\n`;
    const repo = makeRepo({ 'tasks.md': plan });
    repo.script({ T001: { write: { 'out.txt': 'ok\n' } } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    const start = starts(repo)[0] as AgentLogEntry;
    expect(start.title).toBe(evil);
    expect(start.stdin).toContain(evil);
    expect(start.stdin).toContain('$(touch pwned-body) && rm -rf /tmp/nothing');
    const all = repo.git('ls-files', '--others', '--cached').split('\n');
    expect(all.filter((f) => f.includes('pwned'))).toEqual([]);
    for (const f of ['pwned-subshell', 'pwned-backtick', 'pwned-semicolon', 'pwned-body']) {
      expect(existsSync(join(repo.dir, f))).toBe(false);
    }
    // The commit message carries the title as text: too long for a subject, cut there and whole in the body.
    const message = repo.git('log', '-1', '--format=%B');
    expect(message.split('\n')[0]).toBe('T001: Say $(touch pwned-subshell) and `touch pwned-backtick` and…');
    expect(message).toContain(`\n\n${evil}\n`);
  });

  it('escape sequences in a title are shown, not obeyed, by plan, run and status; the plan and commit keep them', async () => {
    const title = 'evil \x1b]0;PWNED\x07 \x1b[2K\x9b2J fake';
    const plan = `# T\n- [ ] T001 ${title}\n`;
    const repo = makeRepo({ 'tasks.md': plan });
    repo.script({ T001: { write: { 'out.txt': 'ok\n' } } });
    // Any C0 or C1 control but newline (the views' own colours are off: NO_COLOR, not a TTY).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
    const shown = 'evil \\x1b]0;PWNED\\x07 \\x1b[2K\\x9b2J fake';
    const listed = await runCli(['plan', 'tasks.md'], repo.dir);
    expect(listed.stdout).toContain(shown);
    const dry = await runCli(['run', 'tasks.md', '--dry-run'], repo.dir);
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`done    T001 ${shown}`);
    const status = await runCli(['status'], repo.dir);
    const exec = JSON.parse(repo.read('.taskwave/execution.json'));
    const files = ['report.md', 'status.md'].map((f) => repo.read(`.taskwave/runs/${exec.runId}/${f}`));
    for (const text of [listed.stdout, listed.stderr, dry.stdout, r.stdout, r.stderr, status.stdout, ...files]) {
      expect(text).not.toMatch(raw);
    }
    expect(repo.read('tasks.md')).toBe(plan.replace('- [ ]', '- [x]'));
    expect(repo.git('log', '-1', '--format=%s').trim()).toBe(`T001: ${title}`);
  });

  it('a task line of 150 KB runs: its title in the environment is cut, the whole of it is in the prompt', async () => {
    const title = `Do ${'a'.repeat(150_000)} end`;
    const repo = makeRepo({ 'tasks.md': `# Tasks\n\n- [ ] T001 ${title}\n` });
    repo.script({ T001: { write: { 'out.txt': 'ok\n' } } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.stdout).not.toContain('E2BIG');
    expect(r.code).toBe(0);
    const start = starts(repo)[0] as AgentLogEntry;
    expect(start.title?.length).toBeLessThanOrEqual(4096);
    expect(start.title?.startsWith('Do aaa')).toBe(true);
    expect(start.title?.endsWith('…')).toBe(true);
    expect(start.stdin).toContain(title);
  });
});
