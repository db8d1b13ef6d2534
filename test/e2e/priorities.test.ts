import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecutionState } from '../../src/state/execution.js';
import { makeRepo, runCli } from '../support/repo.js';

const PLAN = `# Tasks: demo

## Phase 1: Setup

- [ ] T001 [P] Write \`src/quick.txt\`
- [ ] T002 [P] Write \`src/slow.txt\`
`;

describe('priorities from past durations', () => {
  it('starts the task that took longest last time first when the run is done again', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    // Both fail the first time, after very different times; the second time both succeed.
    repo.script({ T001: { failRuns: 1, sleepMs: 50 }, T002: { failRuns: 1, sleepMs: 1500 } });
    const planOf = async () => JSON.parse((await runCli(['plan', 'tasks.md', '--json'], repo.dir)).stdout);
    const before = await planOf();
    expect(before.waves).toEqual([['T001', 'T002']]);
    // Nothing known yet: the two tie, and plan order picks T001.
    expect(before.criticalPath).toEqual(['T001']);

    const first = await runCli(['run', 'tasks.md', '--concurrency', '1'], repo.dir);
    expect(first.code).toBe(1);
    const books = JSON.parse(readFileSync(join(repo.dir, '.taskwave', 'execution.json'), 'utf8')) as ExecutionState;
    expect(books.tasks.T001?.status).toBe('failed');
    expect(books.tasks.T002?.status).toBe('failed');
    expect(books.tasks.T002?.durationMs).toBeGreaterThan((books.tasks.T001?.durationMs ?? 0) + 1000);

    // The plan and a dry run already see it.
    expect((await planOf()).criticalPath).toEqual(['T002']);
    const dry = await runCli(['run', 'tasks.md', '--concurrency', '1', '--dry-run', '--json'], repo.dir);
    expect(JSON.parse(dry.stdout).run).toEqual(['T002', 'T001']);

    const second = await runCli(['run', 'tasks.md', '--concurrency', '1'], repo.dir);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const starts = repo.agentLog().filter((e) => e.event === 'start');
    const runs = [...new Set(starts.map((e) => e.runId))];
    expect(runs).toHaveLength(2);
    const order = (runId: string | undefined) => starts.filter((e) => e.runId === runId).map((e) => e.id);
    expect(order(runs[0])).toEqual(['T001', 'T002']);
    expect(order(runs[1])).toEqual(['T002', 'T001']);
    // The first run's figures stay on the books beside the new ones: an attempt cut short later
    // does not erase what a task is known to take.
    const after = JSON.parse(readFileSync(join(repo.dir, '.taskwave', 'execution.json'), 'utf8')) as ExecutionState;
    expect(after.tasks.T002?.lastDurationMs).toBe(books.tasks.T002?.durationMs);
    expect(after.tasks.T001?.lastDurationMs).toBe(books.tasks.T001?.durationMs);
  }, 60_000);
});
