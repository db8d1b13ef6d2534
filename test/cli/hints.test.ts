import { describe, expect, it } from 'vitest';
import { describeHintOptions, type HintOptions, parseHints, resolveFocus } from '../../src/cli/hints.js';
import { makePlan } from '../graph/helpers.js';

const AGENTS = ['claude', 'codex', 'fake'];

function hints(text: string): HintOptions {
  const r = parseHints(text, AGENTS);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('parseHints', () => {
  it('maps the ways people ask for one task at a time to concurrency 1', () => {
    for (const t of ['sequential', 'Sequentially please', 'one at a time', 'run them one by one', 'no parallel']) {
      expect(hints(t)).toEqual({ concurrency: 1 });
    }
  });

  it('reads a number of agents in words or digits', () => {
    expect(hints('use 2 agents in parallel')).toEqual({ concurrency: 2 });
    expect(hints('Use three agents')).toEqual({ concurrency: 3 });
    expect(hints('4 at a time')).toEqual({ concurrency: 4 });
    expect(hints('parallel 6')).toEqual({ concurrency: 6 });
  });

  it('reads phases, a starting task, optional tasks, dependencies, dry run, an agent and a tag', () => {
    expect(hints('phase 2')).toEqual({ phases: ['2'] });
    expect(hints('phases 1, 2 and 3.1')).toEqual({ phases: ['1', '2', '3.1'] });
    expect(hints('sprint 3')).toEqual({ phases: ['3'] });
    expect(hints('start at T012')).toEqual({ from: 'T012' });
    expect(hints('from 2.3 including optional tasks')).toEqual({ from: '2.3', includeOptional: true });
    expect(hints('only T005 with dependencies')).toEqual({ withDeps: true, focus: { text: 'T005' } });
    expect(hints('dry run using codex')).toEqual({ dryRun: true, agent: 'codex' });
    expect(hints('tag feature-audit-log')).toEqual({ tag: 'feature-audit-log' });
  });

  it('keeps a named part of the plan for later, with its noun', () => {
    expect(hints('only the auth feature')).toEqual({ focus: { text: 'auth', noun: 'feature' } });
    expect(hints('just the search phase, 2 agents')).toEqual({
      concurrency: 2,
      focus: { text: 'search', noun: 'phase' },
    });
  });

  it('reads infrastructure and features scopes', () => {
    expect(hints('infrastructure only')).toEqual({ specKinds: ['infrastructure'] });
    expect(hints('only the features')).toEqual({ specKinds: ['feature'] });
  });

  it('reads features only together with other hints, as infrastructure only is', () => {
    for (const t of [
      'features only, dry run',
      'features only dry run',
      'dry run, features only',
      'run the features only',
    ]) {
      expect(hints(t)).toEqual({ specKinds: ['feature'], ...(t.includes('dry') ? { dryRun: true } : {}) });
    }
    expect(hints('features only and one at a time')).toEqual({ specKinds: ['feature'], concurrency: 1 });
    expect(hints('just the search phase, features only')).toEqual({
      specKinds: ['feature'],
      focus: { text: 'search', noun: 'phase' },
    });
    // "feature" as the noun of a named part is not the --features scope.
    expect(hints('only the auth feature, dry run')).toEqual({ dryRun: true, focus: { text: 'auth', noun: 'feature' } });
  });

  it('refuses words it does not understand, naming them', () => {
    const r = parseHints('use 2 agents and make it snappy', AGENTS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^cannot understand "make", "snappy" in the hint/);
    // An agent that is not configured is not an agent.
    expect(parseHints('using gpt5', AGENTS).ok).toBe(false);
  });
});

describe('resolveFocus', () => {
  const plan = makePlan(
    [
      { id: 'I001.1', phase: '0' },
      { id: 'F001.1', phase: '1' },
      { id: 'T9', phase: '2' },
    ],
    [
      { id: '0', title: 'Phase 0: Platform' },
      { id: '1', title: 'Phase 1: Profiles' },
      { id: '2', title: 'Phase 2: Search and facets' },
    ],
  );
  (plan.tasks[2] as (typeof plan.tasks)[number]).title = 'Write the billing export';
  plan.specs = [
    { id: 'I001', title: 'Authentication', kind: 'infrastructure', phase: '0', path: '/i', dependencies: [] },
    { id: 'F001', title: 'User Profile', kind: 'feature', phase: '1', path: '/f', dependencies: [] },
  ];

  it('finds a spec by a word that starts its title, preferring specs', () => {
    expect(resolveFocus(plan, { text: 'auth' })).toEqual({ ok: true, value: { specs: ['I001'] } });
    expect(resolveFocus(plan, { text: 'profile', noun: 'feature' })).toEqual({ ok: true, value: { specs: ['F001'] } });
  });

  it('a feature noun does not pick an infrastructure spec; a phase noun picks phases', () => {
    expect(resolveFocus(plan, { text: 'auth', noun: 'feature' }).ok).toBe(false);
    expect(resolveFocus(plan, { text: 'search', noun: 'phase' })).toEqual({ ok: true, value: { phases: ['2'] } });
  });

  it('takes ids as ids, and falls back to task titles', () => {
    expect(resolveFocus(plan, { text: 'F001.1 and T9' })).toEqual({ ok: true, value: { only: ['F001.1', 'T9'] } });
    expect(resolveFocus(plan, { text: 'i001' })).toEqual({ ok: true, value: { specs: ['I001'] } });
    expect(resolveFocus(plan, { text: 'billing' })).toEqual({ ok: true, value: { only: ['T9'] } });
  });

  it('says when nothing matches', () => {
    const r = resolveFocus(plan, { text: 'payments', noun: 'feature' });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.message).toBe('the hint "only payments feature" matches no spec, phase or task title in the plan');
  });
});

describe('describeHintOptions', () => {
  it('echoes the options as the flags they stand for', () => {
    expect(describeHintOptions({ concurrency: 2, includeOptional: true }, { specs: ['I001'] })).toBe(
      '--concurrency 2 --include-optional --spec I001',
    );
  });

  it('quotes values a shell would read (ids come from the plan)', () => {
    expect(describeHintOptions({}, { only: ['x;touch /tmp/pwned;', 'T002'] })).toBe(
      "--only 'x;touch /tmp/pwned;,T002'",
    );
  });

  it('says which of them a flag given as well overrides', () => {
    expect(describeHintOptions({ concurrency: 1, dryRun: true }, undefined, { concurrency: '2' })).toBe(
      '--concurrency 1 (overridden by --concurrency 2) --dry-run',
    );
    expect(describeHintOptions({ phases: ['2'] }, { specs: ['I001'] }, { phase: ['1', '3'], spec: ['I001'] })).toBe(
      '--phase 2 (overridden by --phase 1,3) --spec I001',
    );
  });
});
