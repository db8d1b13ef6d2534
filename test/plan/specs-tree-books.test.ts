import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { specsTreeFormat } from '../../src/plan/formats/specs-tree.js';
import type { Plan, PlanProgress, TaskProgress } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/specs-tree/', import.meta.url));
const SEED = fileURLToPath(new URL('../../../shared/fixtures/formats/seed-specs-tree', import.meta.url));
const seedExists = existsSync(SEED);

const I001 = 'specs/infrastructure/phase-0/001-auth/tasks.md';
const F001 = 'specs/features/phase-1/F001-user-profile/tasks.md';

function copyOf(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tw-'));
  cpSync(source, dir, { recursive: true });
  return dir;
}

async function load(path: string): Promise<Plan> {
  const r = await specsTreeFormat.read(path);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

async function done(plan: Plan, ...taskIds: string[]): Promise<void> {
  for (const id of taskIds) {
    const r = await specsTreeFormat.writeStatus(plan, id, 'done');
    if (!r.ok) throw new Error(`writeStatus ${id}: ${JSON.stringify(r.error)}`);
  }
}

/** Replaces the `n`-th (1-based) occurrence of `from` in `text`; fails the test if there is none. */
function replaceNth(text: string, from: string, to: string, n: number): string {
  let at = -1;
  for (let k = 0; k < n; k++) {
    at = text.indexOf(from, at + 1);
    if (at < 0) throw new Error(`no occurrence ${n} of ${from}`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

describe.skipIf(!seedExists)('specs-tree writeStatus on the shared example tree', () => {
  if (!seedExists) console.log(`shared fixture ${SEED} is absent; skipped`);

  it('ticks one byte per task and marks F001 completed in features.json when its last task is done', async () => {
    const dir = copyOf(SEED);
    const read = (rel: string) => readFileSync(join(dir, rel), 'utf8');
    const tasksBefore = read(F001);
    const featuresBefore = read('features.json');
    const projectBefore = read('.claude/project.json');
    const plan = await load(dir);

    await done(plan, 'F001.2', 'F001.3');
    expect(read(F001)).toBe(
      tasksBefore
        .replace('- [ ] [L1] Build the profile API', '- [x] [L1] Build the profile API')
        .replace('- [ ] [L1] Build the profile page', '- [x] [L1] Build the profile page'),
    );
    expect(read('features.json')).toBe(featuresBefore);

    await done(plan, 'F001.4');
    expect(read(F001)).toBe(tasksBefore.replace(/- \[ \]/g, '- [x]'));
    expect(read('features.json')).toBe(featuresBefore.replace('"status": "planned"', '"status": "completed"'));
    expect(read('.claude/project.json')).toBe(projectBefore);

    // Idempotent: a second write changes nothing.
    const afterTasks = read(F001);
    const afterFeatures = read('features.json');
    await done(plan, 'F001.4', 'F001.1');
    expect(read(F001)).toBe(afterTasks);
    expect(read('features.json')).toBe(afterFeatures);
  });

  it('marks I001 completed in .claude/project.json', async () => {
    const dir = copyOf(SEED);
    const read = (rel: string) => readFileSync(join(dir, rel), 'utf8');
    const projectBefore = read('.claude/project.json');
    const tasksBefore = read(I001);
    const plan = await load(dir);
    await done(plan, 'I001.1', 'I001.2', 'I001.3', 'I001.4');
    expect(read('.claude/project.json')).toBe(projectBefore);
    await done(plan, 'I001.5');
    expect(read(I001)).toBe(tasksBefore.replace(/- \[ \]/g, '- [x]'));
    expect(read('.claude/project.json')).toBe(
      projectBefore.replace('"blocks": ["F001"], "status": "pending"', '"blocks": ["F001"], "status": "completed"'),
    );
  });

  it('finds a task again after a person edits the file, and refuses when it is gone', async () => {
    const dir = copyOf(SEED);
    const file = join(dir, F001);
    const plan = await load(dir);
    const edited = readFileSync(file, 'utf8').replace('## Layer 1\n', '## Layer 1\n- [ ] [L1] A task added by hand\n');
    writeFileSync(file, edited);
    await done(plan, 'F001.3');
    expect(readFileSync(file, 'utf8')).toBe(
      edited.replace('- [ ] [L1] Build the profile page', '- [x] [L1] Build the profile page'),
    );

    const removed = readFileSync(file, 'utf8').replace(/- \[ \] \[L2\] Add avatar.*\n/, '');
    writeFileSync(file, removed);
    const r = await specsTreeFormat.writeStatus(plan, 'F001.4', 'done');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(
        /^task F001\.4 \("Add avatar upload to storage and the profile page"\) is no longer in /,
      );
      expect(r.error.location).toEqual(plan.tasks.find((t) => t.id === 'F001.4')?.source);
    }
    expect(readFileSync(file, 'utf8')).toBe(removed);
    const unknown = await specsTreeFormat.writeStatus(plan, 'F009.1', 'done');
    expect(unknown.ok).toBe(false);
  });
});

describe('specs-tree writeStatus on own fixtures', () => {
  it('adds a missing status to a one-line entry on its line', async () => {
    const dir = copyOf(join(FIXTURES, 'tree'));
    const project = join(dir, '.claude/project.json');
    const before = readFileSync(project, 'utf8');
    const plan = await load(dir);
    await done(plan, 'I002.1', 'I002.2', 'I002.3', 'I002.4');
    expect(readFileSync(project, 'utf8')).toBe(
      before.replace('"depends_on": ["I001", "I404"] }', '"depends_on": ["I001", "I404"], "status": "completed" }'),
    );
  });

  it('adds a missing status to a multi-line entry on a line of its own', async () => {
    const dir = copyOf(join(FIXTURES, 'tree'));
    const features = join(dir, 'features.json');
    const before = readFileSync(features, 'utf8').replace('      "status": "planned",\n', '');
    writeFileSync(features, before);
    const plan = await load(dir);
    await done(plan, 'F001.1', 'F001.2');
    expect(readFileSync(features, 'utf8')).toBe(
      before.replace(
        '"infrastructure_dependencies": ["I001"]\n',
        '"infrastructure_dependencies": ["I001"],\n      "status": "completed"\n',
      ),
    );
  });

  it('keeps CRLF line endings and a BOM in tasks.md and features.json', async () => {
    const dir = copyOf(join(FIXTURES, 'tree'));
    const tasks = join(dir, 'specs/features/phase-2/F002-saved-searches/tasks.md');
    const features = join(dir, 'features.json');
    for (const p of [tasks, features]) writeFileSync(p, `\ufeff${readFileSync(p, 'utf8').replace(/\n/g, '\r\n')}`);
    const tasksBefore = readFileSync(tasks);
    const featuresBefore = readFileSync(features, 'utf8');
    const plan = await load(dir);
    await done(plan, 'F002.2');
    const once = readFileSync(tasks);
    expect(once.length).toBe(tasksBefore.length);
    expect(once.toString('utf8')).toBe(replaceNth(tasksBefore.toString('utf8'), '- [ ]', '- [x]', 2));
    expect(readFileSync(features, 'utf8')).toBe(featuresBefore);
    await done(plan, 'F002.1');
    expect(readFileSync(tasks, 'utf8')).toBe(tasksBefore.toString('utf8').replace(/- \[ \]/g, '- [x]'));
    expect(readFileSync(features, 'utf8')).toBe(
      replaceNth(featuresBefore, '"status": "planned"', '"status": "completed"', 2),
    );
  });

  it('ticks a task while the book is missing, and reports a book that became invalid', async () => {
    const dir = copyOf(join(FIXTURES, 'bare'));
    const plan = await load(dir);
    await done(plan, 'F002.1');
    expect(readFileSync(join(dir, 'specs/features/phase-2/F002-ui/tasks.md'), 'utf8')).toContain(
      '- [x] Build the dashboard page',
    );
    mkdirSync(join(dir, '.claude'));
    writeFileSync(join(dir, '.claude/project.json'), '{\n  "infrastructure": {,\n}\n');
    await done(plan, 'I001.1', 'I001.2');
    const r = await specsTreeFormat.writeStatus(plan, 'I001.3', 'done');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.location).toEqual({ file: join(dir, '.claude/project.json'), line: 2, column: 22 });
      expect(r.error.message).toMatch(/I001 is done but not marked completed$/);
    }
  });
});

const progress = (status: PlanProgress['status'], tasks: PlanProgress['tasks']): PlanProgress => ({
  runId: 'run-1',
  startedAt: '2025-01-01T10:00:00.000Z',
  updatedAt: '2025-01-01T10:05:00.000Z',
  status,
  tasks,
});

describe.skipIf(!seedExists)('specs-tree recordProgress', () => {
  const running = progress('running', {
    'I001.1': {
      title: 'migration',
      status: 'done',
      attempts: 1,
      agent: 'claude',
      startedAt: '2025-01-01T10:00:10.000Z',
      endedAt: '2025-01-01T10:02:00.000Z',
    },
    'I001.2': {
      title: 'keys',
      status: 'failed',
      attempts: 2,
      agent: 'codex',
      startedAt: '2025-01-01T10:00:20.000Z',
      endedAt: '2025-01-01T10:03:00.000Z',
    },
    'I001.3': {
      title: 'middleware',
      status: 'running',
      attempts: 1,
      agent: 'claude',
      startedAt: '2025-01-01T10:04:00.000Z',
    },
  });

  it('writes execution.json with a running, a done and a failed task', async () => {
    const dir = copyOf(SEED);
    const plan = await load(dir);
    const r = await specsTreeFormat.recordProgress?.(plan, running);
    expect(r?.ok).toBe(true);
    const text = readFileSync(join(dir, '.claude/execution/execution.json'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "session": {');
    expect(JSON.parse(text)).toEqual({
      session: {
        id: 'run-1',
        started_at: '2025-01-01T10:00:00.000Z',
        updated_at: '2025-01-01T10:05:00.000Z',
        status: 'running',
        tool: 'taskwave',
      },
      specs: {
        I001: {
          name: 'Authentication',
          kind: 'infrastructure',
          phase: 0,
          status: 'partial',
          tasks_total: 5,
          tasks_completed: 1,
          remaining: [
            'Configure the auth provider keys in `config/auth.ts`',
            'Implement session verification middleware in `src/auth/verify.ts`',
            'Protect the `/api/account` endpoints with the middleware',
            'Add integration tests for sign-in and sign-out in `tests/auth.test.ts`',
          ],
          agents_mapped: { supabase: 'claude', clerk: 'codex', backend: 'claude', testing: null },
          started_at: '2025-01-01T10:00:10.000Z',
          completed_at: null,
          updated_at: '2025-01-01T10:04:00.000Z',
        },
        F001: {
          name: 'User Profile',
          kind: 'feature',
          phase: 1,
          status: 'in_progress',
          tasks_total: 4,
          tasks_completed: 1,
          remaining: [
            'Build the profile API route in `src/api/profile.ts`',
            'Build the profile page component in `web/pages/profile.tsx`',
            'Add avatar upload to storage and the profile page',
          ],
          agents_mapped: { supabase: null, backend: null, frontend: null },
          started_at: null,
          completed_at: null,
          updated_at: null,
        },
      },
      overall: {
        specs_total: 2,
        specs_completed: 0,
        specs_in_progress: 1,
        specs_partial: 1,
        specs_pending: 0,
        tasks_total: 9,
        tasks_completed: 2,
        tasks_failed: 1,
      },
    });
  });

  it('keeps keys it does not own and records a finished run', async () => {
    const dir = copyOf(SEED);
    const file = join(dir, '.claude/execution/execution.json');
    mkdirSync(join(dir, '.claude/execution'), { recursive: true });
    const foreign = {
      version: 3,
      session: { id: 'old', host: 'laptop' },
      specs: { I001: { notes: 'keep me', status: 'pending' }, X900: { status: 'completed' } },
      overall: { eta: 'soon' },
    };
    writeFileSync(file, JSON.stringify(foreign));
    const plan = await load(dir);
    const tasks: Record<string, TaskProgress> = {};
    plan.tasks.forEach((t, i) => {
      tasks[t.id] = {
        title: t.title,
        status: t.id === 'F001.1' ? 'skipped' : 'done',
        attempts: 1,
        agent: 'claude',
        startedAt: `2025-01-01T10:0${i}:00.000Z`,
        endedAt: `2025-01-01T10:0${i}:30.000Z`,
      };
    });
    const r = await specsTreeFormat.recordProgress?.(plan, progress('done', tasks));
    expect(r?.ok).toBe(true);
    const books = JSON.parse(readFileSync(file, 'utf8'));
    expect(books.version).toBe(3);
    expect(books.session).toEqual({
      id: 'run-1',
      host: 'laptop',
      started_at: '2025-01-01T10:00:00.000Z',
      updated_at: '2025-01-01T10:05:00.000Z',
      status: 'completed',
      tool: 'taskwave',
    });
    expect(books.specs.X900).toEqual({ status: 'completed' });
    expect(books.specs.I001.notes).toBe('keep me');
    expect(books.specs.I001.status).toBe('completed');
    expect(books.specs.I001.completed_at).toBe('2025-01-01T10:04:30.000Z');
    expect(books.specs.F001.status).toBe('completed');
    expect(books.specs.F001.remaining).toEqual([]);
    expect(books.specs.F001.started_at).toBe('2025-01-01T10:05:00.000Z');
    expect(books.overall).toEqual({
      eta: 'soon',
      specs_total: 2,
      specs_completed: 2,
      specs_in_progress: 0,
      specs_partial: 0,
      specs_pending: 0,
      tasks_total: 9,
      tasks_completed: 9,
      tasks_failed: 0,
    });
  });

  it('marks specs partial when the run ends with work left, pending when nothing is done', async () => {
    const dir = copyOf(SEED);
    const plan = await load(dir);
    const interrupted = { ...running, status: 'interrupted' as const };
    await specsTreeFormat.recordProgress?.(plan, interrupted);
    const books = JSON.parse(readFileSync(join(dir, '.claude/execution/execution.json'), 'utf8'));
    expect(books.session.status).toBe('interrupted');
    expect([books.specs.I001.status, books.specs.F001.status]).toEqual(['partial', 'partial']);

    const fresh = copyOf(SEED);
    const freshPlan = await load(fresh);
    freshPlan.tasks.forEach((t) => {
      if (t.status === 'done') t.status = 'pending';
    });
    await specsTreeFormat.recordProgress?.(freshPlan, progress('running', {}));
    const pending = JSON.parse(readFileSync(join(fresh, '.claude/execution/execution.json'), 'utf8'));
    expect([pending.specs.I001.status, pending.specs.F001.status]).toEqual(['pending', 'pending']);
    expect(pending.overall.specs_pending).toBe(2);
  });

  it('leaves an execution.json that is not JSON alone', async () => {
    const dir = copyOf(SEED);
    const file = join(dir, '.claude/execution/execution.json');
    mkdirSync(join(dir, '.claude/execution'), { recursive: true });
    writeFileSync(file, '{ "session": \n');
    const plan = await load(dir);
    const r = await specsTreeFormat.recordProgress?.(plan, running);
    expect(r?.ok).toBe(false);
    if (r && !r.ok) expect(r.error.location?.file).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('{ "session": \n');
  });
});
