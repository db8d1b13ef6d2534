import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/events.js';
import { formatSpan } from '../../src/report/report-md.js';
import { type AgentLogEntry, makeRepo, REPO_ROOT, runCli } from '../support/repo.js';

/*
 * Verified completion: the project's gates and taskwave's built-in checks decide whether a task is
 * done; a failure goes back to the agent; what happened is in the books, report.md, status.md and JUnit.
 */

const PLAN = `# Tasks

## Phase 1: Build

- [ ] T001 Write \`src/app.txt\`
- [ ] T002 Write \`src/lib.txt\`

## Phase 2: Polish

- [ ] T003 Write \`docs/notes.txt\`
`;

const execution = (dir: string) => JSON.parse(readFileSync(join(dir, '.taskwave', 'execution.json'), 'utf8'));
const starts = (log: AgentLogEntry[]) => log.filter((e) => e.event === 'start');
const runFile = (dir: string, name: string) => {
  const runId = execution(dir).runId;
  return readFileSync(join(dir, '.taskwave', 'runs', runId, name), 'utf8');
};

describe('task gates and the repair loop', () => {
  it('feeds a failing gate back to the agent, which fixes it on the second attempt', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      {
        extraConfig:
          'gates:\n  task:\n    - name: app says ok\n      run: "grep -q ok src/app.txt || { echo \\"src/app.txt: expected ok\\"; exit 1; }"\n',
      },
    );
    repo.script({
      T001: { write: { 'src/app.txt': 'bad\n' }, onRepair: { write: { 'src/app.txt': 'ok\n' } } },
      T002: { write: { 'src/app.txt': 'ok\n', 'src/lib.txt': 'lib\n' } },
      T003: { write: { 'src/app.txt': 'ok\n', 'docs/notes.txt': 'notes\n' } },
    });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(0);
    const t1 = starts(repo.agentLog()).filter((e) => e.id === 'T001');
    expect(t1.map((e) => e.repair)).toEqual([false, true]);
    // The agent is told in its environment too: the same attempt, its first repair.
    expect(t1.map((e) => [e.attempt, e.repairEnv])).toEqual([
      [1, '0'],
      [1, '1'],
    ]);
    const repairPrompt = t1[1]?.stdin ?? '';
    expect(repairPrompt).toContain('## Verification failed');
    expect(repairPrompt).toContain('app says ok');
    expect(repairPrompt).toContain('grep -q ok src/app.txt');
    expect(repairPrompt).toContain('src/app.txt: expected ok');
    expect(r.stdout).toMatch(/^repair {2}T001 attempt 1: app says ok: exit 1$/m);
    expect(repo.read('src/app.txt')).toBe('ok\n');
    expect(repo.read('tasks.md')).toContain('- [x] T001');
    const rec = execution(repo.dir).tasks.T001;
    expect(rec).toMatchObject({ status: 'done', attempts: 1, repairs: 1 });
    expect(rec.gates.map((g: { name: string; ok: boolean }) => `${g.name}:${g.ok}`)).toEqual([
      'changed-something:true',
      'plan-untouched:true',
      'no-unasked-deletions:true',
      'no-nested-repos:true',
      'named-files-exist:true',
      'app says ok:true',
      'no-secrets:true',
    ]);
    // The commit says who did it and what verified it.
    expect(repo.git('log', '-1', '--format=%s').trim()).toBe('T001: Write `src/app.txt`');
    const body = repo.git('log', '-1', '--format=%b');
    expect(body).toContain('Agent: scripted\nAttempt: 1\n');
    expect(body).toContain(
      'Gates: changed-something passed, plan-untouched passed, no-unasked-deletions passed, no-nested-repos passed, named-files-exist passed, app says ok passed, no-secrets passed',
    );
  });

  it("commits what the task's gates wrote too (the checkout is staged again after they ran)", async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      { extraConfig: 'gates:\n  task: ["cp src/app.txt src/app.built.txt"]\n' },
    );
    repo.script({ T001: { write: { 'src/app.txt': 'app\n' } } });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(0);
    expect(repo.git('show', '--name-only', '--format=', 'HEAD').trim().split('\n')).toEqual([
      'src/app.built.txt',
      'src/app.txt',
      'tasks.md',
    ]);
    expect(repo.git('status', '--porcelain').trim()).toBe('');
  });

  it('fails the task after repair.attempts, keeps its work on its branch and blocks its dependents', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN.replace('- [ ] T003 Write', '- [ ] T003 (depends on T001) Write') },
      { extraConfig: 'repair:\n  attempts: 1\ngates:\n  task: ["test -f src/never.txt"]\n' },
    );
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001).toMatchObject({ status: 'failed', repairs: 1 });
    expect(exec.tasks.T001.error).toBe('gate test -f src/never.txt failed after 1 repair attempt(s): exit 1');
    expect(exec.tasks.T003.status).toBe('blocked');
    expect(starts(repo.agentLog()).filter((e) => e.id === 'T001')).toHaveLength(2);
    expect(repo.git('branch', '--list', 'taskwave/*').trim()).toContain('/T001');
    expect(repo.read('tasks.md')).not.toContain('- [x] T001');
  });

  it('a task that changes nothing is unverified, not ticked; --allow-empty and check-only tasks are done', async () => {
    const repo = makeRepo({
      'tasks.md': '# Tasks\n\n- [ ] T001 [P] Tidy up\n- [ ] T002 [P] Checkpoint: all tests pass\n',
    });
    repo.script({ '*': { noChange: true } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.status).toBe('unverified');
    expect(exec.tasks.T001.error).toBe('unverified: the agent changed no file');
    // It was asked again, with what the check wants, before giving up.
    expect(
      starts(repo.agentLog())
        .filter((e) => e.id === 'T001')
        .map((e) => e.repair),
    ).toEqual([false, true, true]);
    expect(exec.tasks.T002.status).toBe('done');
    expect(repo.read('tasks.md')).toBe(
      '# Tasks\n\n- [ ] T001 [P] Tidy up\n- [x] T002 [P] Checkpoint: all tests pass\n',
    );
    // status names it as the books do, not as failed.
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toContain(
      '2 tasks: 1 done, 0 running, 0 failed, 1 unverified, 0 blocked, 0 pending, 0 skipped',
    );
    const again = await runCli(['run', 'tasks.md', '--allow-empty'], repo.dir);
    expect(again.code).toBe(0);
    expect(repo.read('tasks.md')).toContain('- [x] T001 [P] Tidy up');
  });

  it.each([
    ['the task naming its sibling file', true],
    ['the task creating the file', false],
  ])('two [P] tasks that name one file both end done when %s runs first', async (_first, namerFirst) => {
    // T002 waits for T001 (they name the same file), so plan order decides which runs first.
    const creator = 'Create `src/a.txt`';
    const namer = 'Create `src/b.txt` that reads `src/a.txt`';
    const [t1, t2] = namerFirst ? [namer, creator] : [creator, namer];
    const repo = makeRepo({
      'tasks.md': `# Tasks\n\n## Phase 1: Build\n\n- [ ] T001 [P] ${t1}\n- [ ] T002 [P] ${t2}\n`,
    });
    const creates = { write: { 'src/a.txt': 'a\n' } };
    const names = { write: { 'src/b.txt': 'b\n' } };
    repo.script(namerFirst ? { T001: names, T002: creates } : { T001: creates, T002: names });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(starts(repo.agentLog()).map((e) => [e.id, e.repair])).toEqual([
      ['T001', false],
      ['T002', false],
    ]);
    const exec = execution(repo.dir);
    expect([exec.tasks.T001.status, exec.tasks.T002.status]).toEqual(['done', 'done']);
    const named = (id: string) =>
      exec.tasks[id].gates.find((g: { name: string }) => g.name === 'named-files-exist')?.message;
    // Let pass on T002's account only when the file was not there yet.
    expect(named('T001')).toBe(
      namerFirst ? '1 file(s) present; left to tasks that name them too: src/a.txt (T002)' : '1 file(s) present',
    );
    expect(named('T002')).toBe(namerFirst ? '1 file(s) present' : '2 file(s) present');
    expect(repo.read('src/a.txt')).toBe('a\n');
    expect(repo.read('src/b.txt')).toBe('b\n');
  });

  it('of two [P] tasks that name one file and leave it out, the one verified last is held to it', async () => {
    const repo = makeRepo({
      'tasks.md':
        '# Tasks\n\n## Phase 1: Build\n\n- [ ] T001 [P] Use `src/a.txt` in `src/b.txt`\n- [ ] T002 [P] Use `src/a.txt` in `src/c.txt`\n',
    });
    repo.script({ T001: { write: { 'src/b.txt': 'b\n' } }, T002: { write: { 'src/c.txt': 'c\n' } } });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    // T001 ran first (they share a file, so one at a time): T002 might still have made it.
    expect(exec.tasks.T001.status).toBe('done');
    // T002 ran after T001 landed: nobody is left to make it.
    expect(exec.tasks.T002.status).toBe('failed');
    expect(exec.tasks.T002.error).toMatch(/named-files-exist.*src\/a\.txt/);
  });

  it('a secret in the diff stops the merge, without a repair', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const key = ['AKIA', 'Z3Q7', 'K2PL', 'M9XW', 'T4RB'].join('');
    repo.script({ T001: { write: { 'src/app.txt': `aws_access_key_id = ${key}\n` } } });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(1);
    const rec = execution(repo.dir).tasks.T001;
    expect(rec.error).toMatch(/^not merged: the diff looks like it holds a secret \(src\/app\.txt:1: /);
    expect(rec.error).not.toContain(key);
    expect(r.stdout).not.toContain(key);
    expect(existsSync(join(repo.dir, 'src/app.txt'))).toBe(false);
    expect(starts(repo.agentLog())).toHaveLength(1);
    expect(repo.read('tasks.md')).toBe(PLAN);
  });

  it('a secret a task gate writes (a build inlining a key) stops the merge too', async () => {
    const key = ['AKIA', 'Z3Q7', 'K2PL', 'M9XW', 'T4RB'].join('');
    const gate = `mkdir -p dist && echo 'const key = "${key}";' > dist/app.js`;
    const repo = makeRepo({ 'tasks.md': PLAN }, { extraConfig: `gates:\n  task: [${JSON.stringify(gate)}]\n` });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(1);
    expect(execution(repo.dir).tasks.T001.error).toMatch(
      /^not merged: the diff looks like it holds a secret \(dist\/app\.js:1: /,
    );
    expect(repo.git('log', '--format=%s').trim()).toBe('initial');
  });

  it('retries a transient agent failure with backoff, apart from repairs', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'retry:\n  attempts: 2\n  backoff: 20ms\n' });
    // T001's first run is rate limited, the second works; T002 is rate limited every time.
    repo.script({
      T001: { failRuns: 1, stderr: 'API Error: 429 Too Many Requests' },
      T002: { exit: 1, stderr: 'API Error: 429 Too Many Requests' },
    });
    const ok = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(ok.code).toBe(0);
    expect(execution(repo.dir).tasks.T001).toMatchObject({ status: 'done', retries: 1 });
    expect(execution(repo.dir).tasks.T001.repairs).toBeUndefined();
    const first = await runCli(['run', 'tasks.md', '--only', 'T002'], repo.dir);
    expect(first.code).toBe(1);
    const exec = execution(repo.dir);
    // Two retries after the first failure, then it failed for good: 3 runs, no repair.
    expect(starts(repo.agentLog()).filter((e) => e.id === 'T002')).toHaveLength(3);
    expect(exec.tasks.T002).toMatchObject({ status: 'failed', retries: 2 });
    expect(exec.tasks.T002.repairs).toBeUndefined();
    expect(first.stdout).toMatch(
      /^retry {3}T002 attempt 1: agent exited with code 1: API Error: 429 Too Many Requests \(in \d+ms\)$/m,
    );
    // An ordinary failure is not retried.
    const plain = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'retry:\n  attempts: 2\n  backoff: 20ms\n' });
    plain.script({ T001: { exit: 1 } });
    expect((await runCli(['run', 'tasks.md', '--only', 'T001'], plain.dir)).code).toBe(1);
    expect(starts(plain.agentLog())).toHaveLength(1);
    expect(execution(plain.dir).tasks.T001.retries).toBeUndefined();
  });
});

describe('phase and final gates', () => {
  it('runs phase gates after a phase lands and final gates at the end, on the integration branch', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      {
        extraConfig:
          'gates:\n  phase: ["test -f src/app.txt && test -f src/lib.txt"]\n  final:\n    - name: everything\n      run: "test -f docs/notes.txt"\n',
      },
    );
    const r = await runCli(['run', 'tasks.md', '--junit', 'reports/junit.xml'], repo.dir);
    expect(r.code).toBe(0);
    const exec = execution(repo.dir);
    expect(Object.keys(exec.gates.phase).sort()).toEqual(['1', '2']);
    expect(exec.gates.phase['1'][0]).toMatchObject({ ok: true, command: 'test -f src/app.txt && test -f src/lib.txt' });
    expect(exec.gates.final).toEqual([expect.objectContaining({ name: 'everything', ok: true })]);
    // The journal shows phase 1's gate before any phase 2 task started.
    const journal = repo
      .read('.taskwave/journal.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const gate1 = journal.findIndex(
      (e) => e.type === 'gate-finished' && e.scope.kind === 'phase' && e.scope.phase === '1',
    );
    const t3 = journal.findIndex((e) => e.type === 'task-started' && e.taskId === 'T003');
    expect(gate1).toBeGreaterThan(-1);
    expect(gate1).toBeLessThan(t3);

    // report.md, status.md and JUnit agree with the run.
    const report = runFile(repo.dir, 'report.md');
    expect(report).toContain(`# taskwave run ${exec.runId}`);
    expect(report).toMatch(/\| T001 \| Write `src\/app\.txt` \| done \|/);
    expect(report).toContain('everything');
    const status = runFile(repo.dir, 'status.md');
    expect(status).toContain('3/3');
    const junit = repo.read('reports/junit.xml');
    expect(junit).toMatch(/<testsuite [^>]*tests="3"[^>]*failures="0"/);
    expect((junit.match(/<testcase /g) ?? []).length).toBeGreaterThanOrEqual(3 + 3);
    expect(junit).toContain('name="T001 Write `src/app.txt`"');
  });

  it('a failing phase gate blocks the later phases; a failing final gate fails the run', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'gates:\n  phase: ["test -f src/missing.txt"]\n' });
    const r = await runCli(['run', 'tasks.md', '--junit', 'junit.xml'], repo.dir);
    expect(r.code).toBe(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.status).toBe('done');
    expect(exec.tasks.T003).toMatchObject({
      status: 'blocked',
      error: expect.stringMatching(/^blocked by phase 1 gates/),
    });
    expect(repo.read('junit.xml')).toMatch(/<failure /);
    const report = runFile(repo.dir, 'report.md');
    expect(report).toContain('## Next steps');
    expect(report).toContain('T003');

    const fin = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'gates:\n  final: ["false"]\n' });
    const f = await runCli(['run', 'tasks.md'], fin.dir);
    expect(f.code).toBe(1);
    expect(execution(fin.dir).status).toBe('failed');
    expect(execution(fin.dir).gates.final[0]).toMatchObject({ ok: false, command: 'false' });
    expect(f.stdout).toMatch(/^the final gates failed \(false: exit 1\): 3 done in /m);
    const next = runFile(fin.dir, 'report.md');
    expect(next).toContain('All 3 task(s) of this run are done, but the final gate `false` failed');
    expect(next).toContain('run `taskwave run tasks.md` again: those gates run again');
    expect(next).not.toContain('Nothing to retry');
  });
});

describe("the run's time", () => {
  it('is the whole run, the final gates included, in the summary, the books and report.md alike', async () => {
    // A final gate that takes a while: a time measured before it would leave it out.
    const repo = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'gates:\n  final: ["sleep 0.5"]\n' });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    const journal = repo
      .read('.taskwave/journal.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const at = (e: { time: string } | undefined) => Date.parse(e?.time ?? '');
    const started = journal.find((e) => e.type === 'run-started');
    const finalGate = journal.find((e) => e.type === 'gate-finished' && e.scope.kind === 'final');
    const finished = journal.find((e) => e.type === 'run-finished');
    const ms: number = finished.summary.durationMs;
    // The run's clock starts before its run-started event is stamped and stops after the final gate's.
    expect(ms).toBeGreaterThanOrEqual(at(finalGate) - at(started));
    expect(r.stdout).toContain(`\nall selected tasks done: 3 done in ${formatDuration(ms)}\n`);
    expect(runFile(repo.dir, 'report.md')).toContain(`- Duration: ${formatSpan(ms)}`);
  });
});

describe('report.md of a run of part of the plan', () => {
  it('speaks of the selected tasks only: the rest are for a later run, not unfinished work to resume', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    expect((await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir)).code).toBe(0);
    const report = runFile(repo.dir, 'report.md');
    expect(report).toContain('All 1 task(s) of this run are done. Nothing to retry.');
    expect(report).not.toContain('taskwave resume');
    expect(report).not.toMatch(/\| T002 \|/);
  });
});

describe('phase gates owed from an earlier run', () => {
  it('runs them before the next phase starts, and blocks it until they pass', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      { extraConfig: 'gates:\n  phase:\n    - name: phase ok\n      run: "test -f PHASE_OK"\n' },
    );
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(1);
    expect(execution(repo.dir).tasks.T003.status).toBe('blocked');

    // A dry run says they would run first, and runs nothing.
    const journal = repo.read('.taskwave/journal.jsonl');
    const dry = await runCli(['run', 'tasks.md', '--dry-run'], repo.dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /^would first run the gates of phase 1 \(their last run failed; T003 waits on them\)\nwould run 1 task\(s\)/m,
    );
    expect(repo.read('.taskwave/journal.jsonl')).toBe(journal);

    // Phase 1 is finished now; its gates still fail, so phase 2 must not build on it.
    const again = await runCli(['run', 'tasks.md'], repo.dir);
    expect(again.code).toBe(1);
    const second = execution(repo.dir);
    expect(second.gates.phase['1']).toEqual([expect.objectContaining({ name: 'phase ok', ok: false })]);
    expect(second.tasks.T003).toMatchObject({
      status: 'blocked',
      error: expect.stringMatching(/^blocked by phase 1 gates \(phase ok/),
    });
    expect(starts(repo.agentLog()).filter((e) => e.id === 'T003')).toHaveLength(0);
    expect(again.stdout).toMatch(/^blocked T003 .*: by phase 1 gates \(phase ok: exit 1\)$/m);
    expect(runFile(repo.dir, 'report.md')).toContain('It runs once those gates pass.');
    expect(repo.read('tasks.md')).toContain('- [ ] T003');

    repo.write('PHASE_OK', '');
    repo.git('add', 'PHASE_OK');
    repo.git('commit', '-qm', 'phase 1 fixed');
    const fixed = await runCli(['run', 'tasks.md'], repo.dir);
    expect(fixed.code).toBe(0);
    const third = execution(repo.dir);
    expect(third.gates.phase['1']).toEqual([expect.objectContaining({ ok: true })]);
    expect(third.tasks.T003.status).toBe('done');
  });

  it('a failing gate of the last phase fails the run, and is run again next time until it passes', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      {
        extraConfig:
          'gates:\n  phase:\n    - name: docs ok\n      run: "test ! -f docs/notes.txt || test -f DOCS_OK"\n',
      },
    );
    const first = await runCli(['run', 'tasks.md'], repo.dir);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^the gates of phase 2 failed \(docs ok: exit 1\): 3 done in /m);
    expect(execution(repo.dir).status).toBe('failed');
    expect(runFile(repo.dir, 'report.md')).toContain('but the phase 2 gate `docs ok` failed');
    expect((await runCli(['status'], repo.dir)).stdout).toContain('the phase 2 gate docs ok failed: exit 1');

    // Nothing is left to run, and phase 2's gates still owe a pass.
    const dry = JSON.parse((await runCli(['run', 'tasks.md', '--dry-run', '--json'], repo.dir)).stdout);
    expect(dry).toMatchObject({ run: [], owedPhaseGates: [{ phase: '2', lastRun: 'failed', waiting: [] }] });
    const again = await runCli(['run', 'tasks.md'], repo.dir);
    expect(again.code).toBe(1);
    expect(execution(repo.dir).gates.phase['2']).toEqual([expect.objectContaining({ name: 'docs ok', ok: false })]);

    repo.write('DOCS_OK', '');
    repo.git('add', 'DOCS_OK');
    repo.git('commit', '-qm', 'docs fixed');
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(0);
    expect(execution(repo.dir).gates.phase['2']).toEqual([expect.objectContaining({ ok: true })]);
    // Passed once: not run again.
    const passed = JSON.parse((await runCli(['run', 'tasks.md', '--dry-run', '--json'], repo.dir)).stdout);
    expect(passed.owedPhaseGates).toEqual([]);
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(0);
    expect(execution(repo.dir).gates?.phase?.['2']).toBeUndefined();
  });

  it('runs them for a finished phase named by --phase or --only, with nothing else to run, and fails if they do', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    expect((await runCli(['run', 'tasks.md', '--phase', '1'], repo.dir)).code).toBe(0);
    // Gates added once phase 1 was done: no run of them is on record.
    repo.write(
      'taskwave.yaml',
      `${repo.read('taskwave.yaml')}gates:\n  phase:\n    - name: phase ok\n      run: "test -f PHASE_OK"\n`,
    );
    repo.git('commit', '-qam', 'phase gates');
    const runId = execution(repo.dir).runId;

    const dry = await runCli(['run', 'tasks.md', '--phase', '1', '--dry-run'], repo.dir);
    expect(dry.stdout).toMatch(/^would first run the gates of phase 1 \(the last run did not run them\)$/m);
    const dryJson = JSON.parse(
      (await runCli(['run', 'tasks.md', '--phase', '1', '--dry-run', '--json'], repo.dir)).stdout,
    );
    expect(dryJson.owedPhaseGates).toEqual([{ phase: '1', lastRun: 'not-run', waiting: [] }]);
    expect(execution(repo.dir).runId).toBe(runId);

    const r = await runCli(['run', 'tasks.md', '--phase', '1'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^the gates of phase 1 failed \(phase ok: exit 1\): 0 done, 2 already done in /m);
    expect(execution(repo.dir).gates.phase['1']).toEqual([expect.objectContaining({ name: 'phase ok', ok: false })]);
    expect(runFile(repo.dir, 'report.md')).toContain('No task was left to run, but the phase 1 gate `phase ok` failed');
    expect(starts(repo.agentLog())).toHaveLength(2);

    repo.write('PHASE_OK', '');
    repo.git('add', 'PHASE_OK');
    repo.git('commit', '-qm', 'phase 1 fixed');
    expect((await runCli(['run', 'tasks.md', '--only', 'T001,T002'], repo.dir)).code).toBe(0);
    expect(execution(repo.dir).gates.phase['1']).toEqual([expect.objectContaining({ ok: true })]);
    // They passed in the last run: owed no more.
    expect((await runCli(['run', 'tasks.md', '--phase', '1'], repo.dir)).code).toBe(0);
    expect(execution(repo.dir).gates?.phase?.['1']).toBeUndefined();
  });

  it('does not run them again when the last run saw them pass', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'gates:\n  phase: ["true"]\n' });
    expect((await runCli(['run', 'tasks.md', '--only', 'T001,T002'], repo.dir)).code).toBe(0);
    expect(Object.keys(execution(repo.dir).gates.phase)).toEqual(['1']);
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(0);
    const exec = execution(repo.dir);
    expect(exec.tasks.T003.status).toBe('done');
    expect(Object.keys(exec.gates.phase)).toEqual(['2']);
  });

  it('remembers a pass across runs that did not run them: not owed every other run', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { extraConfig: 'gates:\n  phase: ["true"]\nrepair:\n  attempts: 0\n' });
    expect((await runCli(['run', 'tasks.md', '--only', 'T001,T002'], repo.dir)).code).toBe(0);
    repo.script({ T003: { exit: 1 } });
    // T003 fails twice: the second run's books hold no result of phase 1's gates, which passed before it.
    for (let run = 0; run < 2; run++) {
      expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(1);
      expect(execution(repo.dir).gates?.phase?.['1']).toBeUndefined();
      const dry = JSON.parse((await runCli(['run', 'tasks.md', '--dry-run', '--json'], repo.dir)).stdout);
      expect(dry.owedPhaseGates).toEqual([]);
    }
    // Named, they owe nothing either: their last run passed.
    expect((await runCli(['run', 'tasks.md', '--phase', '1', '--dry-run'], repo.dir)).stdout).not.toContain(
      'would first run the gates',
    );
  });
});

describe('budgets, --fail-fast and checklists', () => {
  it('stops starting tasks once budget.usd is reached, and says so', async () => {
    const fake = join(REPO_ROOT, 'test/fixtures/agent-output/fake-agent.mjs');
    const output = join(REPO_ROOT, 'test/fixtures/agent-output/claude.jsonl');
    const repo = makeRepo(
      { 'tasks.md': '# Tasks\n\n- [ ] T001 one\n- [ ] T002 two\n- [ ] T003 three\n' },
      {
        config: `agent: claude\nconcurrency: 1\nbudget:\n  usd: 0.01\nagents:\n  claude:\n    bin: ${fake}\n    env:\n      FAKE_AGENT_OUTPUT: ${output}\n`,
      },
    );
    const r = await runCli(['run', 'tasks.md', '--allow-empty'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('taskwave: stopping: the budget of $0.01 (budget.usd) was reached ($0.04 spent)');
    // Nothing failed: the summary says why the run stopped, not that tasks failed.
    expect(r.stdout).toMatch(
      /^stopped: the budget of \$0\.01 \(budget\.usd\) was reached \(\$0\.04 spent\): 1 done, 2 not started in /m,
    );
    expect(r.stdout).not.toContain('some tasks failed');
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.status).toBe('done');
    expect(exec.tasks.T001.usage.costUsd).toBeCloseTo(0.0421, 6);
    expect(exec.tasks.T002.status).toBe('pending');
    expect(exec.stopReason).toMatch(/^the budget of \$0\.01 \(budget\.usd\) was reached/);
  });

  it('--fail-fast stops everything at the first failure', async () => {
    const repo = makeRepo({ 'tasks.md': '# Tasks\n\n- [ ] T001 [P] one\n- [ ] T002 [P] two\n- [ ] T003 [P] three\n' });
    repo.script({ T001: { exit: 1 }, T002: { sleepMs: 3000 }, T003: { sleepMs: 3000 } });
    const r = await runCli(['run', 'tasks.md', '--fail-fast', '-c', '2'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('taskwave: stopping: --fail-fast: T001 failed');
    const exec = execution(repo.dir);
    expect(exec.tasks.T002.status).toBe('cancelled');
    expect(exec.tasks.T003.status).toBe('pending');
  });

  it("refuses to start while the spec's checklists have unticked items, unless --ignore-checklists", async () => {
    const repo = makeRepo({
      'specs/001-x/tasks.md': PLAN,
      'specs/001-x/checklists/requirements.md':
        '# Requirements checklist\n\n- [x] Scope is clear\n- [ ] Edge cases listed\n',
    });
    const r = await runCli(['run', 'specs/001-x/tasks.md'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('specs/001-x/checklists/requirements.md:4:');
    expect(r.stderr).toContain('checklist item not done: Edge cases listed');
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
    const ok = await runCli(['run', 'specs/001-x/tasks.md', '--ignore-checklists'], repo.dir);
    expect(ok.code).toBe(0);
  });
});
