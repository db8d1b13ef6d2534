import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events.js';
import { formatDiagnostic } from '../../src/plan/diagnostic.js';
import {
  applyEvent,
  type ExecutionState,
  loadExecution,
  readExecution,
  standingLimit,
} from '../../src/state/execution.js';
import { stateWith } from '../report/fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The state folder with `execution.json` holding `text` (nothing when undefined) and no journal. */
function books(text: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-exec-'));
  dirs.push(dir);
  const execution = join(dir, 'execution.json');
  if (text !== undefined) writeFileSync(execution, text);
  return { execution, journal: join(dir, 'journal.jsonl') };
}

describe('readExecution', () => {
  it('tells no snapshot from an unreadable one', () => {
    const none = books(undefined);
    expect(readExecution(none.execution, none.journal)).toEqual({ ok: true, value: undefined });

    const torn = books('{\n  "version": 1,\n  garbage\n');
    const r = readExecution(torn.execution, torn.journal);
    if (r.ok) throw new Error('read');
    expect(formatDiagnostic(r.error)).toMatch(
      /execution\.json:3:3: error: the last run's state is unreadable \(invalid JSON: unexpected character\)/,
    );
    // Callers that only want a state to build on still get none, as before.
    expect(loadExecution(torn.execution, torn.journal)).toBeUndefined();
  });

  it('refuses JSON that is no snapshot instead of throwing on it', () => {
    for (const [text, why] of [
      ['null', 'it is not a JSON object'],
      ['[]', 'it is not a JSON object'],
      ['{"version": 2}', 'version 2 is not one this taskwave reads'],
      ['{"version": 1, "runId": "r", "plan": {}}', 'it holds no tasks'],
    ] as const) {
      const b = books(text);
      const r = readExecution(b.execution, b.journal);
      if (r.ok) throw new Error(`read ${text}`);
      expect(r.error.message).toContain(why);
    }
  });
});

describe('inPlaceStart', () => {
  const state = (): ExecutionState =>
    stateWith(
      Object.fromEntries(['T1', 'T2'].map((id) => [id, { title: id, status: 'pending' as const, attempts: 0 }])),
      { status: 'running' },
    );
  const apply = (s: ExecutionState, e: RunEvent) => applyEvent(s, { ...e, time: 't', runId: 'r' });
  const started = (taskId: string, base?: string): RunEvent => ({
    type: 'task-started',
    taskId,
    title: taskId,
    attempt: 1,
    agent: 'a',
    ...(base ? { base } : {}),
  });

  const failed = (taskId: string): RunEvent => ({
    type: 'task-failed',
    taskId,
    title: taskId,
    durationMs: 1,
    message: 'x',
    error: { reason: 'unverified', message: 'x' },
  });

  it('keeps the last task started in place with its base until that task is done', () => {
    const s = state();
    apply(s, started('T1', 'tree1'));
    expect(s.inPlaceStart).toEqual({ taskId: 'T1', base: 'tree1' });
    apply(s, failed('T1'));
    expect(s.inPlaceStart).toEqual({ taskId: 'T1', base: 'tree1' });
    apply(s, started('T2', 'tree2'));
    apply(s, { type: 'task-succeeded', taskId: 'T1', title: 'T1', durationMs: 1 });
    expect(s.inPlaceStart).toEqual({ taskId: 'T2', base: 'tree2' });
    apply(s, { type: 'task-succeeded', taskId: 'T2', title: 'T2', durationMs: 1 });
    expect(s.inPlaceStart).toBeUndefined();
  });

  it("keeps what an unfinished task left: its base and the next task's, until it is done", () => {
    const s = state();
    apply(s, started('T1', 'tree1'));
    apply(s, failed('T1'));
    apply(s, started('T2', 'tree2'));
    expect(s.tasks.T1?.inPlaceLeft).toEqual({ base: 'tree1', tree: 'tree2' });
    // T2 finished: nothing of its is left over.
    apply(s, { type: 'task-succeeded', taskId: 'T2', title: 'T2', durationMs: 1 });
    apply(s, started('T1', 'tree3'));
    expect(s.tasks.T2?.inPlaceLeft).toBeUndefined();
    expect(s.tasks.T1?.inPlaceLeft).toEqual({ base: 'tree1', tree: 'tree2' });
    apply(s, { type: 'task-succeeded', taskId: 'T1', title: 'T1', durationMs: 1 });
    expect(s.tasks.T1?.inPlaceLeft).toBeUndefined();
  });

  it('forgets it when a task starts with no base (in a worktree: what it merges changes the tree)', () => {
    const s = state();
    apply(s, started('T1', 'tree1'));
    expect(s.inPlaceStart).toEqual({ taskId: 'T1', base: 'tree1' });
    apply(s, started('T2'));
    expect(s.inPlaceStart).toBeUndefined();
  });
});

describe('agentLimits', () => {
  const H = 3_600_000;
  const apply = (s: ExecutionState, e: RunEvent) => applyEvent(s, { ...e, time: new Date().toISOString(), runId: 'r' });
  const state = (): ExecutionState =>
    stateWith(
      Object.fromEntries(['T1', 'T2'].map((id) => [id, { title: id, status: 'pending' as const, attempts: 0 }])),
      { status: 'running' },
    );
  const start = (taskId: string, agent: string): RunEvent => ({
    type: 'task-started',
    taskId,
    title: taskId,
    attempt: 1,
    agent,
  });

  it("keeps each agent's limit, cancelled tasks and all, until a run of that agent gets through", () => {
    const s = state();
    const now = Date.now();
    apply(s, start('T1', 'claude'));
    apply(s, start('T2', 'codex'));
    apply(s, {
      type: 'usage-limit',
      taskId: 'T1',
      agent: 'claude',
      message: 'limit',
      resetsAt: now + H,
      until: now + H + 60_000,
    });
    apply(s, { type: 'usage-limit', taskId: 'T2', agent: 'codex', message: 'weekly', resetsAt: now + 72 * H });
    apply(s, { type: 'task-cancelled', taskId: 'T1', title: 'T1' });
    expect(s.agentLimits).toEqual({
      claude: {
        message: 'limit',
        resetsAt: new Date(now + H).toISOString(),
        until: new Date(now + H + 60_000).toISOString(),
      },
      codex: { message: 'weekly', resetsAt: new Date(now + 72 * H).toISOString() },
    });
    // A failed run of the agent says nothing of its limit; one that got through does.
    apply(s, { type: 'agent-finished', taskId: 'T2', attempt: 1, ok: false });
    expect(Object.keys(s.agentLimits ?? {})).toEqual(['claude', 'codex']);
    apply(s, { type: 'agent-finished', taskId: 'T2', attempt: 1, ok: true });
    expect(Object.keys(s.agentLimits ?? {})).toEqual(['claude']);
    apply(s, start('T1', 'claude'));
    apply(s, { type: 'agent-finished', taskId: 'T1', attempt: 2, ok: true });
    expect(s.agentLimits).toBeUndefined();
  });

  it('holds the agent back until the later of its pause and its reset, while that is to come', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const limit = { message: 'm', resetsAt: '2026-01-01T13:00:00Z', until: '2026-01-01T13:01:00Z' };
    expect(standingLimit(limit, now)).toBe(Date.parse('2026-01-01T13:01:00Z'));
    expect(standingLimit({ message: 'm', resetsAt: '2026-01-01T13:00:00Z' }, now)).toBe(
      Date.parse('2026-01-01T13:00:00Z'),
    );
    expect(standingLimit(limit, Date.parse('2026-01-01T13:01:00Z'))).toBeUndefined();
    // Nothing said when: no pause to carry over.
    expect(standingLimit({ message: 'm' }, now)).toBeUndefined();
  });
});
