import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/processes.js';
import { type AgentLogEntry, makeRepo, REPO_ROOT, runCli, SCRIPTED_AGENT, startCli } from '../support/repo.js';

/*
 * An agent's usage limit ("You've hit your limit · resets 3pm") is not the task's failure: the run
 * waits for the reset, starting nothing else on that agent meanwhile, or stops, resumable, when the
 * reset is further off than `usageLimit.wait`.
 */

const execution = (dir: string) => JSON.parse(readFileSync(join(dir, '.taskwave', 'execution.json'), 'utf8'));
const journal = (dir: string) =>
  readFileSync(join(dir, '.taskwave', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
/** The run's status.md as it is now ('' before it is written). */
const statusMdOf = (dir: string) => {
  try {
    return readFileSync(join(dir, '.taskwave', 'runs', execution(dir).runId, 'status.md'), 'utf8');
  } catch {
    return '';
  }
};
const starts = (log: AgentLogEntry[], id: string) => log.filter((e) => e.event === 'start' && e.id === id);

/** A second agent, `writer` (the scripted agent too), for the tasks about docs. */
const WRITER = `  writer:\n    command: ["${process.execPath}", "${SCRIPTED_AGENT}"]\nrouting:\n  - words: [docs]\n    agent: writer\n`;
/** The writer's script and log are the scripted agent's: it takes them from taskwave's environment. */
const writerEnv = (dir: string) => ({
  SCRIPTED_AGENT_SCRIPT: join(dir, '.agent-script.json'),
  SCRIPTED_AGENT_LOG: join(dir, '.agent-log.jsonl'),
});

describe('usage limits', () => {
  it('waits for the limit to reset, starts nothing on that agent meanwhile, then runs the task again', async () => {
    const repo = makeRepo(
      { 'tasks.md': '# Tasks\n\n## Phase 1\n\n- [ ] T001 [P] one\n- [ ] T002 [P] two\n- [ ] T003 [P] three\n' },
      { extraConfig: 'retry:\n  attempts: 0\n' },
    );
    repo.script({
      '*': { sleepMs: 100 },
      // Codex's error, with a reset two seconds away; the second run works.
      T001: {
        failRuns: 1,
        sleepMs: 10,
        stderr:
          '{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":6}}',
      },
    });
    const run = startCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir);
    // While it waits, the books, status.md (rewritten a moment after each event) and `taskwave status`
    // say what for and until when.
    const waitingLine = /^- `T001` one: .*, attempt 1, scripted; waiting for scripted's usage limit to reset, until /m;
    await waitFor('status.md to show the wait', () => waitingLine.test(statusMdOf(repo.dir)));
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toMatch(/running +T001 one — waiting for scripted's usage limit to reset, until \d\d:\d\d/);
    const r = await run.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const exec = execution(repo.dir);
    for (const id of ['T001', 'T002', 'T003']) expect(exec.tasks[id].status).toBe('done');
    // Waiting for a limit is neither a retry (there are none here) nor a repair, nor a new attempt.
    expect(exec.tasks.T001).toMatchObject({ attempts: 1 });
    expect(exec.tasks.T001.retries).toBeUndefined();
    expect(exec.tasks.T001.repairs).toBeUndefined();
    expect(exec.tasks.T001.waitingUntil).toBeUndefined();

    const limit = journal(repo.dir).find((e) => e.type === 'usage-limit');
    expect(limit).toMatchObject({
      taskId: 'T001',
      agent: 'scripted',
      message: expect.stringContaining('usage_limit_reached'),
    });
    const log = repo.agentLog();
    const [first, second] = starts(log, 'T001');
    expect(second).toBeDefined();
    // The reset was said to be 6 s after the agent's run: the pause lasts that long.
    expect(limit.until - (first as AgentLogEntry).time).toBeGreaterThanOrEqual(5900);
    expect((second as AgentLogEntry).time).toBeGreaterThanOrEqual(limit.until);
    // T002 was already running; T003 had a free slot all along, but waited for the reset.
    expect((starts(log, 'T002')[0] as AgentLogEntry).time).toBeLessThan(limit.until);
    expect((starts(log, 'T003')[0] as AgentLogEntry).time).toBeGreaterThanOrEqual(limit.until);
    expect(r.stdout).toMatch(/^limit {3}T001 scripted: .*usage_limit_reached.*; waiting until \d\d:\d\d \(\d/m);
    // The report says what T001's long time went on.
    const report = readFileSync(join(repo.dir, '.taskwave', 'runs', exec.runId, 'report.md'), 'utf8');
    expect(report).toMatch(
      /^## Usage limits\n\n- `T001` one: waited \ds for scripted's usage limit to reset; ended done\.$/m,
    );
  });

  it('stops the run, resumable, when the limit resets later than usageLimit.wait', async () => {
    const repo = makeRepo({ 'tasks.md': '# Tasks\n\n- [ ] T001 one\n- [ ] T002 two\n' });
    repo.script({
      T001: {
        failRuns: 1,
        stderr:
          "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 3 days 2 hours 5 minutes.",
      },
    });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^taskwave: stopping: scripted reached its usage limit \(it resets [A-Z][a-z]{2} \d+ \d\d:\d\d\), beyond usageLimit\.wait \(6h00m\): resume the run once it resets$/m,
    );
    // The limit's line comes first, then the stop it causes.
    expect(r.stdout.indexOf('limit   T001')).toBeLessThan(r.stdout.indexOf('taskwave: stopping'));
    expect(r.stdout).toMatch(
      /^stopped: scripted reached its usage limit .*: 0 done, 1 not finished, 1 not started in /m,
    );
    expect(r.stdout).not.toContain('some tasks failed');
    let exec = execution(repo.dir);
    // Not failed: it did not get to run. Nothing else started.
    expect(exec.tasks.T001).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(exec.tasks.T001.error).toMatch(/^stopped by its agent's usage limit: .*You've hit your usage limit/);
    expect(exec.tasks.T002.status).toBe('pending');
    expect(starts(repo.agentLog(), 'T002')).toHaveLength(0);
    expect(repo.read('tasks.md')).toContain('- [ ] T001');
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toMatch(
      /^scripted's usage limit holds until [A-Z][a-z]{2} \d+ \d\d:\d\d: a run started before then starts nothing on it until then$/m,
    );

    // Resumed before the reset: the limit still stands, days off; the run stops at once, starting nothing.
    const early = await runCli(['resume'], repo.dir);
    expect(early.code).toBe(1);
    expect(early.stdout).toMatch(/^limit {3}scripted \(met by an earlier run\): .*try again in 3 days.*; stopping$/m);
    expect(early.stdout).toMatch(
      /^taskwave: stopping: scripted reached its usage limit \(it resets .+\), beyond usageLimit\.wait/m,
    );
    expect(starts(repo.agentLog(), 'T001')).toHaveLength(1);
    expect(starts(repo.agentLog(), 'T002')).toHaveLength(0);
    exec = execution(repo.dir);
    expect(exec.tasks.T001).toMatchObject({ status: 'pending', attempts: 1 });
    expect(exec.agentLimits.scripted.message).toContain('try again in 3 days');
  });

  it('a run started again before a reset an earlier run met waits for it, starting nothing on that agent, and goes on after', async () => {
    const repo = makeRepo(
      { 'tasks.md': '# Tasks\n\n- [ ] T001 one\n- [ ] T002 two\n' },
      { extraConfig: 'retry:\n  attempts: 0\n' },
    );
    repo.script({
      T001: { failRuns: 1, stderr: "■ You've hit your usage limit. Upgrade to Pro or try again in 6 seconds." },
    });
    // Stopped (Ctrl-C) while T001 waits for the reset.
    const first = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor('the limit', () => /^limit {3}T001/m.test(first.output()));
    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
    const limit = journal(repo.dir).find((e) => e.type === 'usage-limit');
    expect(execution(repo.dir).agentLimits.scripted).toMatchObject({ until: new Date(limit.until).toISOString() });

    const again = Date.now();
    expect(again).toBeLessThan(limit.until);
    const second = startCli(['run', 'tasks.md'], repo.dir);
    await waitFor('the limit carried over', () =>
      /^limit {3}scripted \(met by an earlier run\)/m.test(second.output()),
    );
    expect(second.output()).toMatch(
      /^limit {3}scripted \(met by an earlier run\): .*try again in 6 seconds\.; waiting until \d\d:\d\d \(\d/m,
    );
    // `taskwave status` and status.md say what the run waits for.
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toMatch(
      /^waiting for scripted's usage limit to reset, until \d\d:\d\d: nothing starts on it before$/m,
    );
    const waiting =
      /^- Waiting: for scripted's usage limit to reset, until .* from now\); nothing starts on it before$/m;
    await waitFor('status.md to show the wait', () => waiting.test(statusMdOf(repo.dir)));
    const r = await second.done;
    expect(r.code, r.stdout).toBe(0);
    // No agent started before the reset; both tasks ran after it.
    const later = repo.agentLog().filter((e) => e.event === 'start' && e.time >= again);
    expect(later.map((e) => e.id).sort()).toEqual(['T001', 'T002']);
    for (const e of later) expect(e.time).toBeGreaterThanOrEqual(limit.until);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001).toMatchObject({ status: 'done', attempts: 2 });
    // The agent got through: the limit is behind it.
    expect(exec.agentLimits).toBeUndefined();
  });

  it('a reset an earlier run met beyond usageLimit.wait stops the runs started before it, and not those after', async () => {
    const repo = makeRepo(
      { 'tasks.md': '# Tasks\n\n- [ ] T001 one\n' },
      { extraConfig: 'usageLimit:\n  wait: 1s\nretry:\n  attempts: 0\n' },
    );
    repo.script({
      T001: { failRuns: 1, stderr: "■ You've hit your usage limit. Upgrade to Pro or try again in 4 seconds." },
    });
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(1);
    const resetsAt = journal(repo.dir).find((e) => e.type === 'usage-limit').resetsAt as number;
    const early = await runCli(['run', 'tasks.md'], repo.dir);
    expect(early.code).toBe(1);
    expect(early.stdout).toMatch(
      /^taskwave: stopping: scripted reached its usage limit .*beyond usageLimit\.wait \(1\.0s\)/m,
    );
    expect(starts(repo.agentLog(), 'T001')).toHaveLength(1);

    await waitFor('the reset', () => Date.now() > resetsAt, 10_000);
    const after = await runCli(['run', 'tasks.md'], repo.dir);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).not.toContain('limit   ');
    expect(starts(repo.agentLog(), 'T001')).toHaveLength(2);
  });

  it("reads Claude Code's limit from its result, and usageLimit.wait: 0 never waits", async () => {
    const fake = join(REPO_ROOT, 'test/fixtures/agent-output/fake-agent.mjs');
    const output = join(REPO_ROOT, 'test/fixtures/agent-output/claude-usage-limit.jsonl');
    const repo = makeRepo(
      { 'tasks.md': '# Tasks\n\n- [ ] T001 one\n- [ ] T002 two\n' },
      {
        config: `agent: claude\nconcurrency: 1\nusageLimit:\n  wait: 0\nagents:\n  claude:\n    bin: ${fake}\n    env:\n      FAKE_AGENT_OUTPUT: ${output}\n      FAKE_AGENT_EXIT: "1"\n`,
      },
    );
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^limit {3}T001 claude: Claude AI usage limit reached\|4102444800; stopping$/m);
    expect(r.stdout).toMatch(
      /reached its usage limit \(it resets .+\), and usageLimit\.wait is 0: resume the run once it resets/,
    );
    const exec = execution(repo.dir);
    expect(exec.tasks.T001.status).toBe('cancelled');
    expect(exec.tasks.T002.status).toBe('pending');
    const limit = journal(repo.dir).find((e) => e.type === 'usage-limit');
    expect(limit.resetsAt).toBe(4102444800 * 1000);
    expect(limit.until).toBeUndefined();
  });

  it("lends the waiting task's slot to another agent's tasks, but not in place, where the tree is the task's", async () => {
    const plan = '# Tasks\n\n- [ ] T001 [P] one\n- [ ] T002 [P] write the docs\n';
    const limited = {
      T001: { failRuns: 1, stderr: "■ You've hit your usage limit. Upgrade to Pro or try again in 3 seconds." },
    };
    const repo = makeRepo({ 'tasks.md': plan }, { extraConfig: `${WRITER}retry:\n  attempts: 0\n` });
    repo.script(limited);
    const r = await runCli(['run', 'tasks.md', '--concurrency', '1'], repo.dir, writerEnv(repo.dir));
    expect(r.code).toBe(0);
    const limit = journal(repo.dir).find((e) => e.type === 'usage-limit');
    expect(limit).toMatchObject({ taskId: 'T001', agent: 'scripted' });
    const log = repo.agentLog();
    // One slot: the writer's task ran in it while T001 waited, and T001 then ran its agent again.
    expect(starts(log, 'T001')).toHaveLength(2);
    expect((starts(log, 'T002')[0] as AgentLogEntry).time).toBeLessThan(limit.until);
    expect(execution(repo.dir).tasks.T002).toMatchObject({ status: 'done', agent: 'writer' });

    // In place, another task would work in the tree the waiting one has changes in: it waits too.
    const inPlace = makeRepo({ 'tasks.md': plan }, { extraConfig: `${WRITER}retry:\n  attempts: 0\n` });
    inPlace.script(limited);
    const p = await runCli(['run', 'tasks.md', '--in-place'], inPlace.dir, writerEnv(inPlace.dir));
    expect(p.code).toBe(0);
    const t1 = starts(inPlace.agentLog(), 'T001');
    expect(t1).toHaveLength(2);
    expect((starts(inPlace.agentLog(), 'T002')[0] as AgentLogEntry).time).toBeGreaterThan(
      (t1[1] as AgentLogEntry).time,
    );
  });

  it('a limit that stops the run while the agent resolves a merge conflict leaves the task cancelled, not a conflict', async () => {
    // A reset beyond the wait stops the run; a short one, for the run after it to go on.
    const repo = makeRepo(
      {
        'tasks.md':
          '# Tasks\n\n- [ ] T001 [P] Write the first note\n- [ ] T002 [P] Write the second note\n- [ ] T003 Write the third note\n',
        'a.txt': 'base\n',
      },
      { extraConfig: 'usageLimit:\n  wait: 1s\n' },
    );
    repo.script({
      T001: { sleepMs: 100, write: { 'a.txt': 'from T001\n' } },
      T002: {
        sleepMs: 600,
        write: { 'a.txt': 'from T002\n' },
        onConflict: {
          exit: 1,
          stderr: "■ You've hit your usage limit. Upgrade to Pro or try again in 2 seconds.",
        },
      },
    });
    const r = await runCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^stopped: scripted reached its usage limit .*: 1 done, 1 not finished, 1 not started in /m,
    );
    const exec = execution(repo.dir);
    // Its agent did not get to resolve the conflict: nothing failed, and T003 may still run.
    expect(exec.tasks.T002).toMatchObject({ status: 'cancelled' });
    expect(exec.tasks.T002.error).toMatch(/^stopped by its agent's usage limit: /);
    expect(exec.tasks.T003.status).toBe('pending');
    expect(r.stdout).toContain(`warning: the work T002 did is kept on branch taskwave/${exec.runId}/T002`);

    repo.script({});
    const resetsAt = journal(repo.dir).find((e) => e.type === 'usage-limit').resetsAt as number;
    await waitFor('the reset', () => Date.now() > resetsAt);
    const resumed = await runCli(['resume'], repo.dir);
    expect(resumed.code).toBe(0);
    const after = execution(repo.dir);
    expect(after.tasks.T002.status).toBe('done');
    expect(after.tasks.T003.status).toBe('done');
  });

  it('a run that stops starting tasks stops waiting for a limit too, and says what stopped it', async () => {
    const repo = makeRepo(
      { 'tasks.md': '# Tasks\n\n- [ ] T001 [P] one\n- [ ] T002 [P] write the docs\n' },
      { extraConfig: `${WRITER}retry:\n  attempts: 0\n` },
    );
    repo.script({
      T001: { failRuns: 1, stderr: "■ You've hit your usage limit. Upgrade to Pro or try again in 20 seconds." },
      // The writer's limit is days off: the run stops, and T001 need not wait for its own reset.
      T002: { failRuns: 1, sleepMs: 1000, stderr: "■ You've hit your usage limit. Try again in 3 days." },
    });
    const r = await runCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir, writerEnv(repo.dir));
    expect(r.code).toBe(1);
    expect(starts(repo.agentLog(), 'T001')).toHaveLength(1);
    const exec = execution(repo.dir);
    expect(exec.tasks.T001).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(exec.tasks.T001.error).toMatch(
      /^stopped while it waited for its agent's usage limit to reset: .*20 seconds/,
    );
    expect(exec.tasks.T002.error).toMatch(/^stopped by its agent's usage limit: .*3 days/);
    // The wait it did not finish is not counted as waited.
    const report = readFileSync(join(repo.dir, '.taskwave', 'runs', exec.runId, 'report.md'), 'utf8');
    expect(report).toMatch(/^- `T001` one: waited (<1s|\ds) for scripted's usage limit to reset; ended cancelled\.$/m);
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toMatch(
      /^stopped: writer reached its usage limit \(it resets .+\), beyond usageLimit\.wait/m,
    );
  });
});
