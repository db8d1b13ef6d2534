import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskLogs } from '../../src/state/task-logs.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'taskwave-logs-'));
  dirs.push(d);
  return d;
};

/** Resolves once the event loop has had a turn (a stream's write error arrives asynchronously). */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('TaskLogs', () => {
  it("writes each task's output as JSON lines", async () => {
    const logs = new TaskLogs(tmp(), 'run1');
    logs.log({ type: 'task-started', taskId: 'T1', title: 'one', attempt: 1, agent: 'a' });
    logs.log({ type: 'task-output', taskId: 'T1', stream: 'stdout', line: 'hello' });
    logs.log({ type: 'task-succeeded', taskId: 'T1', title: 'one', durationMs: 1 });
    await settle();
    const lines = readFileSync(logs.pathFor('T1'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map(({ t: _, ...rest }) => rest)).toEqual([
      { event: 'start', attempt: 1, agent: 'a' },
      { out: 'hello' },
      { event: 'succeeded' },
    ]);
  });

  it('tells once when a log cannot be written, and the run goes on without its logs', async () => {
    const warnings: string[] = [];
    const logs = new TaskLogs(tmp(), 'run1', (m) => warnings.push(m));
    // A folder where T1's log file would go: opening it fails after the call returns, as a full disk's write does.
    mkdirSync(logs.pathFor('T1'), { recursive: true });
    logs.log({ type: 'task-started', taskId: 'T1', title: 'one', attempt: 1, agent: 'a' });
    logs.log({ type: 'task-output', taskId: 'T1', stream: 'stdout', line: 'hello' });
    await settle();
    logs.log({ type: 'task-started', taskId: 'T2', title: 'two', attempt: 1, agent: 'a' });
    logs.log({ type: 'task-succeeded', taskId: 'T1', title: 'one', durationMs: 1 });
    await settle();
    logs.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^could not write the agents' logs in .*run1 \(EISDIR.*\); the run goes on without them$/,
    );
  });

  it('tells it when the folder for the logs cannot be made', () => {
    const warnings: string[] = [];
    const root = tmp();
    const logs = new TaskLogs(join(root, 'no', 'such'), 'run1', (m) => warnings.push(m));
    // A file where the folder would go.
    writeFileSync(join(root, 'no'), '');
    logs.log({ type: 'task-started', taskId: 'T1', title: 'one', attempt: 1, agent: 'a' });
    expect(warnings).toEqual([expect.stringMatching(/^could not write the agents' logs in .* \(ENOTDIR/)]);
  });
});
