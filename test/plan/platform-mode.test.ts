import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDependencyText } from '../../src/plan/formats/platform-mode/dependencies.js';
import { parseSprintHeading, parseStoryLine } from '../../src/plan/formats/platform-mode/plan-scan.js';
import { platformModeFormat } from '../../src/plan/formats/platform-mode.js';
import type { Plan, Task } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/platform-mode/', import.meta.url));
const CHECKOUT = path.join(FIXTURES, 'checkout');
const PLAN002 = path.join(CHECKOUT, '.platform-mode', 'plans', 'plan002.plan.md');

async function read(p: string): Promise<Plan> {
  const r = await platformModeFormat.read(p);
  if (!r.ok) throw new Error(`expected a plan, got ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

function task(plan: Plan, id: string): Task {
  const t = plan.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no story ${id} in ${plan.tasks.map((x) => x.id).join(', ')}`);
  return t;
}

const deps = (plan: Plan, id: string, kind?: string): string[] =>
  task(plan, id)
    .deps.filter((d) => kind === undefined || d.kind === kind)
    .map((d) => d.id);

describe('detect', () => {
  it('claims a plan file in .platform-mode/plans/ and folders that hold one', async () => {
    expect(await platformModeFormat.detect(PLAN002)).toBe(true);
    expect(await platformModeFormat.detect(CHECKOUT)).toBe(true);
    expect(await platformModeFormat.detect(path.join(CHECKOUT, '.platform-mode'))).toBe(true);
    expect(await platformModeFormat.detect(path.join(CHECKOUT, '.platform-mode', 'plans'))).toBe(true);
  });

  it('leaves other files and folders alone', async () => {
    expect(await platformModeFormat.detect(path.join(FIXTURES, 'loose', 'plan001.plan.md'))).toBe(false);
    expect(await platformModeFormat.detect(path.join(FIXTURES, 'loose'))).toBe(false);
    expect(await platformModeFormat.detect(path.join(CHECKOUT, '.platform-mode', 'execution'))).toBe(false);
    expect(await platformModeFormat.detect(path.join(FIXTURES, 'missing'))).toBe(false);
    const log = path.join(CHECKOUT, '.platform-mode', 'execution', 'execution001.execution.md');
    expect(await platformModeFormat.detect(log)).toBe(false);
  });

  it('reads the newest plan of a folder', async () => {
    expect((await read(CHECKOUT)).path).toBe(PLAN002);
    expect((await read(path.join(CHECKOUT, '.platform-mode'))).path).toBe(PLAN002);
  });
});

describe('line grammar', () => {
  it('reads story lines in their bold and heading forms', () => {
    expect(parseStoryLine('**Story 1.1: Terraform Module Structure Setup** (5 points)')).toMatchObject({
      id: '1.1',
      title: 'Terraform Module Structure Setup',
      points: 5,
      column: 2,
    });
    expect(parseStoryLine('**Story 2.10 - Rollback**')).toMatchObject({
      id: '2.10',
      title: 'Rollback',
      points: undefined,
    });
    expect(parseStoryLine('#### Story 3.2: Dashboards (6 pts)')).toMatchObject({
      id: '3.2',
      title: 'Dashboards',
      points: 6,
    });
    expect(parseStoryLine('**Story 1.4**: Registry (5 story points)')).toMatchObject({ title: 'Registry', points: 5 });
    expect(parseStoryLine('**Story-Level Quality Gates**:')).toBeUndefined();
    expect(parseStoryLine('Story 1.1: not bold, not a heading')).toBeUndefined();
    expect(parseStoryLine('- **Story 1.1**: a list item')).toBeUndefined();
  });

  it('reads sprint headings and nothing that merely mentions a sprint', () => {
    expect(parseSprintHeading('3.1 Sprint 1: Infrastructure Foundation (Weeks 1-2)')).toEqual({
      id: '1',
      title: 'Sprint 1: Infrastructure Foundation',
    });
    expect(parseSprintHeading('Sprint 02 - Hardening')).toEqual({ id: '2', title: 'Sprint 2: Hardening' });
    expect(parseSprintHeading('Sprint 3')).toEqual({ id: '3', title: 'Sprint 3' });
    expect(parseSprintHeading('Sprint 1 Capacity Allocation')).toBeUndefined();
    expect(parseSprintHeading('Sprint 1 Success Criteria')).toBeUndefined();
    expect(parseSprintHeading('Sprint Goal')).toBeUndefined();
  });

  it('tells story references from external dependencies', () => {
    expect(parseDependencyText('Story 1.3, 1.5')).toEqual({ refs: ['1.3', '1.5'], allPrevious: false, external: [] });
    expect(parseDependencyText('Stories 1.2 and 1.3')).toMatchObject({ refs: ['1.2', '1.3'], external: [] });
    expect(parseDependencyText('Story003,005')).toMatchObject({ refs: ['003', '005'] });
    expect(parseDependencyText('Story001, Azure subscription access')).toEqual({
      refs: ['001'],
      allPrevious: false,
      external: ['Azure subscription access'],
    });
    expect(parseDependencyText('All previous stories')).toEqual({ refs: [], allPrevious: true, external: [] });
    expect(parseDependencyText('All Previous')).toMatchObject({ allPrevious: true, external: [] });
    expect(parseDependencyText('Key Vault setup')).toEqual({
      refs: [],
      allPrevious: false,
      external: ['Key Vault setup'],
    });
    expect(parseDependencyText('All system components')).toMatchObject({ external: ['All system components'] });
    for (const none of ['None', '-', 'N/A', '', '—'])
      expect(parseDependencyText(none)).toMatchObject({ refs: [], external: [] });
    // A version number in prose is not a story.
    expect(parseDependencyText('Terraform 1.5 installed')).toMatchObject({
      refs: [],
      external: ['Terraform 1.5 installed'],
    });
  });
});

describe('read: the checkout plan', () => {
  it('reads stories as tasks and sprints as phases', async () => {
    const plan = await read(PLAN002);
    expect(plan.format).toBe('platform-mode');
    expect(plan.tasks.map((t) => t.id)).toEqual(['1.1', '1.2', '1.3', '1.4', '2.1', '2.2', '2.3', '5.1']);
    expect(plan.tasks.every((t) => t.idKind === 'explicit' && !t.optional && !t.parallel)).toBe(true);
    expect(plan.phases.map((p) => [p.id, p.title, p.source.line])).toEqual([
      ['1', 'Sprint 1: Payments Foundation', 25],
      ['2', 'Sprint 2: Hardening', 90],
      ['5', 'Sprint 5', 118],
    ]);
    expect(plan.tasks.map((t) => t.phase)).toEqual(['1', '1', '1', '1', '2', '2', '2', '5']);
    expect(plan.tasks.map((t) => t.title)).toEqual([
      'Payment Provider Client',
      'Checkout Session Endpoint',
      'Webhook Receiver',
      'Ledger Entries for Payments',
      'Fraud Rules',
      'Load Test Checkout',
      'Go-Live Checklist',
      'Saved Cards',
    ]);
    expect(plan.tasks.map((t) => t.estimateMinutes)).toEqual([300, undefined, 180, 480, 300, 180, 120, 120]);
    expect(plan.tasks.map((t) => t.tags)).toEqual([['epic-1'], ['epic-1'], ['epic-1'], ['epic-2'], [], [], [], []]);
    expect(task(plan, '1.1').source).toEqual({ file: PLAN002, line: 32, column: 3 });
    expect(task(plan, '1.3').source).toEqual({ file: PLAN002, line: 60, column: 6 });
    expect(task(plan, '1.2').role).toBe('Full-Stack Developer');
    expect(task(plan, '1.1').role).toBe('Backend Developer');
    expect(task(plan, '5.1').role).toBeUndefined();
    expect(plan.documents).toEqual([path.join(CHECKOUT, '.platform-mode', 'design', 'design002.design.md')]);
  });

  it('puts acceptance criteria in criteria and the rest of the section in the body', async () => {
    const plan = await read(PLAN002);
    expect(task(plan, '1.1').criteria).toEqual([
      'Client lives in `src/payments/client.ts`',
      'Retries idempotent calls with exponential backoff',
      'Sandbox keys read from the environment',
    ]);
    expect(task(plan, '1.1').body).toBe(
      [
        '- **As a** backend developer',
        '- **I want** a typed client for the payment provider',
        '- **So that** every service calls it the same way',
        '',
        '**Technical Tasks**:',
        "- Generate types from the provider's OpenAPI document",
        '- Wrap calls with retry and timeout',
        '',
        'External dependency: Stripe sandbox account',
      ].join('\n'),
    );
    expect(task(plan, '1.1').files).toEqual(['src/payments/client.ts']);
    // Plain bullets under the label are criteria too.
    expect(task(plan, '1.2').criteria).toEqual([
      'Session expires after 30 minutes',
      'Amount is computed on the server',
    ]);
    // A heading story: its sub-headings stay in it, up to the epic heading that follows.
    expect(task(plan, '1.3').criteria).toEqual(['Signatures verified before anything else']);
    expect(task(plan, '1.3').body).toBe(
      "Receives the provider's payment events.\n\n##### Notes\nReplay protection is out of scope.\n\nExternal dependency: public HTTPS endpoint",
    );
    expect(task(plan, '1.4').files).toEqual(['db/migrations/007_ledger.sql']);
    // A rule not followed by a story does not end the section; the capacity table's heading does.
    expect(task(plan, '2.1').body).toBe(
      [
        '- **As a** risk analyst',
        '- **I want** basic fraud rules',
        '- **So that** obvious fraud is declined',
        '',
        '**Notes**: the rules engine is a stub for now.',
        '',
        'External dependency: Risk team sign-off',
      ].join('\n'),
    );
    expect(task(plan, '2.3').body).toBe('- **As a** release manager\n- **I want** a go-live checklist');
    // The story in the mermaid block and the Definition of Done checkboxes are not tasks.
    expect(plan.tasks.some((t) => t.id === '9.9')).toBe(false);
  });

  it('reads dependencies from capacity tables and story lines, and orders the sprints', async () => {
    const plan = await read(PLAN002);
    expect(deps(plan, '1.1')).toEqual([]);
    expect(deps(plan, '1.2')).toEqual(['1.1']);
    expect(deps(plan, '1.3')).toEqual(['1.1']);
    expect(deps(plan, '1.4', 'explicit')).toEqual(['1.3']);
    expect(task(plan, '1.4').deps[0]?.source).toEqual({ file: PLAN002, line: 73, column: 19 });
    expect(task(plan, '1.2').deps[0]?.source).toEqual({ file: PLAN002, line: 85, column: 57 });
    // Sprint 2's stories without a dependency inside their sprint wait for sprint 1's sinks.
    expect(deps(plan, '2.1', 'phase-order')).toEqual(['1.2', '1.4']);
    expect(deps(plan, '2.2', 'phase-order')).toEqual(['1.2', '1.4']);
    expect(task(plan, '2.2').deps[0]?.source).toEqual(task(plan, '2.2').source);
    expect(deps(plan, '2.3')).toEqual(['2.1', '2.2']);
    expect(deps(plan, '2.3', 'explicit')).toEqual(['2.1', '2.2']);
    expect(deps(plan, '5.1')).toEqual(['2.3']);
    const warnings = plan.warnings.map((w) => [w.location?.line, w.message]);
    expect(warnings).toContainEqual([
      86,
      'story 1.3 depends on story 1.9, which is not in the plan; no dependency added',
    ]);
    expect(warnings).toContainEqual([88, 'story 1.7 is not in the plan; its dependencies are ignored']);
  });

  it('takes statuses from the execution logs, later logs winning', async () => {
    const plan = await read(PLAN002);
    expect(Object.fromEntries(plan.tasks.map((t) => [t.id, t.status]))).toEqual({
      '1.1': 'done', // Story 001 of Sprint 001 in execution001
      '1.2': 'done', // IN PROGRESS in execution001, ✅ DONE in execution002
      '1.3': 'pending', // no status line; the bare Story 003 of execution002 names no sprint
      '1.4': 'pending', // only inside a code block
      '2.1': 'pending', // execution003 is about plan001
      '2.2': 'done',
      '2.3': 'pending',
      '5.1': 'pending',
    });
    const ambiguous = plan.warnings.find((w) => w.message.startsWith('Story 003'));
    expect(ambiguous?.location).toEqual({
      file: path.join(CHECKOUT, '.platform-mode', 'execution', 'execution002.execution.md'),
      line: 11,
      column: 1,
    });
  });
});

describe('read: errors', () => {
  function planIn(text: string): string {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'tw-')), '.platform-mode', 'plans');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'plan001.plan.md');
    writeFileSync(file, text);
    return file;
  }

  it('reports a plan without stories', async () => {
    const r = await platformModeFormat.read(planIn('# Plan\n\n## Sprint 1: Nothing\n\nNo stories yet.\n'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]?.message).toMatch(/no stories found/);
  });

  it('reports a story defined twice, with both places', async () => {
    const file = planIn('# Plan\n\n**Story 1.1: One** (1 point)\n\n**Story 1.1: Again** (2 points)\n');
    const r = await platformModeFormat.read(file);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0]?.location).toEqual({ file, line: 5, column: 3 });
      expect(r.error[0]?.related?.[0]?.line).toBe(3);
    }
  });

  it('reports an unreadable plan as a diagnostic', async () => {
    const r = await platformModeFormat.read(path.join(FIXTURES, 'missing', 'plan001.plan.md'));
    expect(r.ok).toBe(false);
  });

  it('reads CRLF and a BOM', async () => {
    const text = '\uFEFF# Plan\r\n\r\n## Sprint 1: One\r\n\r\n**Story 1.1: First** (2 points)\r\n- **As a** user\r\n';
    const plan = await read(planIn(text));
    expect(plan.tasks.map((t) => [t.id, t.title, t.body, t.estimateMinutes])).toEqual([
      ['1.1', 'First', '- **As a** user', 120],
    ]);
  });
});
