import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events.js';
import { formatDiagnostic } from '../../src/plan/diagnostic.js';
import { applyEvent, type ExecutionState, loadExecution, readExecution } from '../../src/state/execution.js';
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
