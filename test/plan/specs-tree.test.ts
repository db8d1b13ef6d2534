import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { specsTreeFormat } from '../../src/plan/formats/specs-tree.js';
import type { Plan, Task } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/specs-tree/', import.meta.url));
const SEED = fileURLToPath(new URL('../../../shared/fixtures/formats/seed-specs-tree', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

async function load(path: string): Promise<Plan> {
  const r = await specsTreeFormat.read(path);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

function task(plan: Plan, id: string): Task {
  const t = plan.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${plan.tasks.map((x) => x.id).join(', ')}`);
  return t;
}

const ids = (plan: Plan): string[] => plan.tasks.map((t) => t.id);
const depIds = (plan: Plan, id: string): string[] => task(plan, id).deps.map((d) => d.id);

/** A temp copy of a fixture tree, for write-backs. */
function copyOf(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tw-'));
  cpSync(source, dir, { recursive: true });
  return dir;
}

describe('specs-tree detect', () => {
  const tree = fixture('tree');

  it('claims the project root, the specs folder and folders inside the tree', async () => {
    expect(await specsTreeFormat.detect(tree)).toBe(true);
    expect(await specsTreeFormat.detect(join(tree, 'specs'))).toBe(true);
    expect(await specsTreeFormat.detect(join(tree, 'specs/features/phase-2/F001-search'))).toBe(true);
    expect(await specsTreeFormat.detect(join(tree, 'specs/infrastructure/phase-1'))).toBe(true);
    expect(await specsTreeFormat.detect(join(tree, 'specs/infrastructure'))).toBe(true);
  });

  it('leaves files, spec-kit trees and Gherkin feature folders alone', async () => {
    expect(await specsTreeFormat.detect(join(tree, 'specs/features/phase-2/F001-search/tasks.md'))).toBe(false);
    expect(await specsTreeFormat.detect(join(tree, 'no-such-folder'))).toBe(false);
    const other = mkdtempSync(join(tmpdir(), 'tw-'));
    mkdirSync(join(other, 'specs/001-login'), { recursive: true });
    writeFileSync(join(other, 'specs/001-login/tasks.md'), '- [ ] T001 Do it\n');
    mkdirSync(join(other, 'specs/features'), { recursive: true });
    writeFileSync(join(other, 'specs/features/login.feature'), 'Feature: Login\n');
    expect(await specsTreeFormat.detect(other)).toBe(false);
    expect(await specsTreeFormat.detect(join(other, 'specs'))).toBe(false);
    expect(await specsTreeFormat.detect(join(other, 'specs/features'))).toBe(false);
  });
});

describe('specs-tree read: own fixture tree', () => {
  const tree = fixture('tree');
  const at = (rel: string): string => join(tree, rel);
  const I001 = at('specs/infrastructure/phase-0/001-database/tasks.md');
  const I002 = at('specs/infrastructure/phase-1/002-cache/tasks.md');
  const F001 = at('specs/features/phase-2/F001-search');

  it('reads every spec in run order, from any folder of the tree', async () => {
    const plan = await load(tree);
    expect(plan.format).toBe('specs-tree');
    expect(plan.path).toBe(tree.replace(/\/$/, ''));
    expect(ids(plan)).toEqual([
      'I001.1',
      'I001.2',
      'I001.3',
      'I001.4',
      'I001.5',
      'I002.1',
      'I002.2',
      'I002.3',
      'I002.4',
      'F001.1',
      'F001.2',
      'F002.1',
      'F002.2',
    ]);
    expect(plan.tasks.every((t) => t.idKind === 'derived')).toBe(true);
    const fromSpec = await load(at('specs/features/phase-2/F002-saved-searches'));
    expect(fromSpec.path).toBe(plan.path);
    expect(ids(fromSpec)).toEqual(ids(plan));
  });

  it('describes the specs from headings and books', async () => {
    const plan = await load(tree);
    expect(plan.specs).toEqual([
      {
        id: 'I001',
        title: 'Database',
        kind: 'infrastructure',
        phase: '0',
        path: at('specs/infrastructure/phase-0/001-database'),
        dependencies: [],
      },
      {
        id: 'I002',
        title: 'Cache',
        kind: 'infrastructure',
        phase: '1',
        path: at('specs/infrastructure/phase-1/002-cache'),
        dependencies: ['I001'],
      },
      { id: 'F001', title: 'Search', kind: 'feature', phase: '2', path: F001, dependencies: ['I001'] },
      {
        id: 'F002',
        title: 'Saved Searches',
        kind: 'feature',
        phase: '2',
        path: at('specs/features/phase-2/F002-saved-searches'),
        dependencies: ['F001'],
      },
    ]);
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([
      ['0', 'Phase 0'],
      ['1', 'Phase 1'],
      ['2', 'Phase 2'],
    ]);
    expect(plan.phases[1]?.source).toEqual({ file: I002, line: 3, column: 3 });
    expect(plan.tasks.map((t) => t.phase)).toEqual(['0', '0', '0', '0', '0', '1', '1', '1', '1', '2', '2', '2', '2']);
    expect(plan.tasks.map((t) => t.spec)).toEqual([
      ...Array(5).fill('I001'),
      ...Array(4).fill('I002'),
      'F001',
      'F001',
      'F002',
      'F002',
    ]);
  });

  it('warns about unknown spec ids in the books and folders that are not specs', async () => {
    const plan = await load(tree);
    const warnings = plan.warnings.map((w) => [
      w.severity,
      w.location?.file,
      w.location?.line,
      w.location?.column,
      w.message,
    ]);
    expect(warnings).toEqual([
      [
        'warning',
        at('specs/features/phase-2/notes'),
        1,
        1,
        'folder notes is not a spec folder (FNNN-slug); it is skipped',
      ],
      ['warning', at('.claude/project.json'), 7, 72, 'I002 depends on I404, which has no spec folder; ignored'],
      ['warning', at('features.json'), 16, 32, 'F002 depends on F009, which has no spec folder; ignored'],
    ]);
  });

  it('reads tagged tasks without layer headings, skipping comments, fences and criteria sections', async () => {
    const plan = await load(tree);
    const t = (id: string) => task(plan, id);
    expect(plan.tasks.filter((x) => x.spec === 'I001').map((x) => x.title)).toEqual([
      'Create the Postgres schema in `db/schema.sql`',
      'Add the seed script `scripts/seed.ts`',
      'Add the repository layer in `src/db/repo.ts`',
      'Add connection pooling in `src/db/pool.ts`',
      'Write migration tests in `tests/db.test.ts`',
    ]);
    expect(plan.tasks.filter((x) => x.spec === 'I001').map((x) => x.status)).toEqual([
      'pending',
      'done',
      'pending',
      'in-progress',
      'pending',
    ]);
    expect(t('I001.1').source).toEqual({ file: I001, line: 7, column: 3 });
    expect([t('I001.1').role, t('I001.1').complexity]).toEqual(['database', 'easy']);
    expect([t('I001.2').role, t('I001.2').complexity]).toEqual(['database', 'easy']);
    expect(t('I001.2').body).toBe('- Notes: run it with `npm run seed`');
    expect(t('I001.3').body).toBe('Uses the pool from `src/db/pool.ts`.');
    expect(t('I001.3').files).toEqual(['src/db/repo.ts', 'src/db/pool.ts']);
    expect([t('I001.4').role, t('I001.4').complexity]).toEqual(['backend', 'hard']);
    expect(t('I001.4').tags).toEqual(['CRITICAL', 'L1']);
    expect(t('I001.5').tags).toEqual(['L2']);
    expect(t('I001.5').estimateMinutes).toBe(120);
    expect(t('I001.5').priority).toBe('high');
    expect(t('I001.5').body).toBe('- Estimate: 2h');
    expect(depIds(plan, 'I001.1')).toEqual([]);
    expect(depIds(plan, 'I001.2')).toEqual([]);
    expect(depIds(plan, 'I001.3')).toEqual(['I001.1', 'I001.2']);
    expect(depIds(plan, 'I001.4')).toEqual(['I001.1', 'I001.2']);
    expect(depIds(plan, 'I001.5')).toEqual(['I001.3', 'I001.4']);
    expect(t('I001.5').deps.every((d) => d.kind === 'phase-order')).toBe(true);
    expect(t('I001.5').deps[0]?.source).toEqual(t('I001.5').source);
  });

  it('reads layer headings, a tag that overrides its heading, and bold Agent bullets', async () => {
    const plan = await load(tree);
    const t = (id: string) => task(plan, id);
    expect(['I002.1', 'I002.2', 'I002.3', 'I002.4'].map((id) => [t(id).title, t(id).role, t(id).tags])).toEqual([
      ['Decide the cache key scheme', 'architect', ['L0']],
      ['Provision Redis in `infra/redis.tf`', 'devops', ['L0']],
      ['Document the cache in `docs/cache.md`', 'docs', ['L2']],
      ['Add the cache client in `src/cache/client.ts`', 'backend', ['L1']],
    ]);
    expect(t('I002.2').complexity).toBe('mid');
    expect(t('I002.1').body).toBe('');
    // The next phase waits for the last layer of the previous one (and of depends_on).
    expect(depIds(plan, 'I002.1')).toEqual(['I001.5']);
    expect(depIds(plan, 'I002.2')).toEqual(['I001.5']);
    expect(depIds(plan, 'I002.4')).toEqual(['I002.1', 'I002.2']);
    expect(depIds(plan, 'I002.3')).toEqual(['I002.4']);
  });

  it('gives feature tasks their criteria, spec documents and cross-spec order', async () => {
    const plan = await load(tree);
    const t = (id: string) => task(plan, id);
    expect(t('F001.2').criteria).toEqual(['returns results in under 200ms', 'paginates']);
    expect(t('F001.1').context).toEqual([join(F001, 'spec.md'), join(F001, 'design.md'), join(F001, 'notes.md')]);
    expect(t('F002.1').context).toBeUndefined();
    // Layer 1 is empty: layer 2 waits for layer 0.
    expect(depIds(plan, 'F001.2')).toEqual(['F001.1']);
    // The previous phase's last layer, then the infrastructure dependency's last layer.
    expect(depIds(plan, 'F001.1')).toEqual(['I002.3', 'I001.5']);
    // A feature that depends on another feature of its own phase.
    expect(depIds(plan, 'F002.1')).toEqual(['I002.3', 'F001.2']);
    expect(depIds(plan, 'F002.2')).toEqual(['I002.3', 'F001.2']);
    expect([t('F002.2').role, t('F002.2').complexity]).toEqual(['frontend', 'easy']);
  });
});

describe('specs-tree read: edge cases', () => {
  it('reads a tree without books; a spec without tasks.md passes the order on', async () => {
    const bare = fixture('bare');
    const plan = await load(bare);
    expect(plan.specs?.map((s) => [s.id, s.title, s.phase, s.dependencies])).toEqual([
      ['I001', 'api', '0', []],
      ['F001', 'draft', '1', []],
      ['F002', 'UI', '2', []],
    ]);
    expect(ids(plan)).toEqual(['I001.1', 'I001.2', 'I001.3', 'F002.1']);
    expect(depIds(plan, 'I001.2')).toEqual(['I001.1']);
    expect(depIds(plan, 'F002.1')).toEqual(['I001.2', 'I001.3']);
    expect(plan.phases.map((p) => p.id)).toEqual(['0', '1', '2']);
    expect(plan.warnings.map((w) => w.message)).toEqual(['spec F001 has no tasks.md; it has no tasks to run']);
    expect(plan.warnings[0]?.severity).toBe('warning');
  });

  it('keeps fenced blocks and nested checkboxes in the body, and warns about an unclosed comment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-'));
    const spec = join(dir, 'specs/infrastructure/phase-0/001-ci');
    mkdirSync(spec, { recursive: true });
    const text = [
      '# Tasks for I001: CI',
      '',
      '- [ ] Add the workflow file (devops, easy)',
      '  ```yaml',
      '  - [ ] not a task: inside a fence',
      '  ```',
      '  - [ ] check the cache step',
      '- [X] Add the badge to `README.md`',
      '<!-- left open',
      '- [ ] hidden',
      '',
    ].join('\n');
    writeFileSync(join(spec, 'tasks.md'), text);
    const plan = await load(dir);
    expect(ids(plan)).toEqual(['I001.1', 'I001.2']);
    expect(task(plan, 'I001.1').body).toBe(
      '```yaml\n- [ ] not a task: inside a fence\n```\n- [ ] check the cache step',
    );
    expect(task(plan, 'I001.1').criteria).toEqual([]);
    expect(task(plan, 'I001.2').status).toBe('done');
    expect(task(plan, 'I001.2').files).toEqual(['README.md']);
    expect(plan.warnings.map((w) => [w.location?.line, w.message])).toEqual([
      [9, 'HTML comment is never closed: the rest of the file is ignored'],
    ]);
  });

  it('takes a spec title only from a heading that names the spec', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-'));
    const headings: Record<string, string> = {
      'F001-export': '# F001 — Export',
      'F002-import': '# Implementation Tasks',
      'F003-sync': '# Tasks: Two-way sync',
      'F004-share': '# Tasks for F004',
    };
    for (const [folder, heading] of Object.entries(headings)) {
      mkdirSync(join(dir, 'specs/features/phase-1', folder), { recursive: true });
      writeFileSync(join(dir, 'specs/features/phase-1', folder, 'tasks.md'), `${heading}\n\n- [ ] Do it\n`);
    }
    const plan = await load(dir);
    expect(plan.specs?.map((s) => s.title)).toEqual(['Export', 'import', 'Two-way sync', 'share']);
  });

  it('reports invalid JSON in project.json at its line and column', async () => {
    const r = await specsTreeFormat.read(fixture('bad-project'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toHaveLength(1);
    expect(r.error[0]?.severity).toBe('error');
    expect(r.error[0]?.location).toEqual({ file: fixture('bad-project/.claude/project.json'), line: 4, column: 38 });
    expect(r.error[0]?.message).toMatch(/^invalid JSON: expected ','/);
  });

  it('reports a duplicate spec id and a tree without tasks', async () => {
    const dir = copyOf(fixture('bare'));
    mkdirSync(join(dir, 'specs/infrastructure/phase-3/001-again'), { recursive: true });
    writeFileSync(join(dir, 'specs/infrastructure/phase-3/001-again/tasks.md'), '- [ ] Again\n');
    const dup = await specsTreeFormat.read(dir);
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.error.map((d) => d.message)).toEqual(['duplicate spec id I001']);

    const empty = mkdtempSync(join(tmpdir(), 'tw-'));
    mkdirSync(join(empty, 'specs/features/phase-1/F001-x'), { recursive: true });
    writeFileSync(join(empty, 'specs/features/phase-1/F001-x/tasks.md'), '# Tasks for F001: X\n\nNothing yet.\n');
    const none = await specsTreeFormat.read(empty);
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.error[0]?.message).toMatch(/^no tasks found in the specs tree/);
  });

  it('reads CRLF files with a BOM like LF ones', async () => {
    const dir = copyOf(fixture('tree'));
    const lf = await load(dir);
    for (const rel of ['specs/infrastructure/phase-0/001-database/tasks.md', 'features.json', '.claude/project.json']) {
      const p = join(dir, rel);
      writeFileSync(p, `\ufeff${readFileSync(p, 'utf8').replace(/\n/g, '\r\n')}`);
    }
    const crlf = await load(dir);
    const strip = (p: Plan) =>
      p.tasks.map((t) => [t.id, t.title, t.body, t.status, t.role, t.complexity, t.tags, t.deps.map((d) => d.id)]);
    expect(strip(crlf)).toEqual(strip(lf));
    expect(crlf.specs).toEqual(lf.specs);
    expect(crlf.warnings.map((w) => [w.location?.line, w.location?.column])).toEqual(
      lf.warnings.map((w) => [w.location?.line, w.location?.column]),
    );
  });
});

describe.skipIf(!existsSync(SEED))('specs-tree: the shared example tree', () => {
  if (!existsSync(SEED)) console.log(`shared fixture ${SEED} is absent; skipped`);
  const I001 = join(SEED, 'specs/infrastructure/phase-0/001-auth/tasks.md');

  it('reads I001 and F001 with their layers, roles and order', async () => {
    const plan = await load(SEED);
    expect(ids(plan)).toEqual([
      'I001.1',
      'I001.2',
      'I001.3',
      'I001.4',
      'I001.5',
      'F001.1',
      'F001.2',
      'F001.3',
      'F001.4',
    ]);
    expect(plan.specs?.map((s) => [s.id, s.title, s.kind, s.phase, s.dependencies])).toEqual([
      ['I001', 'Authentication', 'infrastructure', '0', []],
      ['F001', 'User Profile', 'feature', '1', ['I001']],
    ]);
    expect(plan.warnings).toEqual([]);
    expect(plan.tasks.map((t) => t.tags)).toEqual([
      ['L0'],
      ['L0'],
      ['L1'],
      ['L2'],
      ['L3'],
      ['L0'],
      ['L1'],
      ['L1'],
      ['L2'],
    ]);
    expect(plan.tasks.map((t) => [t.role, t.complexity])).toEqual([
      ['supabase', 'easy'],
      ['clerk', 'easy'],
      ['backend', undefined],
      ['backend', undefined],
      ['testing', undefined],
      ['supabase', 'easy'],
      ['backend', 'mid'],
      ['frontend', 'mid'],
      ['frontend', 'hard'],
    ]);
    expect(plan.tasks.map((t) => t.status)).toEqual([
      ...Array(5).fill('pending'),
      'done',
      'pending',
      'pending',
      'pending',
    ]);
    expect(task(plan, 'I001.1').title).toBe('Create the users table migration in `db/migrations/001_users.sql`');
    expect(task(plan, 'I001.1').source).toEqual({ file: I001, line: 4, column: 3 });
    expect(task(plan, 'I001.3').body).toBe('');
    expect(task(plan, 'F001.2').title).toBe('Build the profile API route in `src/api/profile.ts`');
    expect(task(plan, 'F001.2').files).toEqual(['src/api/profile.ts']);
    expect(depIds(plan, 'I001.1')).toEqual([]);
    expect(depIds(plan, 'I001.2')).toEqual([]);
    expect(depIds(plan, 'I001.3')).toEqual(['I001.1', 'I001.2']);
    expect(depIds(plan, 'I001.4')).toEqual(['I001.3']);
    expect(depIds(plan, 'I001.5')).toEqual(['I001.4']);
    expect(depIds(plan, 'F001.1')).toEqual(['I001.5']);
    expect(depIds(plan, 'F001.2')).toEqual(['F001.1']);
    expect(depIds(plan, 'F001.3')).toEqual(['F001.1']);
    expect(depIds(plan, 'F001.4')).toEqual(['F001.2', 'F001.3']);
    expect(plan.phases.map((p) => p.id)).toEqual(['0', '1']);
  });
});

describe('specs tree: the books its ticks write', () => {
  it('names features.json, .claude/project.json and .claude/execution/execution.json of the tree', async () => {
    const plan = await load(fixture('tree'));
    expect(specsTreeFormat.bookFiles?.(plan)).toEqual([
      join(plan.path, 'features.json'),
      join(plan.path, '.claude', 'project.json'),
      join(plan.path, '.claude', 'execution', 'execution.json'),
    ]);
  });
});
