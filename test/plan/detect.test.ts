import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FORMATS, loadPlan } from '../../src/plan/registry.js';

/*
 * Detection across all formats: every layout is claimed by its own format and no other, from the
 * file, its folder or the repository root, whatever the order of the registry.
 */

const SHARED = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const haveShared = existsSync(join(SHARED, 'formats'));
if (!haveShared) console.log(`detect: shared fixtures are absent (${SHARED}); skipping their cases`);

async function detected(path: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of FORMATS) if (await f.detect(path)) out.push(f.name);
  return out;
}

async function load(path: string, tag?: string) {
  const r = await loadPlan(path, undefined, { tag });
  if (!r.ok) throw new Error(r.error.map((d) => d.message).join('\n'));
  return r.value.plan;
}

function copyTree(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tw-detect-'));
  cpSync(src, dir, { recursive: true });
  return dir;
}

describe('the project fixtures are each claimed first by their own format', () => {
  const own = fileURLToPath(new URL('../fixtures/', import.meta.url));
  it('holds a fixture tree for every format but markdown', () => {
    const formats = FORMATS.map((f) => f.name).filter((n) => n !== 'markdown');
    expect(readdirSync(own)).toEqual(expect.arrayContaining(formats));
    expect(formats).toHaveLength(6);
  });

  it('a plain spec-kit tasks.md and its folder are markdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-detect-'));
    mkdirSync(join(dir, 'specs/001-x'), { recursive: true });
    writeFileSync(join(dir, 'specs/001-x/tasks.md'), '# Tasks\n\n## Phase 1\n\n- [ ] T001 Do it\n');
    expect(await detected(join(dir, 'specs/001-x/tasks.md'))).toEqual(['markdown']);
    expect((await load(join(dir, 'specs/001-x'))).format).toBe('markdown');
  });

  it('a folder with no plan says which formats taskwave reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-detect-'));
    const r = await loadPlan(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0]?.message).toMatch(/^cannot tell the plan format of folder /);
      for (const f of FORMATS) expect(r.error[0]?.message).toContain(`  ${f.name}: ${f.describe}`);
    }
  });
});

describe.skipIf(!haveShared)('the shared example trees, read from their repository roots', () => {
  const formats = join(SHARED, 'formats');

  it('Kiro', async () => {
    const root = copyTree(join(formats, 'kiro'));
    const plan = await load(root);
    expect(plan.format).toBe('kiro');
    expect(plan.tasks.map((t) => t.id)).toEqual(['1', '2.1', '2.2', '2.3', '3.1', '3.2', '4']);
    expect(plan.groups?.map((g) => g.id)).toEqual(['2', '3']);
  });

  it('Taskmaster, current tag and another', async () => {
    const root = copyTree(join(formats, 'taskmaster'));
    expect((await load(root)).tasks.map((t) => t.id)).toEqual(['1', '3.1', '3.2', '3.3', '2', '4']);
    expect((await load(root, 'feature-audit-log')).tasks.map((t) => t.id)).toEqual(['1']);
  });

  it('specs tree', async () => {
    const plan = await load(copyTree(join(formats, 'seed-specs-tree')));
    expect(plan.format).toBe('specs-tree');
    expect(plan.specs?.map((s) => `${s.id}:${s.kind}`)).toEqual(['I001:infrastructure', 'F001:feature']);
    expect(plan.tasks).toHaveLength(9);
  });

  it('phase document', async () => {
    const root = copyTree(join(formats, 'phase-doc'));
    const plan = await load(join(root, 'phases/current/search_plan.md'));
    expect(plan.format).toBe('phase-doc');
    expect(plan.tasks).toHaveLength(6);
  });

  it('the real spec-kit plans stay markdown', async () => {
    for (const name of ['speckit-bundler.tasks.md', 'speckit-converge.tasks.md', 'speckit-legacy-pay2slay.tasks.md']) {
      expect(await detected(join(SHARED, 'real', name))).toEqual(['markdown']);
    }
  });

  it('the real platform-mode plan, placed in its layout', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tw-detect-'));
    const plan = join(root, '.platform-mode/plans/plan001.plan.md');
    mkdirSync(dirname(plan), { recursive: true });
    cpSync(join(SHARED, 'real/platform-mode/plan001.plan.md'), plan);
    expect((await detected(plan))[0]).toBe('platform-mode');
    expect((await load(root)).tasks).toHaveLength(29);
  });
});

describe('a phase document from its folder', () => {
  const own = fileURLToPath(new URL('../fixtures/phase-doc/', import.meta.url));
  const DOC = (title: string, status: string) => `# ${title}\n\n**Status**: ${status}\n\n- [ ] Do it\n`;

  it('is found from phases/current and from the repository root', async () => {
    const root = copyTree(own);
    for (const from of [root, join(root, 'phases/current')]) {
      expect(await detected(from)).toEqual(['phase-doc']);
      const plan = await load(from);
      expect(plan.format).toBe('phase-doc');
      expect(plan.path).toBe(join(root, 'phases/current/auth_plan.md'));
    }
  });

  it.skipIf(!haveShared)('in the shared example tree too', async () => {
    const root = copyTree(join(SHARED, 'formats/phase-doc'));
    for (const from of [root, join(root, 'phases/current')]) {
      const plan = await load(from);
      expect(plan.path).toBe(join(root, 'phases/current/search_plan.md'));
      expect(plan.tasks).toHaveLength(6);
    }
  });

  it('names the files to pass when the folder holds several, and takes the one not yet complete', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tw-detect-'));
    mkdirSync(join(root, 'phases/current'), { recursive: true });
    writeFileSync(join(root, 'phases/current/a_plan.md'), DOC('Phase 1: A', 'Planned'));
    writeFileSync(join(root, 'phases/current/b_plan.md'), DOC('Phase 2: B', 'Planned'));
    const r = await loadPlan(root);
    expect(r.ok ? [] : r.error.map((d) => d.message)).toEqual([
      `${root} holds 2 phase documents; pass the one to run:\n  ${join(root, 'phases/current/a_plan.md')}\n  ${join(root, 'phases/current/b_plan.md')}`,
    ]);
    writeFileSync(join(root, 'phases/current/a_plan.md'), DOC('Phase 1: A', 'Complete'));
    expect((await load(root)).path).toBe(join(root, 'phases/current/b_plan.md'));
  });

  it('leaves a folder holding tasks.md to the markdown format, and a folder without one to nothing', async () => {
    const root = copyTree(own);
    writeFileSync(join(root, 'tasks.md'), '# Tasks\n\n- [ ] T001 Do it\n');
    expect(await detected(root)).toEqual(['markdown']);
    expect(await detected(join(root, 'notes'))).toEqual([]);
  });
});

describe('a plan of the right shape with no tasks', () => {
  it('a markdown file no format claims is read as markdown: the error is at the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-detect-'));
    const file = join(dir, 'specs/001-x/tasks.md');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '# Tasks: Search\n\n## Phase 1: Setup\n\nTo be generated.\n');
    for (const path of [file, dirname(file)]) {
      const r = await loadPlan(path);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error[0]?.location).toEqual({ file, line: 1, column: 1 });
        expect(r.error[0]?.message).toMatch(/^no tasks found: expected checkbox items/);
      }
    }
  });

  it('is an error naming the format and what it expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-detect-'));
    mkdirSync(join(dir, '.claudio/phase1'), { recursive: true });
    writeFileSync(join(dir, '.claudio/phase1/tasks.md'), '# Phase 1\n\n## Overview\n- [ ] a criterion, not a task\n');
    const r = await loadPlan(dir);
    expect(r.ok ? [] : r.error.map((d) => d.message)).toEqual([
      `no tasks found in ${dir}, read as claudio: .claudio/ (phaseN/tasks.md with ## Task N.M sections)`,
    ]);
  });

  it('an empty Taskmaster tag says which tag, at the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-detect-'));
    const file = join(dir, '.taskmaster/tasks/tasks.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{ "master": { "tasks": [], "metadata": {} } }\n');
    const r = await loadPlan(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0]?.location).toEqual({ file, line: 1, column: 1 });
      expect(r.error[0]?.message).toMatch(/^no tasks found in .* \(tag master\), read as taskmaster/);
    }
  });
});
