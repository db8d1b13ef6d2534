import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { claudioFormat } from '../../src/plan/formats/claudio.js';
import type { Plan } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/claudio/', import.meta.url));
const NOW = new Date('2025-08-01T12:34:56Z');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

async function read(p: string): Promise<Plan> {
  const r = await claudioFormat.read(p);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

async function done(plan: Plan, id: string): Promise<void> {
  const r = await claudioFormat.writeStatus(plan, id, 'done');
  if (!r.ok) throw new Error(`writeStatus failed: ${JSON.stringify(r.error)}`);
}

/** A copy of a fixture tree in a temp folder; returns the copy's repository root. */
function copyOf(name: string): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'tw-'));
  cpSync(join(FIXTURES, name), repo, { recursive: true });
  return repo;
}

/** Every file under `dir` with its bytes, by path relative to `dir`. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/**
 * The lines of `after` that differ from `before`, by 1-based line number, after checking that the
 * file has as many lines and the same line endings as before.
 */
function changedLines(before: Buffer | undefined, after: Buffer | undefined): Record<number, string> {
  if (!before || !after) throw new Error('file missing');
  const a = before.toString('utf8').split('\n');
  const b = after.toString('utf8').split('\n');
  expect(b.length).toBe(a.length);
  const out: Record<number, string> = {};
  a.forEach((line, i) => {
    const next = b[i] as string;
    expect(next.endsWith('\r')).toBe(line.endsWith('\r'));
    if (next !== line) out[i + 1] = next.replace(/\r$/, '');
  });
  return out;
}

/** The files that changed (or appeared) between two snapshots. */
function changedFiles(before: Map<string, Buffer>, after: Map<string, Buffer>): string[] {
  return [...after.keys()].filter((k) => !before.get(k)?.equals(after.get(k) as Buffer)).sort();
}

describe('writeStatus on the two-phase fixture', () => {
  it('records a task with a taskM_slug folder in its status.md, tasks.md and the books', async () => {
    const repo = copyOf('two-phase');
    const before = snapshot(repo);
    await done(await read(repo), '1.2');
    const after = snapshot(repo);
    const phase1 = join('.claudio', 'phases', 'phase1');
    expect(changedFiles(before, after)).toEqual([
      join(phase1, 'phase_status.md'),
      join(phase1, 'task2_api_layer', 'status.md'),
      join(phase1, 'tasks.md'),
      join('.claudio', 'status.md'),
    ]);
    const diff = (p: string): Record<number, string> => changedLines(before.get(p), after.get(p));
    expect(diff(join(phase1, 'task2_api_layer', 'status.md'))).toEqual({
      5: '- **Current Status**: Completed',
      9: '- **Last Updated**: 2025-08-01',
      10: '- **Actual Completion**: 2025-08-01',
      11: '- **Completion**: 100%',
    });
    expect(diff(join(phase1, 'tasks.md'))).toEqual({ 7: '| 1.2 | API layer | High | 6 hours | Completed |' });
    expect(diff(join(phase1, 'phase_status.md'))).toEqual({
      3: '**Last Updated**: 2025-08-01 12:34:56 UTC',
      4: '**Phase Progress**: 67% Complete',
      11: '| 1.2 | API layer | Completed | 100% |',
    });
    // An aligned table stays aligned; the bold Total row stays bold.
    expect(diff(join('.claudio', 'status.md'))).toEqual({
      3: '**Last Updated**: 2025-08-01',
      4: '**Overall Progress**: 29% Complete (phase 1 under way)',
      9: '| Phase 1: Core     | 3     | 2         | 0           | 1           | 67%      |',
      11: '| **Total**         | **7** | **2**     | **0**       | **5**       | **29%**  |',
    });
  });

  it('creates status.md for a task without one, and completes the phase', async () => {
    const repo = copyOf('two-phase');
    const root = join(repo, '.claudio');
    const before = snapshot(repo);
    await done(await read(repo), '1.2');
    await done(await read(repo), '1.3');
    const after = snapshot(repo);
    const phase1 = join('.claudio', 'phases', 'phase1');
    expect(after.get(join(phase1, 'task3', 'status.md'))?.toString('utf8')).toBe(
      [
        '# Task Status: Write the docs',
        '',
        '**Task ID**: 1.3',
        '**Status**: Completed',
        '**Last Updated**: 2025-08-01 12:34:56 UTC',
        '',
      ].join('\n'),
    );
    expect(
      changedLines(before.get(join(phase1, 'phase_status.md')), after.get(join(phase1, 'phase_status.md'))),
    ).toEqual({
      3: '**Last Updated**: 2025-08-01 12:34:56 UTC',
      4: '**Phase Progress**: 100% Complete',
      5: '**Status**: Completed',
      11: '| 1.2 | API layer | Completed | 100% |',
      12: '| 1.3 | Write the docs | Completed | 100% |',
    });
    expect(changedLines(before.get(join(phase1, 'tasks.md')), after.get(join(phase1, 'tasks.md')))).toEqual({
      7: '| 1.2 | API layer | High | 6 hours | Completed |',
      8: '| 1.3 | Write the docs | Low | 1 week | Completed |',
    });
    expect(changedLines(before.get(join('.claudio', 'status.md')), after.get(join('.claudio', 'status.md')))).toEqual({
      3: '**Last Updated**: 2025-08-01',
      4: '**Overall Progress**: 43% Complete (phase 1 under way)',
      9: '| Phase 1: Core     | 3     | 3         | 0           | 0           | 100%     |',
      11: '| **Total**         | **7** | **3**     | **0**       | **4**       | **43%**  |',
    });
    const plan = await read(root);
    expect(plan.tasks.filter((t) => t.phase === '1').map((t) => t.status)).toEqual(['done', 'done', 'done']);
  });

  it('is idempotent: recording a done task again changes no byte', async () => {
    const repo = copyOf('two-phase');
    await done(await read(repo), '2.1');
    // 1.1's status.md already says Completed: only the summary table's stale "Not Started" changes.
    const beforeOld = snapshot(repo);
    await done(await read(repo), '1.1');
    expect(changedFiles(beforeOld, snapshot(repo))).toEqual([join('.claudio', 'phases', 'phase1', 'tasks.md')]);
    const once = snapshot(repo);
    vi.setSystemTime(new Date('2025-09-09T09:09:09Z'));
    await done(await read(repo), '2.1');
    await done(await read(repo), '1.1');
    expect(changedFiles(once, snapshot(repo))).toEqual([]);
  });

  it('a phase-2 task leaves phase 1 books alone and updates the project totals', async () => {
    const repo = copyOf('two-phase');
    const before = snapshot(repo);
    await done(await read(join(repo, '.claudio', 'phases', 'phase2', 'tasks.md')), '2.1');
    const after = snapshot(repo);
    expect(changedFiles(before, after)).toEqual([
      join('.claudio', 'phases', 'phase2', 'task1', 'status.md'),
      join('.claudio', 'status.md'),
    ]);
    expect(changedLines(before.get(join('.claudio', 'status.md')), after.get(join('.claudio', 'status.md')))).toEqual({
      3: '**Last Updated**: 2025-08-01',
      4: '**Overall Progress**: 29% Complete (phase 1 under way)',
      10: '| Phase 2: Features | 4     | 1         | 0           | 3           | 25%      |',
      // Phase 1's row is summed as written (one task in progress): only the phase being recorded is recounted.
      11: '| **Total**         | **7** | **2**     | **1**       | **4**       | **29%**  |',
    });
  });

  it('finds its lines again when a person edited the files after the read', async () => {
    const repo = copyOf('two-phase');
    const plan = await read(repo);
    const tasksFile = join(repo, '.claudio', 'phases', 'phase1', 'tasks.md');
    const statusFile = join(repo, '.claudio', 'phases', 'phase1', 'task2_api_layer', 'status.md');
    writeFileSync(tasksFile, `<!-- edited -->\n\n${readFileSync(tasksFile, 'utf8')}`);
    writeFileSync(
      statusFile,
      readFileSync(statusFile, 'utf8').replace('## Task Overview\n', '## Task Overview\nNote.\n'),
    );
    await done(plan, '1.2');
    const tasksText = readFileSync(tasksFile, 'utf8').split('\n');
    expect(tasksText[0]).toBe('<!-- edited -->');
    expect(tasksText[8]).toBe('| 1.2 | API layer | High | 6 hours | Completed |');
    const statusText = readFileSync(statusFile, 'utf8').split('\n');
    expect(statusText.slice(3, 6)).toEqual(['Note.', '- **Task ID**: 1.2', '- **Current Status**: Completed']);
  });

  it('adds a Status line to a status.md that has none', async () => {
    const repo = copyOf('two-phase');
    const statusFile = join(repo, '.claudio', 'phases', 'phase1', 'task2_api_layer', 'status.md');
    writeFileSync(statusFile, '# Task 1.2\n\nNotes only.\n');
    await done(await read(repo), '1.2');
    expect(readFileSync(statusFile, 'utf8')).toBe('# Task 1.2\n\n**Status**: Completed\n\nNotes only.\n');
  });

  it('keeps CRLF line endings and a BOM, and writes a new status.md with CRLF', async () => {
    const repo = copyOf('two-phase');
    const root = join(repo, '.claudio');
    const convert = (p: string): void => {
      const text = readFileSync(p, 'utf8').replace(/\n/g, '\r\n');
      writeFileSync(p, `\ufeff${text}`);
    };
    for (const f of ['status.md', 'phases/phase1/tasks.md', 'phases/phase1/phase_status.md']) convert(join(root, f));
    convert(join(root, 'phases/phase1/task2_api_layer/status.md'));
    const before = snapshot(repo);
    await done(await read(repo), '1.2');
    await done(await read(repo), '1.3');
    const after = snapshot(repo);
    for (const f of [
      'status.md',
      'phases/phase1/tasks.md',
      'phases/phase1/phase_status.md',
      'phases/phase1/task2_api_layer/status.md',
    ]) {
      const b = after.get(join('.claudio', f)) as Buffer;
      expect([...b.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(b.toString('utf8')).not.toMatch(/[^\r]\n/);
    }
    expect(
      changedLines(
        before.get(join('.claudio', 'phases/phase1/tasks.md')),
        after.get(join('.claudio', 'phases/phase1/tasks.md')),
      ),
    ).toEqual({
      7: '| 1.2 | API layer | High | 6 hours | Completed |',
      8: '| 1.3 | Write the docs | Low | 1 week | Completed |',
    });
    expect(after.get(join('.claudio', 'phases/phase1/task3/status.md'))?.toString('utf8')).toBe(
      '# Task Status: Write the docs\r\n\r\n**Task ID**: 1.3\r\n**Status**: Completed\r\n**Last Updated**: 2025-08-01 12:34:56 UTC\r\n',
    );
  });

  it('refuses other statuses and unknown tasks, and writes nothing then', async () => {
    const repo = copyOf('two-phase');
    const plan = await read(repo);
    const before = snapshot(repo);
    const other = await claudioFormat.writeStatus(plan, '1.2', 'failed' as 'done');
    expect(other.ok).toBe(false);
    const missing = await claudioFormat.writeStatus(plan, '7.7', 'done');
    expect(missing).toEqual({
      ok: false,
      error: { severity: 'error', location: undefined, message: `task 7.7 is no longer in ${join(repo, '.claudio')}` },
    });
    expect(changedFiles(before, snapshot(repo))).toEqual([]);
  });

  it('leaves books that do not exist alone', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'tw-'));
    mkdirSync(join(repo, '.claudio', 'phase1'), { recursive: true });
    writeFileSync(join(repo, '.claudio', 'phase1', 'tasks.md'), '# Phase 1\n\n## Task 1.1: Only\n');
    await done(await read(repo), '1.1');
    expect([...snapshot(repo).keys()].sort()).toEqual([
      join('.claudio', 'phase1', 'task1', 'status.md'),
      join('.claudio', 'phase1', 'tasks.md'),
    ]);
    expect(existsSync(join(repo, '.claudio', 'status.md'))).toBe(false);
    expect((await read(repo)).tasks[0]?.status).toBe('done');
  });
});

const REAL = fileURLToPath(new URL('../../../shared/fixtures/real/claudio/', import.meta.url));
const haveReal = existsSync(REAL);
if (!haveReal) console.log(`conformance: real Claudio fixtures are absent (${REAL}); skipping`);

const RIG_FILES = [
  '.claudio/status.md',
  '.claudio/phase1/tasks.md',
  '.claudio/phase1/claude.md',
  '.claudio/phase1/phase_status.md',
  '.claudio/phase1/task1/status.md',
  '.claudio/phase1/task1/claude.md',
  '.claudio/phase1/task2/status.md',
];

describe.skipIf(!haveReal)('conformance: writing back into the real rig tree', () => {
  it('task 1.1 done: its status.md, the summary row, phase_status.md and status.md', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'tw-'));
    for (const p of RIG_FILES) {
      mkdirSync(path.dirname(join(repo, p)), { recursive: true });
      writeFileSync(join(repo, p), readFileSync(join(REAL, `examples_rig_${p.replace(/\//g, '_')}`)));
    }
    const before = snapshot(repo);
    await done(await read(repo), '1.1');
    const after = snapshot(repo);
    const diff = (p: string): Record<number, string> => changedLines(before.get(p), after.get(p));
    expect(changedFiles(before, after)).toEqual([
      '.claudio/phase1/phase_status.md',
      '.claudio/phase1/task1/status.md',
      '.claudio/phase1/tasks.md',
      '.claudio/status.md',
    ]);
    expect(diff('.claudio/phase1/task1/status.md')).toEqual({
      4: '**Status**: Completed',
      10: '**Last Updated**: 2025-08-01 12:34:56 UTC',
      12: '**Actual Completion**: 2025-08-01',
    });
    expect(diff('.claudio/phase1/tasks.md')).toEqual({
      10: '| 1.1 | Project Infrastructure Setup | High | 3 days | Infrastructure | Completed |',
    });
    expect(diff('.claudio/phase1/phase_status.md')).toEqual({
      3: '**Last Updated**: 2025-08-01 12:34:56 UTC',
      4: '**Phase Progress**: 13% Complete',
      5: '**Status**: In Progress',
      11: '| 1.1 | Project Infrastructure Setup | High | Completed | 100% | Technical Lead + DevOps | Week 1 |',
    });
    // Phases 2 and 3 are in the table but not in the tree: their rows stay, and count in the total.
    expect(diff('.claudio/status.md')).toEqual({
      3: '**Last Updated**: August 1, 2025',
      4: '**Overall Progress**: 4% Complete (Project Analysis and Planning Complete)',
      9: '| Phase 1: Foundation | 8 | 1 | 0 | 7 | 13% |',
      12: '| **Total** | **24** | **1** | **0** | **23** | **4%** |',
    });
    const plan = await read(repo);
    expect(plan.tasks.map((t) => t.status)).toEqual(['done', ...Array(7).fill('pending')]);

    const once = snapshot(repo);
    await done(plan, '1.1');
    expect(changedFiles(once, snapshot(repo))).toEqual([]);
  });
});
