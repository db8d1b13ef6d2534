import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/plan/diagnostic.js';
import { splitRequirements } from '../../src/plan/formats/kiro/requirements.js';
import { kiroFormat, parseKiroPlan } from '../../src/plan/formats/kiro.js';
import { derivedTaskId } from '../../src/plan/task-ids.js';
import type { Plan, Task, TaskGroup } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/kiro/', import.meta.url));
const fixture = (...parts: string[]): string => join(FIXTURES, ...parts);
const FLAT = fixture('flat', '.kiro', 'specs', 'search-index', 'tasks.md');

async function load(path: string): Promise<Plan> {
  const r = await kiroFormat.read(path);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

async function failure(path: string): Promise<Diagnostic[]> {
  const r = await kiroFormat.read(path);
  if (r.ok) throw new Error(`expected errors, got a plan of ${r.value.tasks.length} tasks`);
  return r.error;
}

function parse(text: string, file = '/repo/.kiro/specs/x/tasks.md'): Plan {
  const r = parseKiroPlan(text, file);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

function task(plan: Plan, id: string): Task {
  const t = plan.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${plan.tasks.map((x) => x.id).join(', ')}`);
  return t;
}

function group(plan: Plan, id: string): TaskGroup {
  const g = plan.groups?.find((x) => x.id === id);
  if (!g) throw new Error(`no group ${id}`);
  return g;
}

const ids = (plan: Plan): string[] => plan.tasks.map((t) => t.id);
const md = (...lines: string[]): string => `${lines.join('\n')}\n`;
/** Each task's dependency ids, `id<-dep` so a whole chain is one assertion. */
const chain = (plan: Plan): string[] => plan.tasks.map((t) => `${t.id}<-${t.deps.map((d) => d.id).join(',')}`);

describe('kiro: flat sub-tasks, gaps, unnumbered tasks', () => {
  it('reads tasks in number order, groups by number prefix and keeps unnumbered tasks in place', async () => {
    const plan = await load(FLAT);
    const tidy = derivedTaskId('Tidy up the changelog');
    const notes = derivedTaskId('Read the design notes before starting');
    expect(plan.format).toBe('kiro');
    expect(plan.path).toBe(FLAT);
    expect(ids(plan)).toEqual([notes, '1', '2.1', '2.2', '2.3', '4.1', '4.2', '7.1', tidy, '8']);
    expect(plan.groups?.map((g) => [g.id, g.members])).toEqual([
      ['2', ['2.1', '2.2', '2.3']],
      ['4', ['4.1', '4.2']],
    ]);
    expect(group(plan, '2')).toMatchObject({ title: 'Build the indexer', phase: '2', status: 'pending' });
    expect(group(plan, '2').source).toEqual({ file: FLAT, line: 10, column: 7 });
    expect(task(plan, notes).idKind).toBe('derived');
    expect(task(plan, '1').idKind).toBe('explicit');
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([
      ['tasks', 'Tasks'],
      ['1', 'Create the index schema'],
      ['2', 'Build the indexer'],
      ['4', 'Wire the query endpoint'],
      ['7', 'Document the index format in `docs/search.md`'],
      ['8', 'Checkpoint'],
    ]);
    expect(plan.tasks.map((t) => t.phase)).toEqual(['tasks', '1', '2', '2', '2', '4', '4', '7', '7', '8']);
    expect(chain(plan)).toEqual([
      `${notes}<-`,
      `1<-${notes}`,
      '2.1<-1',
      '2.2<-2.1',
      '2.3<-2.2',
      '4.1<-2.3',
      '4.2<-4.1',
      '7.1<-4.2',
      `${tidy}<-7.1`,
      `8<-${tidy}`,
    ]);
    expect(plan.tasks.flatMap((t) => t.deps).every((d) => d.kind === 'sequential')).toBe(true);
    expect(task(plan, '2.2').deps[0]?.source).toEqual(task(plan, '2.2').source);
  });

  it('reads states, optional marks, titles and bodies', async () => {
    const plan = await load(FLAT);
    expect(plan.tasks.map((t) => `${t.id}:${t.status}${t.optional ? '*' : ''}`).slice(1)).toEqual([
      '1:done',
      '2.1:done',
      '2.2:pending',
      '2.3:pending*',
      '4.1:pending',
      '4.2:pending',
      '7.1:pending',
      `${derivedTaskId('Tidy up the changelog')}:pending`,
      '8:pending',
    ]);
    expect(task(plan, '2.1').title).toBe('Tokenise documents');
    expect(task(plan, '2.1').source).toEqual({ file: FLAT, line: 11, column: 7 });
    expect(task(plan, '2.1').body).toBe('- Lowercase and strip punctuation');
    expect(task(plan, '4.1').body).toBe('- Use the tokeniser from 2.1');
    expect(task(plan, '2.3').body).toBe('- **Validates: Requirements 2.2, 2.3**');
    expect(task(plan, '2.2').body).toBe('');
    expect(task(plan, '8').tags).toEqual(['checkpoint']);
    expect(task(plan, '8').body).toBe('- Ensure all tests pass, ask the user if questions arise.');
    expect(task(plan, '7.1').tags).toEqual([]);
    expect(plan.tasks.every((t) => !t.parallel && t.criteria.length === 0)).toBe(true);
  });

  it('reads requirements: full-width colon, ranges, Validates, bare labels and free text', async () => {
    const plan = await load(FLAT);
    expect(task(plan, '1').requirements).toEqual(['1.1', '1.2']);
    expect(task(plan, '2.1').requirements).toEqual(['2.1', '2.2', '2.3', '4.1-5.2']);
    expect(task(plan, '2.3').requirements).toEqual(['2.2', '2.3']);
    expect(task(plan, '2.2').requirements).toEqual(['2.4']);
    expect(task(plan, '4.1').requirements).toEqual(['Search behaviour in general']);
    expect(task(plan, '4.2').requirements).toEqual([]);
  });

  it('finds the files a task names', async () => {
    const plan = await load(FLAT);
    expect(task(plan, '1').files).toEqual(['src/search/schema.ts']);
    expect(task(plan, '2.2').files).toEqual(['src/search/postings.ts']);
    expect(task(plan, '7.1').files).toEqual(['docs/search.md']);
  });

  it('warns about a sub-task written after a higher number', async () => {
    const plan = await load(FLAT);
    expect(plan.warnings.map((w) => [w.location?.line, w.message])).toEqual([
      [16, 'task 2.2 is written after task 2.3; tasks run in number order'],
    ]);
  });

  it('lists requirements.md and design.md beside tasks.md as documents', async () => {
    expect((await load(FLAT)).documents).toEqual([]);
    const beta = await load(fixture('several', '.kiro', 'specs', 'beta'));
    expect(beta.documents).toEqual([fixture('several', '.kiro', 'specs', 'beta', 'design.md')]);
  });
});

describe('kiro: edge cases', () => {
  const EDGE = fixture('edge', 'tasks.md');

  it('skips front matter, HTML comments and code fences; nested unnumbered checkboxes are details', async () => {
    const plan = await load(EDGE);
    expect(ids(plan)).toEqual(['1.1', '1.2', '2.1']);
    expect(plan.groups?.map((g) => [g.id, g.members])).toEqual([
      ['1', ['1.1', '1.2']],
      ['2', ['2.1']],
    ]);
    expect(task(plan, '1.1').title).toBe('First sub-task');
    expect(task(plan, '1.1').body).toBe(
      [
        '- [ ] check the logs',
        '- [ ] check the metrics',
        '```sh',
        '- [ ] 11. not a task inside a body fence',
        '_Requirements: 99.9_',
        '```',
      ].join('\n'),
    );
    // The parent's requirements line (after its sub-tasks) is about all of them; the fenced one is code.
    expect(task(plan, '1.1').requirements).toEqual(['1.1']);
    expect(task(plan, '1.2').requirements).toEqual(['1.1']);
    expect(chain(plan)).toEqual(['1.1<-', '1.2<-1.1', '2.1<-1.2']);
  });

  it('makes the sub-tasks of an optional parent optional', async () => {
    const plan = await load(EDGE);
    expect(task(plan, '1.2').optional).toBe(true);
    expect(task(plan, '1.1').optional).toBe(false);
    expect(task(plan, '2.1').optional).toBe(true);
  });

  it('does not read an unnumbered checkbox in a section without numbered tasks as a task', async () => {
    const plan = await load(EDGE);
    expect(plan.warnings.map((w) => [w.location?.line, w.message])).toEqual([
      [33, 'unnumbered checkbox in section "Notes", which has no numbered task, is not read as a task'],
    ]);
    // Without numbered tasks anywhere, every checkbox is a task.
    expect(ids(parse(md('## Notes', '- [ ] a', '- [x] b')))).toEqual([derivedTaskId('a'), derivedTaskId('b')]);
  });

  it('reports a number written twice at the second one', () => {
    const file = '/repo/.kiro/specs/x/tasks.md';
    const r = parseKiroPlan(md('- [ ] 1. One', '- [ ] 1.1 A', '', '- [ ] 1.1. Again', '- [ ] 2. Two'), file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual([
      {
        severity: 'error',
        location: { file, line: 4, column: 7 },
        message: 'task number 1.1 is written more than once',
        related: [{ file, line: 2, column: 7, message: 'task 1.1 is first written here' }],
      },
    ]);
  });

  it('reads a sub-task without a parent as a plain task, and a numberless top level as prose', () => {
    const plan = parse(md('- [ ] 5.1 Lonely sub-task', '- [ ] 3 retries for the client', '- [X] 6. Six'));
    expect(ids(plan)).toEqual(['5.1', derivedTaskId('3 retries for the client'), '6']);
    expect(plan.groups).toEqual([]);
    expect(plan.tasks.map((t) => t.phase)).toEqual(['5', '5', '6']);
    expect(task(plan, '6').status).toBe('done');
    expect(task(plan, '5.1').status).toBe('pending');
  });

  it('accepts `[-]`, `[~]`, a star without a space, a title requirements suffix and two derived ids alike', () => {
    const plan = parse(
      md(
        '- [-] 1. Started',
        '- [~] 2. Stubbed',
        '- [x]*3. Done optional _Requirements: 4.1_',
        '- [ ] Same',
        '- [ ] Same',
      ),
    );
    expect(plan.tasks.map((t) => [t.id, t.status, t.optional])).toEqual([
      ['1', 'in-progress', false],
      ['2', 'pending', false],
      ['3', 'done', true],
      [derivedTaskId('Same'), 'pending', false],
      [`${derivedTaskId('Same')}-2`, 'pending', false],
    ]);
    expect(task(plan, '3').title).toBe('Done optional');
    expect(task(plan, '3').requirements).toEqual(['4.1']);
  });

  it('keeps a parent box status on its group', () => {
    const plan = parse(md('- [x] 1. Done parent', '  - [x] 1.1 A', '- [-] 2. Started parent', '  - [ ] 2.1 B'));
    expect(plan.groups?.map((g) => [g.id, g.status])).toEqual([
      ['1', 'done'],
      ['2', 'in-progress'],
    ]);
  });

  it('fails on a file with no tasks', () => {
    const r = parseKiroPlan(md('# Nothing here', '- a bullet'), '/x/tasks.md');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]?.message).toMatch(/^no tasks found/);
  });
});

describe('kiro: requirement lists', () => {
  it('splits, expands and trims', () => {
    expect(splitRequirements('1.1, 2.3')).toEqual(['1.1', '2.3']);
    expect(splitRequirements('1.1-1.4')).toEqual(['1.1', '1.2', '1.3', '1.4']);
    expect(splitRequirements('1.9–1.11')).toEqual(['1.9', '1.10', '1.11']);
    expect(splitRequirements('1.3-1.1, 1.1-2.2')).toEqual(['1.3-1.1', '1.1-2.2']);
    expect(splitRequirements('3.2 (Design §4, §5), 3.3')).toEqual(['3.2', '3.3']);
    expect(splitRequirements('Requirement 2.1, All layout requirements')).toEqual(['2.1', 'All layout requirements']);
    expect(splitRequirements(' , ')).toEqual([]);
  });

  it('reads the line forms', () => {
    const plan = parse(
      md(
        '- [ ] 1.1 A',
        '  - **Requirements:** 1.1',
        '- [ ] 1.2 B',
        '  - _Requirements: 2.1_',
        '  - **Requirements**: 2.2',
        '- [ ] 1.3 C',
        '  - _Validates: Requirements 3.1_',
      ),
    );
    expect(plan.tasks.map((t) => t.requirements)).toEqual([['1.1'], ['2.1', '2.2'], ['3.1']]);
    expect(plan.tasks.map((t) => t.body)).toEqual(['', '', '- _Validates: Requirements 3.1_']);
  });
});

describe('kiro: locating and detecting', () => {
  it('claims the Kiro layouts', async () => {
    const claimed = [
      FLAT,
      fixture('flat', '.kiro', 'specs', 'search-index'),
      fixture('flat', '.kiro', 'specs'),
      fixture('flat', '.kiro'),
      fixture('flat'),
      fixture('several'),
      fixture('early', '.kiro', 'plans', 'onboarding', 'tasks.md'),
      fixture('early'),
      fixture('loose', 'kiro-like.md'),
      fixture('loose', 'requirements-only.md'),
    ];
    for (const p of claimed) expect(await kiroFormat.detect(p), p).toBe(true);
  });

  it('leaves other markdown to other formats', async () => {
    const left = [
      fixture('loose', 'numbered-steps.md'),
      fixture('loose', 'speckit-numbered.md'),
      fixture('loose', 'mostly-unnumbered.md'),
      fixture('loose'),
      fixture('does-not-exist'),
      fixture('several', '.kiro', 'steering'),
    ];
    for (const p of left) expect(await kiroFormat.detect(p), p).toBe(false);
  });

  it('reads the one feature of a repository root and an early `.kiro/plans/` build', async () => {
    expect((await load(fixture('flat'))).path).toBe(FLAT);
    const early = await load(fixture('early'));
    expect(early.path).toBe(fixture('early', '.kiro', 'plans', 'onboarding', 'tasks.md'));
    expect(ids(early)).toEqual(['1', '2']);
    expect(task(early, '2').files).toEqual(['emails/welcome.html']);
  });

  it('asks for one feature when a folder holds several', async () => {
    for (const p of [fixture('several'), fixture('several', '.kiro'), fixture('several', '.kiro', 'specs')]) {
      const errors = await failure(p);
      expect(errors).toHaveLength(1);
      const shown = (f: string): string => relative(process.cwd(), f);
      expect(errors[0]?.message).toBe(
        `${shown(p)} holds several Kiro specs; pass the one to run:\n` +
          `  ${shown(fixture('several', '.kiro', 'specs', 'alpha'))}\n` +
          `  ${shown(fixture('several', '.kiro', 'specs', 'beta'))}`,
      );
    }
  });

  it('fails with a diagnostic for folders that hold no Kiro plan', async () => {
    expect((await failure(fixture('several', '.kiro', 'steering')))[0]?.message).toMatch(/^no Kiro tasks\.md at /);
    expect((await failure(fixture('does-not-exist')))[0]?.message).toMatch(/^no Kiro tasks\.md at /);
  });

  it('reads any file when forced', async () => {
    const plan = await load(fixture('loose', 'numbered-steps.md'));
    expect(ids(plan)).toEqual(['1', '2', '3']);
  });
});

const SHARED = fileURLToPath(new URL('../../../shared/fixtures/formats/kiro/', import.meta.url));
const SPEC = join(SHARED, '.kiro', 'specs', 'invoice-export');
const haveShared = existsSync(join(SPEC, 'tasks.md'));
if (!haveShared) console.log(`conformance: the shared Kiro fixture is absent (${SPEC}); skipping`);

describe.skipIf(!haveShared)('conformance: shared Kiro spec invoice-export', () => {
  const TASKS = join(SPEC, 'tasks.md');

  it('is detected from every level of the layout', async () => {
    for (const p of [SHARED, join(SHARED, '.kiro'), join(SHARED, '.kiro', 'specs'), SPEC, TASKS]) {
      expect(await kiroFormat.detect(p), p).toBe(true);
    }
    expect(await kiroFormat.detect(join(SPEC, 'requirements.md'))).toBe(false);
  });

  it('reads tasks, groups, statuses and the chain', async () => {
    const plan = await load(SHARED);
    expect(plan.path).toBe(TASKS);
    expect(plan.documents).toEqual([join(SPEC, 'requirements.md')]);
    expect(plan.warnings).toEqual([]);
    expect(plan.tasks.map((t) => `${t.id}:${t.status}${t.optional ? '*' : ''}`)).toEqual([
      '1:done',
      '2.1:done',
      '2.2:pending*',
      '2.3:in-progress',
      '3.1:pending',
      '3.2:pending',
      '4:pending',
    ]);
    expect(plan.groups?.map((g) => [g.id, g.title, g.phase, g.status, g.members, g.source.line])).toEqual([
      ['2', 'Implement CSV export', '2', 'pending', ['2.1', '2.2', '2.3'], 13],
      ['3', 'Implement PDF export', '3', 'pending', ['3.1', '3.2'], 23],
    ]);
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([
      ['1', 'Set up the export module skeleton'],
      ['2', 'Implement CSV export'],
      ['3', 'Implement PDF export'],
      ['4', 'Checkpoint - both formats export a sample invoice'],
    ]);
    expect(chain(plan)).toEqual(['1<-', '2.1<-1', '2.2<-2.1', '2.3<-2.2', '3.1<-2.3', '3.2<-3.1', '4<-3.2']);
    expect(task(plan, '4').tags).toEqual(['checkpoint']);
    expect(task(plan, '3.1').source).toEqual({ file: TASKS, line: 24, column: 9 });
  });

  it('reads requirements, bodies and files', async () => {
    const plan = await load(TASKS);
    expect(plan.tasks.map((t) => [t.id, t.requirements])).toEqual([
      ['1', ['1.1']],
      ['2.1', ['1.2', '1.3']],
      ['2.2', ['1.2']],
      ['2.3', ['2.1', '2.2', '2.3', '2.4']],
      ['3.1', ['3.1', '3.2']],
      ['3.2', ['All layout requirements']],
      ['4', []],
    ]);
    expect(task(plan, '1').body).toBe('- Create `src/export/index.ts` with the public `exportInvoices` signature');
    expect(task(plan, '2.2').body).toBe('- **Property 1: Round trip**\n- **Validates: Requirements 1.2**');
    expect(task(plan, '2.3').body).toBe('');
    expect(task(plan, '2.3').title).toBe('Stream large exports in chunks of 1,000 rows');
    expect(task(plan, '3.1').title).toBe('Render one invoice page with `src/export/pdf.ts`');
    expect(plan.tasks.map((t) => t.files)).toEqual([
      ['src/export/index.ts'],
      ['src/export/csv.ts'],
      [],
      [],
      ['src/export/pdf.ts'],
      [],
      [],
    ]);
  });
});

const OTHERS = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const haveOthers = existsSync(join(OTHERS, 'real'));
if (!haveOthers) console.log(`conformance: the shared fixtures of other formats are absent (${OTHERS}); skipping`);

describe.skipIf(!haveOthers)('conformance: plans of other formats are not claimed', () => {
  it('leaves spec-kit, Claudio, platform-mode, phase-doc and specs-tree files alone', async () => {
    const markdownFiles = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(dir, f));
    const paths = [
      ...markdownFiles(join(OTHERS, 'real')),
      ...markdownFiles(join(OTHERS, 'formats', 'phase-doc')),
      ...markdownFiles(join(OTHERS, 'formats', 'seed-specs-tree')),
      join(OTHERS, 'formats', 'seed-specs-tree'),
    ];
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(await kiroFormat.detect(p), p).toBe(false);
  });
});
