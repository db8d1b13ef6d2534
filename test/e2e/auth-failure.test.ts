import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, runCli } from '../support/repo.js';

/*
 * An agent that cannot authenticate (a wrong or expired key, a CLI logged out) would fail every task
 * the same way: the run stops on the first, as a usage limit beyond `usageLimit.wait` stops it,
 * resumable, and says what to fix.
 */

const execution = (dir: string) => JSON.parse(readFileSync(join(dir, '.taskwave', 'execution.json'), 'utf8'));
const runFile = (dir: string, name: string) =>
  readFileSync(join(dir, '.taskwave', 'runs', execution(dir).runId, name), 'utf8');

/** A key-shaped value the agent repeats in its error: it must not reach the terminal or the books. */
const KEY = 'sk-ant-api03-Zq8xLm2Rt5Vw9Yb3Nc6Hf1Jk4Pd7Sg0TuEaXoIqWvBn';

describe('an agent that cannot authenticate', () => {
  it('stops the run at the first task, leaves the rest pending, says what to fix, and a run after the fix goes on', async () => {
    const repo = makeRepo({ 'tasks.md': '# Tasks\n\n- [ ] T001 one\n- [ ] T002 two\n- [ ] T003 three\n' });
    // The scripted agent's config gets the key, as a user's agents.NAME.env would.
    repo.write(
      'taskwave.yaml',
      repo.read('taskwave.yaml').replace('    env:\n', `    env:\n      ANTHROPIC_API_KEY: ${KEY}\n`),
    );
    repo.git('commit', '-qam', 'key');
    // Every run of the agent fails as Claude Code does with a wrong key.
    repo.script({ '*': { exit: 1, stderr: `Error: Invalid API key ${KEY} · Please run /login` } });

    // One at a time: whether a second agent process starts after the first met it is the question.
    const r = await runCli(['run', 'tasks.md', '--concurrency', '1'], repo.dir);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^auth {4}T001 scripted: Error: Invalid API key \S+ · Please run \/login; stopping$/m);
    expect(r.stdout).toMatch(
      /^taskwave: stopping: scripted could not authenticate \(Error: Invalid API key \S+ · Please run \/login\): check the agent's API key \(in the environment or its agents\.NAME\.env\), or log it in, then run again$/m,
    );
    expect(r.stdout).toMatch(
      /^stopped: scripted could not authenticate .*: 0 done, 1 not finished, 2 not started in /m,
    );
    expect(r.stdout).not.toContain('some tasks failed');

    // No other agent process started; the task that met it is not failed, the others are pending.
    const starts = repo.agentLog().filter((e) => e.event === 'start');
    expect(starts.map((e) => e.id)).toEqual(['T001']);
    const exec = execution(repo.dir);
    expect(exec.status).toBe('failed');
    expect(exec.tasks.T001).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(exec.tasks.T001.error).toMatch(/^stopped: its agent could not authenticate: Error: Invalid API key/);
    expect(exec.tasks.T002.status).toBe('pending');
    expect(exec.tasks.T003.status).toBe('pending');
    expect(exec.overall).toMatchObject({ failed: 0, done: 0 });
    // Not a limit that holds later runs back: the next one tries the agent again.
    expect(exec.agentLimits).toBeUndefined();
    expect(repo.read('tasks.md')).toContain('- [ ] T001');

    // report.md, status.md and `taskwave status` say why and what next.
    expect(runFile(repo.dir, 'report.md')).toMatch(
      /^- Status: \*\*failed\*\* — stopped early: scripted could not authenticate \(.*\): check the agent's API key/m,
    );
    expect(runFile(repo.dir, 'report.md')).toMatch(/3 task\(s\) did not finish .*Continue the run with:/);
    expect(runFile(repo.dir, 'status.md')).toMatch(/^- Stopping: scripted could not authenticate/m);
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toMatch(/^stopped: scripted could not authenticate \(.*\): .*, then run again$/m);
    expect(status.stdout).toMatch(/cancelled T001 one — stopped: its agent could not authenticate/);

    // The key itself is nowhere.
    for (const text of [
      r.stdout,
      r.stderr,
      status.stdout,
      runFile(repo.dir, 'report.md'),
      readFileSync(join(repo.dir, '.taskwave', 'journal.jsonl'), 'utf8'),
    ]) {
      expect(text).not.toContain(KEY);
    }

    // The key fixed: the next run runs them all.
    repo.script({});
    const after = await runCli(['run', 'tasks.md'], repo.dir);
    expect(after.code, after.stdout).toBe(0);
    const done = execution(repo.dir);
    for (const id of ['T001', 'T002', 'T003']) expect(done.tasks[id].status).toBe('done');
    expect(done.tasks.T001.attempts).toBe(2);
  });
});
