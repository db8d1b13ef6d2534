import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeRepo, runCli } from '../support/repo.js';

const REPO_TMP = makeRepo({}).dir;

const PLAN = `# Tasks

## Phase 1: Setup

- [x] T001 Create \`pkg/a.ts\`
- [ ] T002 [P] [US1] Write \`pkg/b.ts\` for FR-002
- [ ] T003 [P] Write \`pkg/c.ts\`

## Phase 2: Core

- [ ] T004 Join (depends on T002)
`;

describe('taskwave plan', () => {
  it('prints the plan as JSON in the DESIGN.md shape', async () => {
    const repo = makeRepo({ 'specs/tasks.md': PLAN });
    const r = await runCli(['plan', 'specs/tasks.md', '--json'], repo.dir);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.format).toBe('markdown');
    expect(plan.tasks.map((t: { id: string }) => t.id)).toEqual(['T001', 'T002', 'T003', 'T004']);
    expect(plan.tasks[1]).toMatchObject({
      id: 'T002',
      title: 'Write `pkg/b.ts` for FR-002',
      phase: '1',
      deps: ['T001'],
      status: 'pending',
      optional: false,
      requirements: ['FR-002'],
      files: ['pkg/b.ts'],
      agent: 'scripted',
      source: { file: 'specs/tasks.md', line: 6 },
    });
    expect(plan.tasks[0].status).toBe('done');
    expect(plan.tasks[3].deps).toEqual(expect.arrayContaining(['T002', 'T003']));
    expect(plan.waves).toEqual([['T002', 'T003'], ['T004']]);
    expect(plan.criticalPath).toHaveLength(2);
    expect(plan.criticalPath[1]).toBe('T004');
  });

  it('prints the plan for people', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const r = await runCli(['plan', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('markdown plan tasks.md: 4 tasks (1 done) in 2 phase(s)');
    expect(r.stdout).toMatch(/T004 Join \(depends on T002\) ← T002/);
    expect(r.stdout).toContain('1: T002, T003');
    expect(r.stdout).toMatch(/Critical path \(2\): T00[23] → T004/);
  });

  it('prints the graph as Mermaid and dot', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const m = await runCli(['graph', 'tasks.md'], repo.dir);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain('flowchart LR');
    expect(m.stdout).toContain('n_T002 --> n_T004');
    const d = await runCli(['graph', 'tasks.md', '--dot'], repo.dir);
    expect(d.stdout).toContain('"T002" -> "T004";');
  });

  it('cuts a long Mermaid label before escaping it: a quote at the cut is not left half escaped', async () => {
    // "T001 " and 53 characters: the quote is the 59th character of the label, cut at 60.
    const repo = makeRepo({ 'tasks.md': `- [ ] T001 ${'x'.repeat(53)}"quoted" title\n` });
    const m = await runCli(['graph', 'tasks.md'], repo.dir);
    expect(m.stdout).toContain(`n_T001["T001 ${'x'.repeat(53)}#quot;q"]`);
  });
});

describe('plan warnings', () => {
  // Kiro runs tasks in number order: 2.1, written after 2.2, still runs first, and the reader says so.
  const KIRO = '# Tasks\n\n- [ ] 1. First\n- [ ] 2. Second\n  - [ ] 2.2 Later sub\n  - [ ] 2.1 Earlier sub\n';
  const WARNING = '.kiro/specs/x/tasks.md:6:9: warning: task 2.1 is written after task 2.2; tasks run in number order';

  it('are shown by plan (stderr, or in the JSON), graph, run --dry-run and run, without changing the exit code', async () => {
    const repo = makeRepo({ '.kiro/specs/x/tasks.md': KIRO });
    const plan = await runCli(['plan', '.'], repo.dir);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(WARNING);
    const json = await runCli(['plan', '.', '--json'], repo.dir);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).warnings).toEqual([WARNING]);
    expect(json.stderr).not.toContain('warning:');
    const graph = await runCli(['graph', '.'], repo.dir);
    expect(graph.stderr).toContain(WARNING);
    const dry = await runCli(['run', '.', '--dry-run'], repo.dir);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(WARNING);
    const dryJson = await runCli(['run', '.', '--dry-run', '--json'], repo.dir);
    expect(JSON.parse(dryJson.stdout).warnings).toEqual([WARNING]);
    const run = await runCli(['run', '.', '--allow-empty'], repo.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(WARNING);
  });
});

describe('taskwave status', () => {
  it('says where the last run stands, for people and as JSON', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const none = await runCli(['status'], repo.dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no taskwave run found here');
    repo.script({ T003: { exit: 1 } });
    expect((await runCli(['run', 'tasks.md'], repo.dir)).code).toBe(1);
    const human = await runCli(['status'], repo.dir);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/run \S+ of tasks\.md \(markdown\): failed/);
    expect(human.stdout).toContain('4 tasks: 2 done, 0 running, 1 failed, 1 blocked, 0 pending, 0 skipped');
    expect(human.stdout).toMatch(/failed\s+T003 Write `pkg\/c\.ts` .*agent exited with code 1/);
    expect(human.stdout).toContain('continue with: taskwave resume');
    const json = JSON.parse((await runCli(['status', '--json'], repo.dir)).stdout);
    expect(json).toMatchObject({
      version: 1,
      status: 'failed',
      live: false,
      plan: { path: 'tasks.md', format: 'markdown' },
    });
    expect(json.overall).toEqual({
      total: 4,
      done: 2,
      failed: 1,
      conflict: 0,
      unverified: 0,
      running: 0,
      pending: 0,
      skipped: 0,
      blocked: 1,
    });
  });

  it('quotes the command it suggests for the rest of the plan, and shows a path recorded as empty as .', async () => {
    const planPath = "my specs/001 it's $HOME/tasks.md";
    const repo = makeRepo({ [planPath]: PLAN });
    expect((await runCli(['run', planPath, '--only', 'T002'], repo.dir)).code).toBe(0);
    const quoted = await runCli(['status'], repo.dir);
    expect(quoted.stdout).toContain("run the rest with: taskwave run 'my specs/001 it'\\''s $HOME/tasks.md'\n");

    // A plan run as `run .` is recorded relative to the root as ''.
    const books = JSON.parse(repo.read('.taskwave/execution.json'));
    repo.write('.taskwave/execution.json', JSON.stringify({ ...books, plan: { ...books.plan, path: '' } }));
    const dot = await runCli(['status'], repo.dir);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^run \S+ of \. \(markdown\)/);
    expect(dot.stdout).toContain('run the rest with: taskwave run .\n');
  });
});

const REAL = fileURLToPath(new URL('../../../shared/fixtures/real/', import.meta.url));

describe.skipIf(!existsSync(REAL))('taskwave plan on real spec-kit files', () => {
  it('orders pay2slay by its phases, even where later tasks were ticked before T005', async () => {
    const r = await runCli(['plan', `${REAL}speckit-legacy-pay2slay.tasks.md`, '--json'], REPO_TMP);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.tasks).toHaveLength(62);
    // T005 is the only unfinished task of phase 3.1: everything else waits for it.
    expect(plan.waves[0]).toEqual(['T005']);
    const t011 = plan.tasks.find((t: { id: string }) => t.id === 'T011');
    expect(t011.deps).toEqual(expect.arrayContaining(['T010', 'T005']));
    // No [P] anywhere: one task per wave, 38 unfinished tasks.
    expect(plan.waves).toHaveLength(38);
    expect(plan.criticalPath).toHaveLength(38);
  });

  it('reads the bundler and converge plans as fully done', async () => {
    for (const [name, count] of [
      ['speckit-bundler.tasks.md', 53],
      ['speckit-converge.tasks.md', 26],
    ] as const) {
      const r = await runCli(['plan', `${REAL}${name}`, '--json'], REPO_TMP);
      expect(r.code).toBe(0);
      const plan = JSON.parse(r.stdout);
      expect(plan.tasks).toHaveLength(count);
      expect(plan.tasks.every((t: { status: string }) => t.status === 'done')).toBe(true);
      expect(plan.waves).toEqual([]);
    }
  });
});
