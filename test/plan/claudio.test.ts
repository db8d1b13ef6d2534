import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/plan/diagnostic.js';
import { claudioFormat } from '../../src/plan/formats/claudio.js';
import type { Plan, Task } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/claudio/', import.meta.url));
const TWO_PHASE = join(FIXTURES, 'two-phase');
const TWO_PHASE_ROOT = join(TWO_PHASE, '.claudio');
const PHASE1 = join(TWO_PHASE_ROOT, 'phases', 'phase1');
const PHASE2 = join(TWO_PHASE_ROOT, 'phases', 'phase2');

async function read(p: string): Promise<Plan> {
  const r = await claudioFormat.read(p);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

async function readErrors(p: string): Promise<Diagnostic[]> {
  const r = await claudioFormat.read(p);
  if (r.ok) throw new Error('expected errors, got a plan');
  return r.error;
}

function task(plan: Plan, id: string): Task {
  const t = plan.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${plan.tasks.map((x) => x.id).join(', ')}`);
  return t;
}

const ids = (plan: Plan): string[] => plan.tasks.map((t) => t.id);
/** `id/kind@line:column` for each dependency of a task. */
const deps = (plan: Plan, id: string): string[] =>
  task(plan, id).deps.map((d) => `${d.id}/${d.kind}@${d.source.line}:${d.source.column}`);
const depIds = (plan: Plan, id: string): string[] => task(plan, id).deps.map((d) => d.id);

/** A `.claudio` tree in a temp folder (a repository root holding it); returns the root folder. */
function tree(files: Record<string, string>): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'tw-'));
  for (const [name, text] of Object.entries(files)) {
    const file = join(repo, '.claudio', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return repo;
}

const md = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('detect', () => {
  it('claims a .claudio folder, a folder holding one with phases, a phase folder and its tasks.md', async () => {
    expect(await claudioFormat.detect(TWO_PHASE)).toBe(true);
    expect(await claudioFormat.detect(TWO_PHASE_ROOT)).toBe(true);
    expect(await claudioFormat.detect(join(TWO_PHASE_ROOT, 'phases'))).toBe(true);
    expect(await claudioFormat.detect(PHASE2)).toBe(true);
    expect(await claudioFormat.detect(join(PHASE2, 'tasks.md'))).toBe(true);
    const direct = tree({ 'phase3/tasks.md': md('# Phase 3', '', '## Task 3.1: X') });
    expect(await claudioFormat.detect(direct)).toBe(true);
    expect(await claudioFormat.detect(join(direct, '.claudio', 'phase3', 'tasks.md'))).toBe(true);
  });

  it('leaves other paths alone', async () => {
    expect(await claudioFormat.detect(FIXTURES)).toBe(false);
    expect(await claudioFormat.detect(join(PHASE1, 'claude.md'))).toBe(false);
    expect(await claudioFormat.detect(join(PHASE1, 'task1'))).toBe(false);
    expect(await claudioFormat.detect(join(FIXTURES, 'missing'))).toBe(false);
    // A tasks.md in a phase folder that is not inside a .claudio tree (a spec-kit plan, say).
    const other = mkdtempSync(path.join(os.tmpdir(), 'tw-'));
    mkdirSync(join(other, 'phase1'));
    writeFileSync(join(other, 'phase1', 'tasks.md'), '## Task 1.1: X\n');
    expect(await claudioFormat.detect(join(other, 'phase1', 'tasks.md'))).toBe(false);
    expect(await claudioFormat.detect(join(other, 'phase1'))).toBe(false);
    // A repository with a .claudio folder that has no phases yet (discovery only).
    const early = tree({ 'discovery.md': '# Discovery\n' });
    expect(await claudioFormat.detect(early)).toBe(false);
  });

  it('a .claudio folder without phases is claimed, and read says what is missing', async () => {
    const early = tree({ 'discovery.md': '# Discovery\n' });
    expect(await claudioFormat.detect(join(early, '.claudio'))).toBe(true);
    const errors = await readErrors(join(early, '.claudio'));
    expect(errors.map((e) => e.message)).toEqual([
      `no phaseN/tasks.md or phases/phaseN/tasks.md in ${join(early, '.claudio')}`,
    ]);
  });
});

describe('reading a two-phase tree (.claudio/phases/phaseN)', () => {
  it('reads the phases in order with their titles and criteria', async () => {
    const plan = await read(TWO_PHASE);
    expect(plan.format).toBe('claudio');
    expect(plan.path).toBe(TWO_PHASE);
    expect(plan.phases.map((p) => [p.id, p.title, p.source.file, p.source.line])).toEqual([
      ['1', 'Phase 1: Core Setup', join(PHASE1, 'tasks.md'), 1],
      ['2', 'Phase 2: Features', join(PHASE2, 'tasks.md'), 1],
    ]);
    expect(plan.phases[0]?.criteria).toEqual(['All tasks done', 'CI green']);
    expect(plan.phases[1]?.criteria).toEqual([]);
    expect(plan.documents).toEqual([join(TWO_PHASE_ROOT, 'prd.md')]);
  });

  it('reads every task section, `## Task N.M:`, `## Task N.M -` and `### Task N.M:`', async () => {
    const plan = await read(TWO_PHASE);
    expect(ids(plan)).toEqual(['1.1', '1.2', '1.3', '2.1', '2.2', '2.3', '2.4']);
    expect(plan.tasks.map((t) => t.title)).toEqual([
      'Scaffold the project',
      'API layer',
      'Write the docs',
      'Users endpoint',
      'Orders endpoint',
      'Reports',
      'Release',
    ]);
    expect(plan.tasks.every((t) => t.idKind === 'explicit' && !t.optional && !t.parallel)).toBe(true);
    expect(plan.tasks.map((t) => t.phase)).toEqual(['1', '1', '1', '2', '2', '2', '2']);
    expect(task(plan, '1.1').source).toEqual({ file: join(PHASE1, 'tasks.md'), line: 12, column: 9 });
    expect(task(plan, '2.3').source).toEqual({ file: join(PHASE2, 'tasks.md'), line: 18, column: 10 });
  });

  it('takes the status from status.md, else the summary table, else pending', async () => {
    const plan = await read(TWO_PHASE);
    // 1.1: task1/status.md says Completed (the summary table's "Not Started" is older).
    // 1.2: task2_api_layer/status.md, `- **Current Status**: In Progress` (the first status line).
    // 1.3: no folder; the summary table says Deferred. Phase 2 has neither.
    expect(plan.tasks.map((t) => t.status)).toEqual([
      'done',
      'in-progress',
      'deferred',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
  });

  it('reads explicit dependencies where they are written, and orders the phases', async () => {
    const plan = await read(TWO_PHASE);
    const p1 = join(PHASE1, 'tasks.md');
    const p2 = join(PHASE2, 'tasks.md');
    expect(deps(plan, '1.1')).toEqual([]);
    expect(deps(plan, '1.2')).toEqual(['1.1/explicit@34:19']);
    expect(deps(plan, '1.3')).toEqual(['1.1/explicit@41:25', '1.2/explicit@41:33']);
    // 2.1 has no dependency inside phase 2: it waits for phase 1's last task (1.3, which nothing waits for).
    expect(deps(plan, '2.1')).toEqual(['1.3/phase-order@5:10']);
    expect(deps(plan, '2.2')).toEqual(['2.1/explicit@13:24']);
    // A dependency on another phase's task is not one inside the phase: the phase order still applies.
    expect(deps(plan, '2.3')).toEqual(['1.2/explicit@21:24', '1.3/phase-order@18:10']);
    // `Tasks 2.2-2.3` is a range; a `#### Dependencies` sub-section's Prerequisite Tasks count too, and an
    // id that names no task is kept for the graph stage to report.
    expect(deps(plan, '2.4')).toEqual(['2.2/explicit@24:25', '2.3/explicit@24:25', '9.1/explicit@27:32']);
    expect(task(plan, '1.2').deps[0]?.source.file).toBe(p1);
    expect(task(plan, '2.4').deps[2]?.source.file).toBe(p2);
  });

  it('reads effort, priority and type; an effort it cannot read is a warning', async () => {
    const plan = await read(TWO_PHASE);
    expect(plan.tasks.map((t) => t.estimateMinutes)).toEqual([480, 360, undefined, 960, 4800, 90, undefined]);
    expect('estimateMinutes' in task(plan, '1.3')).toBe(false);
    // 1.2's own section says Medium (the table says High); 1.3 has no Priority line: the table's Low.
    expect(plan.tasks.map((t) => t.priority)).toEqual([
      'high',
      'medium',
      'low',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(task(plan, '2.3').tags).toEqual(['feature']);
    expect(task(plan, '1.1').tags).toEqual([]);
    expect(plan.warnings).toEqual([
      {
        severity: 'warning',
        location: { file: join(PHASE1, 'tasks.md'), line: 40, column: 13 },
        message: "cannot read the effort 'a while' of task 1.3; no estimate",
      },
    ]);
  });

  it('reads checkboxes and criteria lists as criteria, never as tasks, and keeps fenced text as is', async () => {
    const plan = await read(TWO_PHASE);
    expect(task(plan, '1.1').criteria).toEqual(['`npm test` runs', 'Lint passes']);
    expect(task(plan, '1.3').criteria).toEqual(['README explains setup', 'Examples run']);
    expect(task(plan, '2.1').criteria).toEqual([]);
  });

  it('builds the body from the section without the fields it read', async () => {
    const plan = await read(TWO_PHASE);
    expect(task(plan, '1.1').body).toBe(
      [
        'Create `package.json` and `src/index.ts` with a start script.',
        '',
        '### Acceptance Criteria',
        '',
        '```sh',
        '# Task 9.9: not a heading inside a fence',
        '- [ ] not a criterion inside a fence',
        '```',
      ].join('\n'),
    );
    expect(task(plan, '1.2').body).toBe('**Assignee**: Backend team\n\nRoutes live in src/api/routes.ts.');
    expect(task(plan, '1.3').body).toBe('Keep it short.');
    expect(task(plan, '2.2').body).toBe('#### Notes\nOrders need users.');
    // The Dependencies sub-section held only what was read as dependencies; the prose after `## Phase
    // Coordination` belongs to no task.
    expect(task(plan, '2.4').body).toBe('');
  });

  it('names the files a task mentions and its context files, its own first', async () => {
    const plan = await read(TWO_PHASE);
    expect(task(plan, '1.1').files).toEqual(['package.json', 'src/index.ts']);
    expect(task(plan, '1.2').files).toEqual(['src/api/routes.ts']);
    expect(task(plan, '1.1').context).toEqual([join(PHASE1, 'task1', 'claude.md'), join(PHASE1, 'claude.md')]);
    expect(task(plan, '1.2').context).toEqual([join(PHASE1, 'claude.md')]);
    expect('context' in task(plan, '2.1')).toBe(false);
  });

  it('reads one phase when given its tasks.md or its folder', async () => {
    for (const p of [join(PHASE2, 'tasks.md'), PHASE2]) {
      const plan = await read(p);
      expect(plan.path).toBe(p);
      expect(ids(plan)).toEqual(['2.1', '2.2', '2.3', '2.4']);
      expect(plan.phases.map((x) => x.id)).toEqual(['2']);
      // Dependencies on phase 1's tasks are dropped, with a warning where one is written.
      expect(depIds(plan, '2.1')).toEqual([]);
      expect(depIds(plan, '2.3')).toEqual([]);
      expect(depIds(plan, '2.4')).toEqual(['2.2', '2.3', '9.1']);
      expect(plan.warnings.map((w) => [w.location?.line, w.message])).toEqual([
        [21, 'task 2.3 depends on 1.2 of phase 1, which is not done; reading one phase does not wait for it'],
        [1, 'an earlier phase is not finished; reading phase 2 alone does not wait for it'],
      ]);
    }
    const first = await read(join(PHASE1, 'tasks.md'));
    expect(ids(first)).toEqual(['1.1', '1.2', '1.3']);
    expect(first.warnings.map((w) => w.location?.line)).toEqual([40]);
  });
});

describe('reading the shapes plans take', () => {
  it('reads `Task M` headings as task M of the phase, and their dependencies', async () => {
    const repo = tree({
      'phase2/tasks.md': md(
        '# Phase 2: UI',
        '',
        '### Task 1: Layout (Day 1 - 4 hours)',
        '**Objective**: Update the layout',
        '',
        '### Task 2: Toggle',
        '**Dependencies**: Task 1',
      ),
    });
    const plan = await read(repo);
    expect(ids(plan)).toEqual(['2.1', '2.2']);
    expect(plan.tasks.map((t) => t.idKind)).toEqual(['derived', 'derived']);
    expect(task(plan, '2.1').title).toBe('Layout (Day 1 - 4 hours)');
    expect(deps(plan, '2.2')).toEqual(['2.1/explicit@7:24']);
  });

  it('reads the dependency forms: bare ids, lists, "parallel with", None', async () => {
    const repo = tree({
      'phase1/tasks.md': md(
        '# Phase 1',
        '## Task 1.1: A',
        '**Dependencies**: None',
        '## Task 1.2: B',
        '**Dependencies**: None (foundation task)',
        '## Task 1.3: C',
        '**Dependencies**: 1.1, 1.2',
        '## Task 1.4: D',
        '**Dependencies**:',
        '- Task 1.2 (OAuth 2.0 client)',
        '- Task 1.3',
        '- Sandbox account',
        '',
        'Body of D.',
        '',
        '```',
        'one',
        '',
        '',
        'two',
        '```',
        '## Task 1.5: E',
        '### Dependencies',
        '- **Prerequisite Tasks**: Can run in parallel with Task 1.2',
        '- **External Dependencies**: Task 1.1 is mentioned here but is not a prerequisite',
        '## Task 1.6: F',
        '**Depends On**: Tasks 1.1-1.3; can run in parallel with Task 1.5',
      ),
    });
    const plan = await read(repo);
    expect(plan.tasks.map((t) => t.deps.map((d) => d.id))).toEqual([
      [],
      [],
      ['1.1', '1.2'],
      ['1.2', '1.3'],
      [],
      ['1.1', '1.2', '1.3'],
    ]);
    expect(deps(plan, '1.4')).toEqual(['1.2/explicit@10:8', '1.3/explicit@11:8']);
    // Blank lines in code are the code's own: only runs outside fences are made one.
    expect(task(plan, '1.4').body).toBe('- Sandbox account\n\nBody of D.\n\n```\none\n\n\ntwo\n```');
    expect(task(plan, '1.5').body).toBe(
      '### Dependencies\n- **External Dependencies**: Task 1.1 is mentioned here but is not a prerequisite',
    );
  });

  it('reads a section **Status**, and the summary table when there is no status.md', async () => {
    const repo = tree({
      'phase1/tasks.md': md(
        '# Phase 1',
        '| ID | Task | Status | Effort |',
        '|----|------|--------|--------|',
        '| 1.1 | A | Done | 2 hours |',
        '| 1.2 | B | In Progress | |',
        '| 1.3 | C | Cancelled | |',
        '| 1.4 | D | Frobnicated | |',
        '',
        '## Task 1.1: A',
        '## Task 1.2: B',
        '**Status**: Blocked',
        '## Task 1.3: C',
        '## Task 1.4: D',
        '## Task 1.5: E',
      ),
    });
    const plan = await read(repo);
    expect(plan.tasks.map((t) => t.status)).toEqual(['done', 'pending', 'cancelled', 'pending', 'pending']);
    expect(task(plan, '1.1').estimateMinutes).toBe(120);
    expect(plan.warnings.map((w) => [w.location?.line, w.message])).toEqual([
      [7, "unknown status 'Frobnicated' of task 1.4; read as pending"],
    ]);
  });

  it('reads status.md in a taskM folder or a taskM_slug folder, `taskM` first', async () => {
    const repo = tree({
      'phase1/tasks.md': md('# Phase 1', '## Task 1.1: A', '## Task 1.2: B', '## Task 1.3: C'),
      'phase1/task1_old/status.md': md('**Status**: Not Started'),
      'phase1/task1/status.md': md('# Status', '', '**Status**: ✅ Complete'),
      'phase1/task2_the_b_task/status.md': md('- **Current Status**: Cancelled'),
      'phase1/task3_c/claude.md': md('# C context'),
    });
    const plan = await read(repo);
    expect(plan.tasks.map((t) => t.status)).toEqual(['done', 'cancelled', 'pending']);
    expect(task(plan, '1.3').context).toEqual([join(repo, '.claudio', 'phase1', 'task3_c', 'claude.md')]);
  });

  it('reports a task id written twice, with both places', async () => {
    const repo = tree({ 'phase1/tasks.md': md('# Phase 1', '## Task 1.1: A', '', '## Task 1.1: Again') });
    const file = join(repo, '.claudio', 'phase1', 'tasks.md');
    expect(await readErrors(repo)).toEqual([
      {
        severity: 'error',
        location: { file, line: 4, column: 9 },
        message: 'task 1.1 is written more than once',
        related: [{ file, line: 2, column: 9, message: 'first written here' }],
      },
    ]);
  });

  it('prefers phases/phaseN over phaseN, warns about a phase without tasks, and skips it in the order', async () => {
    const repo = tree({
      'phase1/tasks.md': md('# Phase 1 (old)', '## Task 1.9: Old'),
      'phases/phase1/tasks.md': md('# Phase 1', '## Task 1.1: A'),
      'phases/phase2/tasks.md': md('# Phase 2', 'Nothing planned yet.'),
      'phases/phase10/tasks.md': md('# Phase 10', '## Task 10.1: J'),
    });
    const plan = await read(repo);
    expect(plan.phases.map((p) => p.id)).toEqual(['1', '2', '10']);
    expect(ids(plan)).toEqual(['1.1', '10.1']);
    expect(depIds(plan, '10.1')).toEqual(['1.1']);
    expect(plan.warnings.map((w) => [path.relative(repo, w.location?.file ?? ''), w.message])).toEqual([
      [
        join('.claudio', 'phase1', 'tasks.md'),
        'another folder of the same phase under .claudio/phases is read instead',
      ],
      [join('.claudio', 'phases', 'phase2', 'tasks.md'), 'no `## Task N.M: Title` sections in this file'],
    ]);
  });

  it('reads a BOM and CRLF line endings', async () => {
    const repo = tree({
      'phase1/tasks.md': `\ufeff${md('# Phase 1: Core - Task List', '', '## Task 1.1: A', '**Effort**: 2 days', '', 'Body.', '- [ ] crit').replace(/\n/g, '\r\n')}`,
    });
    const plan = await read(repo);
    expect(plan.phases[0]?.title).toBe('Phase 1: Core');
    expect(task(plan, '1.1')).toMatchObject({ title: 'A', estimateMinutes: 960, body: 'Body.', criteria: ['crit'] });
  });
});

const REAL = fileURLToPath(new URL('../../../shared/fixtures/real/claudio/', import.meta.url));
const haveReal = existsSync(REAL);
if (!haveReal) console.log(`conformance: real Claudio fixtures are absent (${REAL}); skipping`);

/** Rebuilds a flattened tree (`prefix` + path with `/` as `_`) in a temp folder; returns the repository root. */
function rebuild(prefix: string, paths: string[]): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'tw-'));
  for (const p of paths) {
    const to = join(repo, p);
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(join(REAL, prefix + p.replace(/\//g, '_')), to);
  }
  return repo;
}

const RIG_FILES = [
  '.claudio/status.md',
  '.claudio/phase1/tasks.md',
  '.claudio/phase1/claude.md',
  '.claudio/phase1/phase_status.md',
  '.claudio/phase1/task1/status.md',
  '.claudio/phase1/task1/claude.md',
  '.claudio/phase1/task2/status.md',
];

describe.skipIf(!haveReal)('conformance: real Claudio trees', () => {
  it('examples/rig: phase 1, eight tasks in a chain', async () => {
    const repo = rebuild('examples_rig_', RIG_FILES);
    expect(await claudioFormat.detect(repo)).toBe(true);
    const plan = await read(repo);
    const phase1 = join(repo, '.claudio', 'phase1');
    expect(ids(plan)).toEqual(['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '1.8']);
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([['1', 'Phase 1: Foundation and Core Commands']]);
    expect(plan.phases[0]?.criteria).toHaveLength(8);
    expect(plan.tasks.map((t) => t.title)).toEqual([
      'Project Infrastructure Setup',
      'Core CLI Framework',
      'Authentication System',
      'WebSocket Communication Layer',
      'Network Management Commands',
      'Basic Application Management',
      'Testing Framework and CI/CD',
      'Documentation and User Guide',
    ]);
    // Each task's `**Dependencies**:` line, read by hand.
    expect(plan.tasks.map((t) => t.deps.map((d) => `${d.id}/${d.kind}@${d.source.line}`))).toEqual([
      [],
      ['1.1/explicit@63'],
      ['1.2/explicit@100'],
      ['1.3/explicit@139'],
      ['1.4/explicit@178'],
      ['1.5/explicit@217'],
      ['1.1/explicit@256'],
      ['1.5/explicit@295', '1.6/explicit@295'],
    ]);
    expect(plan.tasks.map((t) => t.estimateMinutes)).toEqual([1440, 1920, 2400, 2880, 1920, 2400, 1920, 1440]);
    expect(plan.tasks.map((t) => t.priority)).toEqual([
      'high',
      'high',
      'high',
      'high',
      'high',
      'high',
      'high',
      'medium',
    ]);
    expect(plan.tasks.map((t) => t.tags[0])).toEqual([
      'infrastructure',
      'development',
      'development',
      'development',
      'development',
      'development',
      'testing',
      'documentation',
    ]);
    // task1/status.md and task2/status.md say Not Started; the others have only the table's Not Started.
    expect(plan.tasks.every((t) => t.status === 'pending')).toBe(true);
    expect(plan.tasks.map((t) => t.criteria.length)).toEqual([6, 6, 7, 7, 7, 7, 7, 7]);
    expect(task(plan, '1.1').criteria[0]).toBe(
      'Cargo.toml configured with all required dependencies (clap, tokio, serde, etc.)',
    );
    expect(task(plan, '1.1').context).toEqual([join(phase1, 'task1', 'claude.md'), join(phase1, 'claude.md')]);
    expect(task(plan, '1.2').context).toEqual([join(phase1, 'claude.md')]);
    expect(task(plan, '1.1').files).toEqual(['Cargo.toml', 'README.md', '.gitignore']);
    expect(task(plan, '1.4').files).toEqual(['src/websocket.rs', 'src/connection.rs']);
    expect(task(plan, '1.1').body).toMatch(/^\*\*Assignee\*\*: Technical Lead \+ DevOps Engineer\n\n### Description\n/);
    expect(task(plan, '1.1').body).not.toMatch(/Acceptance Criteria|\*\*Effort\*\*|- \[ \]|---/);
    expect(task(plan, '1.1').body).toMatch(/### Context Requirements\n- \*\*Needs Individual Context\*\*: Yes\n/);
    expect(plan.documents).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('test/claudio-agents: phases/phase1, "parallel with" is not a dependency', async () => {
    const repo = rebuild('test_claudio-agents_', [
      '.claudio/phases/phase1/tasks.md',
      '.claudio/phase1/task1_user_schema/status.md',
    ]);
    expect(await claudioFormat.detect(repo)).toBe(true);
    const plan = await read(join(repo, '.claudio'));
    expect(ids(plan)).toEqual(['1.1', '1.2', '1.3']);
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([['1', 'Phase 1: Foundation Setup']]);
    expect(plan.tasks.map((t) => t.title)).toEqual([
      'Theme State Management',
      'Theme Toggle Component',
      'Local Storage Integration',
    ]);
    expect(deps(plan, '1.1')).toEqual([]);
    expect(deps(plan, '1.2')).toEqual(['1.1/explicit@53:32']);
    expect(deps(plan, '1.3')).toEqual([]);
    expect(plan.tasks.map((t) => t.estimateMinutes)).toEqual([1440, 960, 960]);
    expect(plan.tasks.map((t) => t.priority)).toEqual(['high', 'high', 'medium']);
    expect(plan.tasks.map((t) => t.criteria.length)).toEqual([5, 5, 5]);
    expect(plan.tasks.map((t) => t.status)).toEqual(['pending', 'pending', 'pending']);
    expect(plan.tasks.map((t) => t.files)).toEqual([[], [], []]);
    expect(task(plan, '1.3').body).toMatch(
      /### Dependencies\n- \*\*External Dependencies\*\*: Browser localStorage support$/,
    );
    expect(task(plan, '1.3').body).not.toMatch(/Phase Coordination/);
    expect(plan.warnings).toEqual([]);
  });
});
