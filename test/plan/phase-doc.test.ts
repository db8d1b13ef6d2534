import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findStatusLine, phaseDocFormat } from '../../src/plan/formats/phase-doc.js';
import type { Plan, PlanProgress, TaskProgress } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/phase-doc/', import.meta.url));
const fixture = (rel: string): string => path.join(FIXTURES, rel);

async function read(file: string): Promise<Plan> {
  const r = await phaseDocFormat.read(file);
  if (!r.ok) throw new Error(`expected a plan, got ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

/** A temp copy of `rel` (kept under a `phases/` folder so it is still a phase document). */
function tempCopy(source: string, name = 'plan.md'): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'tw-')), 'phases', 'current');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  cpSync(source, file);
  return file;
}

function tempFile(text: string | Buffer, name = 'plan.md'): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'tw-')), 'phases', 'current');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function progress(status: PlanProgress['status'], tasks: Record<string, TaskProgress['status']>): PlanProgress {
  const records: Record<string, TaskProgress> = {};
  for (const [id, s] of Object.entries(tasks))
    records[id] = { title: id, status: s, attempts: s === 'pending' ? 0 : 1 };
  return {
    runId: 'run-1',
    startedAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:01:00Z',
    status,
    tasks: records,
  };
}

async function tick(plan: Plan, id: string): Promise<void> {
  const r = await phaseDocFormat.writeStatus(plan, id, 'done');
  if (!r.ok) throw new Error(JSON.stringify(r.error));
}

describe('detect', () => {
  it('claims a document with checkboxes and a header status line under phases/', async () => {
    expect(await phaseDocFormat.detect(fixture('phases/current/auth_plan.md'))).toBe(true);
  });

  it('claims a document outside phases/ whose title starts with Phase', async () => {
    expect(await phaseDocFormat.detect(fixture('roadmap/phase-4-reporting.md'))).toBe(true);
  });

  it('leaves other markdown to the markdown format', async () => {
    // Status line but neither a phases/ folder nor a Phase title.
    expect(await phaseDocFormat.detect(fixture('notes/todo.md'))).toBe(false);
    // No status line.
    expect(await phaseDocFormat.detect(fixture('phases/current/no_status.md'))).toBe(false);
    // The status line comes after the first ## heading: it is not the document's header.
    expect(await phaseDocFormat.detect(fixture('phases/current/late_status.md'))).toBe(false);
    // No checkbox tasks.
    expect(await phaseDocFormat.detect(fixture('phases/current/status_only.md'))).toBe(false);
    // Folders without a phase document, and missing files.
    expect(await phaseDocFormat.detect(fixture('notes'))).toBe(false);
    expect(await phaseDocFormat.detect(fixture('phases/current/missing.md'))).toBe(false);
  });

  it('does not take a status line after the first task', () => {
    expect(findStatusLine('# Phase 1\n\n- [ ] A task\n\n**Status**: Planned\n')).toBeUndefined();
    expect(findStatusLine('# Phase 1\n\n```\n**Status**: in a fence\n```\n- [ ] A task\n')).toBeUndefined();
  });

  it('finds the value and leaves the markup and trailing spaces out of it', () => {
    expect(findStatusLine('# Phase 1\n**Status**: Planned   \n')).toEqual({
      line: 1,
      start: 12,
      end: 19,
      value: 'Planned',
    });
    expect(findStatusLine('\uFEFF# Phase 1\r\n**Status:** In review\r\n')?.value).toBe('In review');
    expect(findStatusLine('# Phase 1\nStatus: Draft\n')?.value).toBe('Draft');
  });
});

describe('read', () => {
  it('reads the document the way the markdown format does, with its own format name', async () => {
    const plan = await read(fixture('phases/current/auth_plan.md'));
    expect(plan.format).toBe('phase-doc');
    expect(plan.path).toBe(fixture('phases/current/auth_plan.md'));
    expect(plan.tasks.map((t) => t.id)).toEqual(['T001', 'T002', 'T003', 'T004', 'T005']);
    expect(plan.tasks.map((t) => t.status)).toEqual(['done', 'pending', 'pending', 'pending', 'pending']);
    // The markdown reading puts the `### 2.1` / `### 2.2` sections in the enclosing `# Phase 2`.
    expect(plan.phases.map((p) => p.id)).toEqual(['2']);
    expect(plan.tasks.every((t) => t.phase === '2')).toBe(true);
    const t005 = plan.tasks[4];
    expect(t005?.deps.filter((d) => d.kind === 'explicit').map((d) => d.id)).toEqual(['T002']);
    expect(t005?.body).toBe('- Tokens expire after one hour.\n- Rate-limit to five requests per hour per address.');
    expect(plan.tasks[2]?.parallel).toBe(true);
    expect(plan.tasks[1]?.files).toEqual(['src/auth/hash.ts']);
    const criteria = plan.phases.flatMap((p) => p.criteria);
    expect(criteria).toEqual([
      'A new user can sign up and sign in within a minute',
      'No plaintext password is ever logged',
    ]);
  });

  it('reports an unreadable file as a diagnostic', async () => {
    const r = await phaseDocFormat.read(fixture('phases/current/missing.md'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]?.message).toMatch(/cannot read/);
  });
});

describe('writeStatus', () => {
  it('ticks tasks and sets the status to Complete only with the last one, keeping the trailing spaces', async () => {
    const file = tempCopy(fixture('phases/current/auth_plan.md'));
    const original = readFileSync(file, 'utf8');
    const plan = await read(file);
    for (const id of ['T002', 'T003', 'T004']) await tick(plan, id);
    const before = readFileSync(file, 'utf8');
    expect(before).toBe(
      original
        .replace('- [ ] T002', '- [x] T002')
        .replace('- [ ] T003', '- [x] T003')
        .replace('- [ ] T004', '- [x] T004'),
    );
    expect(before).toContain('**Status**: Planned   \n');
    await tick(plan, 'T005');
    const after = readFileSync(file, 'utf8');
    expect(after).toBe(
      before.replace('- [ ] T005', '- [x] T005').replace('**Status**: Planned   \n', '**Status**: Complete   \n'),
    );
    // The success criteria are not tasks: they stay unticked and do not hold the status back.
    expect(after).toContain('- [ ] A new user can sign up');
    // Idempotent: ticking again changes nothing.
    await tick(plan, 'T005');
    expect(readFileSync(file, 'utf8')).toBe(after);
  });

  it('keeps CRLF line endings and a BOM', async () => {
    const text = '\uFEFF# Phase 1: Setup\r\n\r\nStatus: Planned\r\n\r\n- [ ] One\r\n- [ ] Two\r\n';
    const file = tempFile(text);
    const plan = await read(file);
    const [one, two] = plan.tasks.map((t) => t.id) as [string, string];
    await tick(plan, one);
    expect(readFileSync(file, 'utf8')).toBe(text.replace('- [ ] One', '- [x] One'));
    await tick(plan, two);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toBe(
      text.replace('- [ ] One', '- [x] One').replace('- [ ] Two', '- [x] Two').replace('Planned', 'Complete'),
    );
  });

  it('keeps a status line edited since the read and re-reads the tasks at write time', async () => {
    const file = tempCopy(fixture('phases/current/auth_plan.md'));
    const plan = await read(file);
    // Someone ticks T002–T004 by hand and renames the status after the plan was read.
    const edited = readFileSync(file, 'utf8')
      .replace('- [ ] T002', '- [x] T002')
      .replace('- [ ] T003', '- [x] T003')
      .replace('- [ ] T004', '- [x] T004')
      .replace('**Status**: Planned   ', '**Status**: 🟡 Underway');
    writeFileSync(file, edited);
    await tick(plan, 'T005');
    expect(readFileSync(file, 'utf8')).toBe(
      edited.replace('- [ ] T005', '- [x] T005').replace('🟡 Underway', 'Complete'),
    );
  });

  it('fails with a diagnostic when the task is gone', async () => {
    const file = tempCopy(fixture('phases/current/auth_plan.md'));
    const plan = await read(file);
    const r = await phaseDocFormat.writeStatus(plan, 'T999', 'done');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/T999/);
  });
});

describe('recordProgress', () => {
  it('sets In Progress once a task of the document is running', async () => {
    const file = tempCopy(fixture('phases/current/auth_plan.md'));
    const original = readFileSync(file, 'utf8');
    const plan = await read(file);
    // Nothing started yet: unchanged.
    expect((await phaseDocFormat.recordProgress?.(plan, progress('running', { T002: 'pending' })))?.ok).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(original);
    await phaseDocFormat.recordProgress?.(plan, progress('running', { T002: 'running' }));
    const started = original.replace('**Status**: Planned   ', '**Status**: In Progress   ');
    expect(readFileSync(file, 'utf8')).toBe(started);
    // Idempotent.
    await phaseDocFormat.recordProgress?.(plan, progress('running', { T002: 'done', T003: 'running' }));
    expect(readFileSync(file, 'utf8')).toBe(started);
  });

  it('leaves the status alone when the run is over, when every task is done, or when it says Complete', async () => {
    const file = tempCopy(fixture('phases/current/auth_plan.md'));
    const original = readFileSync(file, 'utf8');
    const plan = await read(file);
    await phaseDocFormat.recordProgress?.(plan, progress('done', { T002: 'done' }));
    expect(readFileSync(file, 'utf8')).toBe(original);
    const all = { T002: 'done', T003: 'done', T004: 'done', T005: 'done' } as const;
    await phaseDocFormat.recordProgress?.(plan, progress('running', all));
    expect(readFileSync(file, 'utf8')).toBe(original);
    const complete = original.replace('**Status**: Planned', '**Status**: ✅ Complete');
    writeFileSync(file, complete);
    await phaseDocFormat.recordProgress?.(plan, progress('running', { T002: 'running' }));
    expect(readFileSync(file, 'utf8')).toBe(complete);
  });
});

const EXAMPLE = fileURLToPath(
  new URL('../../../shared/fixtures/formats/phase-doc/phases/current/search_plan.md', import.meta.url),
);
const haveExample = existsSync(EXAMPLE);
if (!haveExample) console.log(`conformance: the phase-doc example is absent (${EXAMPLE}); skipping`);

describe.skipIf(!haveExample)('conformance: phases/current/search_plan.md', () => {
  it('is a phase document of six tasks', async () => {
    expect(await phaseDocFormat.detect(EXAMPLE)).toBe(true);
    const plan = await read(EXAMPLE);
    expect(plan.tasks).toHaveLength(6);
    // parseMarkdownPlan files the `### 3.1` – `### 3.3` sections under the enclosing `# Phase 3`.
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([['3', 'Phase 3: Full-Text Search']]);
    expect(plan.tasks.every((t) => t.phase === '3')).toBe(true);
    // List order within the phase; the two [P] tasks run side by side.
    const [a, b, c, d, e] = plan.tasks.map((t) => t.id) as string[];
    expect(plan.tasks.map((t) => t.deps.map((x) => x.id))).toEqual([[], [a], [b], [b], [b, c, d], [e]]);
    expect(plan.tasks.flatMap((t) => t.deps).every((x) => x.kind === 'sequential')).toBe(true);
    expect(plan.tasks.every((t) => t.status === 'pending' && t.idKind === 'derived')).toBe(true);
    expect(plan.tasks.filter((t) => t.parallel).map((t) => t.files)).toEqual([
      ['src/api/search.ts'],
      ['src/api/facets.ts'],
    ]);
    // The Success Criteria checkboxes are criteria, not tasks.
    expect(plan.phases.flatMap((p) => p.criteria)).toEqual([
      'p95 query latency under 50 ms on the 100k-product sample',
      'All existing catalog tests still pass',
    ]);
  });

  it('says Complete only after the last tick', async () => {
    const file = tempCopy(EXAMPLE, 'search_plan.md');
    const original = readFileSync(file);
    const plan = await read(file);
    const ids = plan.tasks.map((t) => t.id);
    let expected = original.toString('utf8');
    for (const [k, id] of ids.entries()) {
      await tick(plan, id);
      const title = plan.tasks[k]?.title as string;
      const at = expected.indexOf(`- [ ] ${title}`);
      expect(at).toBeGreaterThan(0);
      expected = `${expected.slice(0, at)}- [x]${expected.slice(at + 5)}`;
      if (k === ids.length - 1) expected = expected.replace('**Status**: Planned\n', '**Status**: Complete\n');
      expect(readFileSync(file, 'utf8')).toBe(expected);
    }
    expect(expected).toContain('**Status**: Complete\n**Depends on**: Phase 2 (catalog API)\n');
    expect(readFileSync(file).length).toBe(original.length + 'Complete'.length - 'Planned'.length);
  });
});
