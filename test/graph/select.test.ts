import { describe, expect, it } from 'vitest';
import { selectTasks } from '../../src/graph/index.js';
import type { Diagnostic } from '../../src/plan/diagnostic.js';
import type { Result } from '../../src/result.js';
import { makePlan, taskAt } from './helpers.js';

const phases = [
  { id: '1', title: 'Setup' },
  { id: '2', title: 'Foundational' },
  { id: '3', title: 'User Story 1 - Login' },
  { id: '3.1', title: 'Login tests' },
];

// T001 ← T003 ← T005 ← T006;  T002 (done) ← T004 ← T005
const plan = makePlan(
  [
    { id: 'T001', phase: '1' },
    { id: 'T002', phase: '1', status: 'done' },
    { id: 'T003', phase: '2', deps: ['T001'] },
    { id: 'T004', phase: '2', deps: ['T002'] },
    { id: 'T005', phase: '3', deps: ['T003', 'T004'] },
    { id: 'T006', phase: '3.1', deps: ['T005'] },
  ],
  phases,
);

function value<T>(r: Result<T, Diagnostic[]>): T {
  if (!r.ok) throw new Error(`expected ok, got: ${r.error.map((d) => d.message).join('; ')}`);
  return r.value;
}
function errors<T>(r: Result<T, Diagnostic[]>): Diagnostic[] {
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.value)}`);
  return r.error;
}

describe('selectTasks scope', () => {
  it('without a scope runs every task that is not done; done tasks satisfy their dependents', () => {
    expect(value(selectTasks(plan))).toEqual({
      run: ['T001', 'T003', 'T004', 'T005', 'T006'],
      pulledIn: [],
      done: ['T002'],
      unrunnable: [],
      excluded: [],
      passedOver: [],
    });
  });

  it('treats skipped like done', () => {
    const p = makePlan([
      { id: 'A', status: 'skipped' },
      { id: 'B', deps: ['A'] },
    ]);
    expect(value(selectTasks(p, { only: ['B'] }))).toMatchObject({ run: ['B'], excluded: ['A'] });
  });

  it('selects by phase id', () => {
    expect(value(selectTasks(plan, { phases: ['1'] }))).toEqual({
      run: ['T001'],
      pulledIn: [],
      done: ['T002'],
      unrunnable: [],
      excluded: ['T003', 'T004', 'T005', 'T006'],
      passedOver: [],
    });
    expect(value(selectTasks(plan, { phases: ['1', '2'] })).run).toEqual(['T001', 'T003', 'T004']);
  });

  it('takes sub-phases with a phase id (3 → 3, 3.1), but 3.1 alone is just 3.1', () => {
    const s = value(selectTasks(plan, { phases: ['1', '2', '3'] }));
    expect(s.run).toEqual(['T001', 'T003', 'T004', 'T005', 'T006']);
    const sub = value(selectTasks(plan, { phases: ['3.1'], withDeps: true }));
    expect(sub.run).toEqual(['T001', 'T003', 'T004', 'T005', 'T006']);
    expect(sub.pulledIn).toEqual(['T001', 'T003', 'T004', 'T005']);
  });

  it('selects by a case-insensitive part of the phase title', () => {
    expect(value(selectTasks(plan, { phases: ['foundation'], withDeps: true }))).toMatchObject({
      run: ['T001', 'T003', 'T004'],
      pulledIn: ['T001'],
    });
    const r = selectTasks(plan, { phases: ['SETUP'] });
    expect(value(r).run).toEqual(['T001']);
    // "login" is in both "User Story 1 - Login" and "Login tests"
    const both = value(selectTasks(plan, { phases: ['login'], withDeps: true }));
    expect(both.run).toEqual(['T001', 'T003', 'T004', 'T005', 'T006']);
    expect(both.pulledIn).toEqual(['T001', 'T003', 'T004']);
  });

  it('takes a number as a phase id, never as part of a title (1 is not 3.1, 3.10 or 3.11)', () => {
    const ids = ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11'];
    const legacy = makePlan(
      ids.map((id) => ({ id: `T${id}`, phase: id })),
      ids.map((id) => ({ id, title: `Phase ${id}: step ${id}` })),
    );
    expect(errors(selectTasks(legacy, { phases: ['1'] }))).toEqual([
      {
        severity: 'error',
        location: undefined,
        message: `unknown phase "1"; the plan's phases are: ${ids.join(', ')}`,
      },
    ]);
    expect(value(selectTasks(legacy, { phases: ['3.1'], withDeps: true })).run).toEqual(['T3.1']);
    expect(value(selectTasks(legacy, { phases: ['3'] })).run).toEqual(ids.map((id) => `T${id}`));
    // A word still looks in the titles, and takes every phase it is in.
    expect(value(selectTasks(legacy, { phases: ['STEP 3.1'] })).run).toEqual(['T3.1', 'T3.10', 'T3.11']);
  });

  it('takes a phase by its Phase or Sprint number where its id is not that number', () => {
    const repeated = makePlan(
      [
        { id: 'A', phase: '2' },
        { id: 'B', phase: '2-2' },
        { id: 'C', phase: 'notes' },
      ],
      [
        { id: '2', title: 'Phase 2: Core' },
        { id: '2-2', title: 'Phase 2: Core, continued' },
        { id: 'notes', title: 'Notes on phase 20' },
      ],
    );
    expect(value(selectTasks(repeated, { phases: ['2'] })).run).toEqual(['A', 'B']);
  });

  it('reports an unknown phase, listing the phase ids', () => {
    expect(errors(selectTasks(plan, { phases: ['9', 'setup'] }))).toEqual([
      { severity: 'error', location: undefined, message: 'unknown phase "9"; the plan\'s phases are: 1, 2, 3, 3.1' },
    ]);
  });

  it('selects by task id with only, together with phases as a union', () => {
    expect(value(selectTasks(plan, { only: ['T001', 'T003'] }))).toEqual({
      run: ['T001', 'T003'],
      pulledIn: [],
      done: [],
      unrunnable: [],
      excluded: ['T002', 'T004', 'T005', 'T006'],
      passedOver: [],
    });
    expect(value(selectTasks(plan, { phases: ['1'], only: ['T003'] })).run).toEqual(['T001', 'T003']);
  });

  it('reports an unknown task id and suggests close ones', () => {
    expect(errors(selectTasks(plan, { only: ['T999', 'T0066', 'T001'] })).map((d) => d.message)).toEqual([
      'unknown task id T999',
      'unknown task id T0066 (did you mean T006?)',
    ]);
  });
});

describe('selectTasks prerequisites', () => {
  it('reports a selected task needing a task that is neither done nor selected', () => {
    const e = errors(selectTasks(plan, { only: ['T003'] }));
    expect(e).toEqual([
      {
        severity: 'error',
        location: taskAt(2),
        message: 'T003 needs T001, which is not done and not selected (add --with-deps to run it too)',
      },
    ]);
  });

  it('names transitive missing prerequisites, nearest first, one diagnostic per task', () => {
    const e = errors(selectTasks(plan, { only: ['T006'] }));
    expect(e).toHaveLength(1);
    expect(e[0]?.location).toEqual(taskAt(5));
    expect(e[0]?.message).toBe(
      'T006 needs T005, T003, T004 and T001, which are not done and not selected (add --with-deps to run them too)',
    );
  });

  it('names at most five missing prerequisites', () => {
    const p = makePlan(['A', 'B', 'C', 'D', 'E', 'F', 'G', { id: 'Z', deps: ['A', 'B', 'C', 'D', 'E', 'F', 'G'] }]);
    expect(errors(selectTasks(p, { only: ['Z'] }))[0]?.message).toBe(
      'Z needs A, B, C, D, E and more, which are not done and not selected (add --with-deps to run them too)',
    );
  });

  it('does not look through selected prerequisites: they get their own diagnostic', () => {
    const e = errors(selectTasks(plan, { only: ['T003', 'T005'] }));
    expect(e.map((d) => d.message)).toEqual([
      'T003 needs T001, which is not done and not selected (add --with-deps to run it too)',
      'T005 needs T004, which is not done and not selected (add --with-deps to run it too)',
    ]);
  });

  it('pulls prerequisites in with withDeps, stopping at done tasks', () => {
    expect(value(selectTasks(plan, { only: ['T005'], withDeps: true }))).toEqual({
      run: ['T001', 'T003', 'T004', 'T005'],
      pulledIn: ['T001', 'T003', 'T004'],
      done: [],
      unrunnable: [],
      excluded: ['T002', 'T006'],
      passedOver: [],
    });
  });
});

describe('selectTasks statuses', () => {
  // A cancelled, B deferred, C optional; D needs A, E needs B, F needs C, G needs D (transitively A), H fine.
  const blocked = makePlan([
    { id: 'A', status: 'cancelled' },
    { id: 'B', status: 'deferred' },
    { id: 'C', optional: true },
    { id: 'D', deps: ['A'] },
    { id: 'E', deps: ['B'] },
    { id: 'F', deps: ['C'] },
    { id: 'G', deps: ['D'] },
    { id: 'H' },
    { id: 'I', status: 'done', deps: ['A'] },
    { id: 'J', deps: ['I'] },
  ]);

  it('cancelled and deferred tasks do not run and block their dependents; optional ones are passed over', () => {
    expect(value(selectTasks(blocked))).toEqual({
      run: ['F', 'H', 'J'],
      pulledIn: [],
      done: ['I'],
      unrunnable: [
        { id: 'D', blockedBy: 'A', reason: 'needs A, which is cancelled' },
        { id: 'E', blockedBy: 'B', reason: 'needs B, which is deferred' },
        { id: 'G', blockedBy: 'A', reason: 'needs D, which is blocked by A (cancelled)' },
      ],
      excluded: ['A', 'B', 'C'],
      passedOver: ['C'],
    });
  });

  it('runs optional tasks with includeOptional', () => {
    const s = value(selectTasks(blocked, { includeOptional: true }));
    expect(s.run).toEqual(['C', 'F', 'H', 'J']);
    expect(s.unrunnable.map((u) => u.id)).toEqual(['D', 'E', 'G']);
    expect(s.passedOver).toEqual([]);
  });

  it('runs an optional task named with only', () => {
    expect(value(selectTasks(blocked, { only: ['C', 'F'] })).run).toEqual(['C', 'F']);
  });

  it('a blocked prerequisite is not an error with a scope, and withDeps does not pull it in', () => {
    for (const withDeps of [false, true]) {
      const s = value(selectTasks(blocked, { only: ['G', 'H'], withDeps }));
      expect(s.run).toEqual(['H']);
      expect(s.unrunnable).toEqual([{ id: 'G', blockedBy: 'A', reason: 'needs D, which is blocked by A (cancelled)' }]);
    }
  });

  it('a cancelled task named with only is unrunnable, not silently dropped', () => {
    expect(value(selectTasks(blocked, { only: ['A'] })).unrunnable).toEqual([
      { id: 'A', blockedBy: 'A', reason: 'A is cancelled' },
    ]);
  });

  it('runs failed and in-progress tasks again', () => {
    const p = makePlan([
      { id: 'A', status: 'failed' },
      { id: 'B', status: 'in-progress', deps: ['A'] },
    ]);
    expect(value(selectTasks(p)).run).toEqual(['A', 'B']);
  });

  it('the four lists partition the plan', () => {
    for (const options of [{}, { only: ['G', 'H'] }, { phases: ['1'], includeOptional: true }]) {
      const s = value(selectTasks(blocked, options));
      const all = [...s.run, ...s.done, ...s.unrunnable.map((u) => u.id), ...s.excluded].sort();
      expect(all).toEqual(blocked.tasks.map((t) => t.id).sort());
    }
  });
});

describe('selectTasks scopes beyond phases and ids', () => {
  const specs = makePlan([
    { id: 'I001.1', phase: '0' },
    { id: 'I001.2', phase: '0', deps: ['I001.1'] },
    { id: 'F001.1', phase: '1', deps: ['I001.2'] },
    { id: 'F001.2', phase: '1', deps: ['F001.1'] },
    { id: 'F002.1', phase: '1', status: 'done' },
  ]);
  for (const t of specs.tasks) t.spec = t.id.slice(0, 4);
  specs.specs = [
    { id: 'I001', title: 'Auth', kind: 'infrastructure', phase: '0', path: '/x', dependencies: [] },
    { id: 'F001', title: 'Profile', kind: 'feature', phase: '1', path: '/y', dependencies: ['I001'] },
    { id: 'F002', title: 'Billing', kind: 'feature', phase: '1', path: '/z', dependencies: [] },
  ];

  it('--spec selects a spec by id, case-insensitively', () => {
    expect(value(selectTasks(specs, { specs: ['i001'] })).run).toEqual(['I001.1', 'I001.2']);
  });

  it('--features needs the infrastructure unless --with-deps pulls it in', () => {
    expect(errorMessages(selectTasks(specs, { specKinds: ['feature'] }))).toEqual([
      'F001.1 needs I001.2 and I001.1, which are not done and not selected (add --with-deps to run them too)',
    ]);
    const s = value(selectTasks(specs, { specKinds: ['feature'], withDeps: true }));
    expect(s.run).toEqual(['I001.1', 'I001.2', 'F001.1', 'F001.2']);
    expect(s.done).toEqual(['F002.1']);
  });

  it('--infrastructure and --phase narrow each other', () => {
    expect(value(selectTasks(specs, { specKinds: ['infrastructure'], phases: ['0'] })).run).toEqual([
      'I001.1',
      'I001.2',
    ]);
    expect(value(selectTasks(specs, { specKinds: ['infrastructure'], phases: ['1'] })).run).toEqual([]);
  });

  it('an unknown spec names the specs there are; a plan without specs says so', () => {
    expect(errorMessages(selectTasks(specs, { specs: ['F009'] }))).toEqual([
      'unknown spec "F009"; the plan\'s specs are: I001, F001, F002',
    ]);
    const plain = makePlan([{ id: 'T001' }]);
    expect(errorMessages(selectTasks(plain, { specKinds: ['feature'] }))).toEqual([
      '--features: a test plan has no infrastructure or feature specs',
    ]);
  });

  it('--from starts at a task in plan order, and its earlier prerequisites must be done or pulled in', () => {
    expect(errorMessages(selectTasks(specs, { from: 'F001.1' }))[0]).toMatch(/^F001.1 needs I001.2/);
    expect(value(selectTasks(specs, { from: 'F001.1', withDeps: true })).pulledIn).toEqual(['I001.1', 'I001.2']);
    expect(errorMessages(selectTasks(specs, { from: 'F001.9' }))).toEqual([
      'unknown task id F001.9 (did you mean F001.1 or F001.2 or I001.1?)',
    ]);
  });

  it('a group id in --only and --from stands for its members', () => {
    const kiro = makePlan([
      { id: '1' },
      { id: '2.1', deps: ['1'] },
      { id: '2.2', deps: ['2.1'], optional: true },
      { id: '3', deps: ['2.2'] },
    ]);
    kiro.groups = [
      {
        id: '2',
        title: 'CSV',
        phase: '2',
        members: ['2.1', '2.2'],
        status: 'pending',
        source: (kiro.tasks[1] as (typeof kiro.tasks)[number]).source,
      },
    ];
    const only = value(selectTasks(kiro, { only: ['2'], withDeps: true }));
    expect(only.run).toEqual(['1', '2.1']);
    expect(only.passedOver).toEqual(['2.2']);
    expect(errorMessages(selectTasks(kiro, { from: '2' }))).toEqual([
      '2.1 needs 1, which is not done and not selected (add --with-deps to run it too)',
    ]);
    expect(value(selectTasks(kiro, { from: '2', withDeps: true })).run).toEqual(['1', '2.1', '3']);
  });
});

function errorMessages(r: Result<unknown, Diagnostic[]>): string[] {
  return r.ok ? [] : r.error.map((d) => d.message);
}
