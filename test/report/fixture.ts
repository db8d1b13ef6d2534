import type { GateResult } from '../../src/gates/types.js';
import type { ReportPlan } from '../../src/report/report-md.js';
import { computeOverall, type ExecutionState, type TaskRecord } from '../../src/state/execution.js';

/** Hand-built books: a run started at 10:00 UTC; `tasks` as given. */
export function stateWith(tasks: Record<string, TaskRecord>, over: Partial<ExecutionState> = {}): ExecutionState {
  return {
    version: 1,
    runId: 'r-20250102-1000',
    plan: { path: 'specs/tasks.md', format: 'spec-kit' },
    status: 'failed',
    startedAt: '2025-01-02T10:00:00.000Z',
    updatedAt: '2025-01-02T12:30:00.000Z',
    options: { concurrency: 2 },
    tasks,
    overall: computeOverall(tasks),
    journalOffset: 0,
    ...over,
  };
}

export function gate(over: Partial<GateResult> & Pick<GateResult, 'name'>): GateResult {
  return { command: over.name, ok: true, durationMs: 1200, outputTail: '', ...over };
}

/** `HH:MM` on the run's day, as the books write times. */
export function at(hhmm: string): string {
  return `2025-01-02T${hhmm}:00.000Z`;
}

export const plan: ReportPlan = {
  path: 'specs/tasks.md',
  format: 'spec-kit',
  phases: [
    { id: '1', title: 'Setup' },
    { id: '2', title: 'Core' },
  ],
  tasks: [
    { id: 'T001', title: 'Create the project', phase: '1', estimateMinutes: 120 },
    { id: 'T002', title: 'Add the | parser\nwith a second line', phase: '1', estimateMinutes: 30 },
    { id: 'T003', title: 'Write the store', phase: '2' },
    { id: 'T004', title: 'Wire the CLI', phase: '2' },
    { id: 'T005', title: 'Docs', phase: '2' },
    { id: 'T006', title: 'Release notes', phase: '2', estimateMinutes: 10 },
    { id: 'T007', title: 'Old task done last week', phase: '1' },
    { id: 'T008', title: 'Not selected', phase: '2' },
  ],
};

export const retryCommand = (ids: string[]) => `taskwave run specs/tasks.md --only ${ids.join(' ')}`;

/** A run with a bit of everything: done, failed gate, conflict, unverified, blocked; two out of scope. */
export function mixedState(): ExecutionState {
  const tasks: Record<string, TaskRecord> = {
    T001: {
      title: 'Create the project',
      status: 'done',
      attempts: 1,
      agent: 'claude',
      startedAt: at('10:00'),
      endedAt: at('11:40'),
      durationMs: 100 * 60_000,
      usage: { inputTokens: 12_345, outputTokens: 678, cacheReadTokens: 10_000, costUsd: 0.0125 },
      gates: [gate({ name: 'no-secrets', command: 'builtin:no-secrets', builtin: true }), gate({ name: 'test' })],
      summary:
        'Created the project skeleton.\n\n- Chose pnpm instead of npm because the lockfile was there.\n- Added a tsconfig.\n\n```\ndecided = true // in a code block: not a decision\n```',
    },
    T002: {
      title: 'Add the | parser\nwith a second line',
      status: 'failed',
      attempts: 3,
      agent: 'codex',
      startedAt: at('10:00'),
      endedAt: at('10:45'),
      durationMs: 45 * 60_000,
      usage: { inputTokens: 2000, outputTokens: 300, costUsd: 0.025 },
      repairs: 2,
      retries: 1,
      gates: [
        gate({
          name: 'test',
          command: 'npm test',
          ok: false,
          exitCode: 1,
          message: 'exit 1',
          outputTail:
            'FAIL parser.test.ts\n```js\nexpect(x).toBe(1)\n```\nand a ```` run of four\n\u001b[31mred\u001b[0m',
        }),
      ],
      summary: 'I implemented the parser. I assumed the input is UTF-8. Tests pass locally.',
      error: 'gate test failed after 2 repair attempt(s): exit 1',
    },
    T003: {
      title: 'Write the store',
      status: 'conflict',
      attempts: 1,
      agent: 'claude',
      startedAt: at('10:45'),
      endedAt: at('11:00'),
      durationMs: 15 * 60_000,
      usage: { inputTokens: 1000, outputTokens: 100 },
      error: 'merge conflict in src/store.ts; its work is kept on branch taskwave/r-20250102-1000/T003',
      summary: 'Wrote the store. TODO: add eviction.',
    },
    T004: {
      title: 'Wire the CLI',
      status: 'unverified',
      attempts: 1,
      agent: 'claude',
      startedAt: at('11:00'),
      endedAt: at('11:05'),
      durationMs: 5 * 60_000,
      error: 'unverified: no file changed',
    },
    T005: { title: 'Docs', status: 'blocked', attempts: 0, error: 'blocked by T004' },
    T006: {
      title: 'Release notes',
      status: 'done',
      attempts: 1,
      agent: 'claude',
      startedAt: at('11:40'),
      durationMs: 8 * 60_000,
    },
    // Done in an earlier run: not part of this one.
    T007: {
      title: 'Old task done last week',
      status: 'done',
      attempts: 1,
      startedAt: '2024-12-20T09:00:00.000Z',
      durationMs: 60_000,
      usage: { inputTokens: 999_999, outputTokens: 1, costUsd: 5 },
    },
    T008: { title: 'Not selected', status: 'skipped', attempts: 0 },
  };
  return stateWith(tasks, {
    gates: {
      phase: { '1': [gate({ name: 'build', command: 'npm run build', durationMs: 30_000 })] },
      final: [
        gate({
          name: 'e2e',
          command: 'npm run e2e',
          ok: false,
          timedOut: true,
          message: 'timed out after 10m',
          outputTail: 'waiting…',
        }),
      ],
    },
  });
}
