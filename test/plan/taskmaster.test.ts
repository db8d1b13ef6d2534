import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../src/graph/validate.js';
import type { Diagnostic } from '../../src/plan/diagnostic.js';
import { taskmasterFormat } from '../../src/plan/formats/taskmaster.js';
import type { Plan, ReadOptions, Task } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/taskmaster/', import.meta.url));
const fixture = (...parts: string[]): string => join(FIXTURES, ...parts);

async function read(path: string, options?: ReadOptions): Promise<Plan> {
  const r = await taskmasterFormat.read(path, options);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

async function readErrors(path: string, options?: ReadOptions): Promise<Diagnostic[]> {
  const r = await taskmasterFormat.read(path, options);
  if (r.ok) throw new Error(`expected errors, got a plan with tasks ${r.value.tasks.map((t) => t.id).join(', ')}`);
  return r.error;
}

function task(plan: Plan, id: string): Task {
  const t = plan.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${plan.tasks.map((x) => x.id).join(', ')}`);
  return t;
}

const ids = (plan: Plan): string[] => plan.tasks.map((t) => t.id);
const depIds = (plan: Plan, id: string): string[] => task(plan, id).deps.map((d) => d.id);
const where = (d: Diagnostic): string => `${d.location?.line}:${d.location?.column}`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tw-'));
}

/** A temp repository holding `.taskmaster/tasks/tasks.json` with `text` (and state.json when given). */
function tempProject(text: string, state?: string): { dir: string; file: string } {
  const dir = tempDir();
  mkdirSync(join(dir, '.taskmaster', 'tasks'), { recursive: true });
  const file = join(dir, '.taskmaster', 'tasks', 'tasks.json');
  writeFileSync(file, text);
  if (state !== undefined) writeFileSync(join(dir, '.taskmaster', 'state.json'), state);
  return { dir, file };
}

describe('taskmaster detect', () => {
  it('claims the repository root, the .taskmaster folder and the tasks file', async () => {
    const root = fixture('tagged');
    expect(await taskmasterFormat.detect(root)).toBe(true);
    expect(await taskmasterFormat.detect(join(root, '.taskmaster'))).toBe(true);
    expect(await taskmasterFormat.detect(join(root, '.taskmaster', 'tasks', 'tasks.json'))).toBe(true);
  });

  it('claims the legacy tasks/tasks.json layout', async () => {
    expect(await taskmasterFormat.detect(fixture('legacy'))).toBe(true);
    expect(await taskmasterFormat.detect(fixture('legacy', 'tasks', 'tasks.json'))).toBe(true);
  });

  it('leaves a tasks.json that is not a Taskmaster root, and other files and folders, alone', async () => {
    expect(await taskmasterFormat.detect(fixture('not-taskmaster'))).toBe(false);
    expect(await taskmasterFormat.detect(fixture('not-taskmaster', 'tasks', 'tasks.json'))).toBe(false);
    expect(await taskmasterFormat.detect(FIXTURES)).toBe(false);
    expect(await taskmasterFormat.detect(fixture('nowhere'))).toBe(false);
    const dir = tempDir();
    writeFileSync(join(dir, 'plan.json'), '{"tasks": []}');
    expect(await taskmasterFormat.detect(join(dir, 'plan.json'))).toBe(false);
    mkdirSync(join(dir, 'tasks'));
    writeFileSync(join(dir, 'tasks', 'tasks.json'), '{"tasks": [');
    expect(await taskmasterFormat.detect(dir)).toBe(false);
  });

  it('claims a broken tasks.json inside .taskmaster, so that read reports its JSON error', async () => {
    const { dir } = tempProject('{"master": {"tasks": [}');
    expect(await taskmasterFormat.detect(dir)).toBe(true);
    expect((await readErrors(dir)).length).toBeGreaterThan(0);
  });

  it('looks only at the start of a very large file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'tasks'));
    const filler = ' '.repeat(9 * 1024 * 1024);
    writeFileSync(join(dir, 'tasks', 'tasks.json'), `{"tasks": [${filler}]}`);
    expect(await taskmasterFormat.detect(dir)).toBe(true);
    writeFileSync(join(dir, 'tasks', 'tasks.json'), `{"steps": [${filler}]}`);
    expect(await taskmasterFormat.detect(dir)).toBe(false);
  });
});

describe('taskmaster read: tags', () => {
  it('reads the current tag named in state.json', async () => {
    const plan = await read(fixture('tagged'));
    expect(plan.format).toBe('taskmaster');
    expect(plan.tag).toBe('feature-ui');
    expect(plan.path).toBe(fixture('tagged', '.taskmaster', 'tasks', 'tasks.json'));
    expect(ids(plan)).toEqual(['1', '2']);
    expect(plan.phases).toEqual([
      {
        id: 'feature-ui',
        title: 'tag feature-ui',
        source: { file: plan.path, line: 71, column: 3 },
        criteria: [],
      },
    ]);
    expect(task(plan, '1').status).toBe('in-progress');
    expect(depIds(plan, '2')).toEqual(['1']);
    expect(plan.tasks.every((t) => t.phase === 'feature-ui')).toBe(true);
  });

  it('reads another tag when asked', async () => {
    const plan = await read(fixture('tagged'), { tag: 'master' });
    expect(plan.tag).toBe('master');
    expect(ids(plan)).toEqual(['1', '2.1', '2.2', '3', '4']);
  });

  it('reports a tag that does not exist, listing the tags there are', async () => {
    const errors = await readErrors(fixture('tagged'), { tag: 'release-2' });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location).toEqual({
      file: fixture('tagged', '.taskmaster', 'tasks', 'tasks.json'),
      line: 1,
      column: 1,
    });
    expect(errors[0]?.message).toBe("no tag 'release-2' in this tasks file; tags in the file: master, feature-ui");
  });

  it('says so when the missing tag came from state.json', async () => {
    const { dir } = tempProject('{"master": {"tasks": []}}', '{"currentTag": "gone"}');
    const errors = await readErrors(dir);
    expect(errors[0]?.message).toMatch(
      /^no tag 'gone' in this tasks file; tags in the file: master \(the current tag, named in .*state\.json\)$/,
    );
  });

  it('reads master when there is no state.json, and warns when state.json is unreadable', async () => {
    const text = '{"master": {"tasks": [{"id": 1, "title": "Only task"}]}, "other": {"tasks": []}}';
    const quiet = await read(tempProject(text).dir);
    expect(quiet.tag).toBe('master');
    expect(quiet.warnings).toEqual([]);
    const noisy = await read(tempProject(text, '{"currentTag": ').dir);
    expect(noisy.tag).toBe('master');
    expect(noisy.warnings).toHaveLength(1);
    expect(noisy.warnings[0]?.severity).toBe('warning');
    expect(noisy.warnings[0]?.message).toMatch(/state\.json \(it is not valid JSON\); reading tag master/);
  });

  it('reads a legacy root as master, and refuses another tag for it', async () => {
    const plan = await read(fixture('legacy'));
    expect(plan.tag).toBe('master');
    expect(plan.path).toBe(fixture('legacy', 'tasks', 'tasks.json'));
    expect(ids(plan)).toEqual(['1', '2.1', '2.2', '3']);
    expect(plan.phases.map((p) => p.id)).toEqual(['master']);
    expect((await read(fixture('legacy'), { tag: 'master' })).tasks).toHaveLength(4);
    const errors = await readErrors(fixture('legacy'), { tag: 'feature' });
    expect(errors[0]?.message).toMatch(/^no tag 'feature' in this tasks file: it has no tags/);
    expect(where(errors[0] as Diagnostic)).toBe('1:1');
  });

  it('reads a legacy root whatever tag state.json names', async () => {
    const { dir } = tempProject('{"tasks": [{"id": 1, "title": "Only task"}]}', '{"currentTag": "feature"}');
    const plan = await read(dir);
    expect(plan.tag).toBe('master');
    expect(ids(plan)).toEqual(['1']);
  });
});

describe('taskmaster read: tasks, groups and dependencies', () => {
  it('turns a task with subtasks into a group whose dependencies its subtasks inherit', async () => {
    const plan = await read(fixture('legacy'));
    expect(plan.groups).toEqual([
      {
        id: '2',
        title: 'Load orders into Postgres',
        phase: 'master',
        members: ['2.1', '2.2'],
        status: 'pending',
        source: { file: plan.path, line: 15, column: 7 },
      },
    ]);
    expect(depIds(plan, '2.1')).toEqual(['1']);
    expect(depIds(plan, '2.2')).toEqual(['2.1', '1']);
    // A dependency on the group is one on each of its members.
    expect(depIds(plan, '3')).toEqual(['2.1', '2.2']);
    expect(task(plan, '3').deps.map((d) => where({ severity: 'error', message: '', location: d.source }))).toEqual([
      '49:24',
      '49:24',
    ]);
    expect(plan.tasks.flatMap((t) => t.deps).every((d) => d.kind === 'explicit')).toBe(true);
    expect(validateGraph(plan)).toEqual([]);
  });

  it('reads the task fields', async () => {
    const plan = await read(fixture('legacy'));
    const first = task(plan, '1');
    expect(first).toEqual({
      id: '1',
      idKind: 'explicit',
      title: 'Parse the CSV export',
      body: 'Read exports/orders.csv into Order records.\n\nUse csv-parse in streaming mode.\n\nTest strategy: Fixture CSV with quoted commas.',
      phase: 'master',
      deps: [],
      status: 'done',
      optional: false,
      parallel: false,
      tags: [],
      requirements: [],
      files: ['exports/orders.csv'],
      criteria: [],
      priority: 'high',
      source: { file: plan.path, line: 4, column: 7 },
    });
    // A subtask's prompt carries its parent's text, and its parent's priority when it has none.
    expect(task(plan, '2.1').body).toBe('Part of task 2: Load orders into Postgres\n\nBatch inserts of 1000 rows.');
    expect(task(plan, '2.1').priority).toBe('medium');
    expect(task(plan, '2.1').source).toEqual({ file: plan.path, line: 25, column: 11 });
  });

  it('reads string ids and dependencies, dotted and sibling, deduplicated', async () => {
    const plan = await read(fixture('string-ids'));
    expect(ids(plan)).toEqual(['1', '2.1', '2.2', 'cleanup']);
    expect(depIds(plan, '2.1')).toEqual(['1']);
    // "1", "2.1" and 1 all name subtask 2.1; the parent's "1" is inherited.
    expect(depIds(plan, '2.2')).toEqual(['2.1', '1']);
    expect(task(plan, '2.2').deps.map((d) => d.source.column)).toEqual([30, 26]);
    expect(depIds(plan, 'cleanup')).toEqual(['2.1', '2.2', '1']);
    expect(validateGraph(plan)).toEqual([]);
  });

  it('keeps a dependency on an unknown id, for the graph check to report where it is written', async () => {
    const text =
      '{"master": {"tasks": [\n{"id": 1, "title": "A", "dependencies": [7]},\n{"id": 2, "title": "B", "subtasks": [{"id": 1, "title": "B1", "dependencies": [5]}]}\n]}}\n';
    const { file, dir } = tempProject(text);
    const plan = await read(dir);
    expect(depIds(plan, '1')).toEqual(['7']);
    expect(depIds(plan, '2.1')).toEqual(['2.5']);
    const problems = validateGraph(plan);
    expect(problems.map((d) => `${where(d)} ${d.message}`)).toEqual([
      '2:42 1 depends on unknown task 7',
      '3:80 2.1 depends on unknown task 2.5',
    ]);
    expect(problems[0]?.location?.file).toBe(file);
  });

  it('reads a task with an empty subtasks list as a plain task', async () => {
    const plan = await read(fixture('legacy'));
    expect(task(plan, '3').title).toBe('Report load statistics');
    expect(plan.groups?.map((g) => g.id)).toEqual(['2']);
  });
});

describe('taskmaster read: statuses', () => {
  it('maps every Taskmaster status', async () => {
    const plan = await read(fixture('statuses'));
    const status = (id: string) => task(plan, id).status;
    expect(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].map(status)).toEqual([
      'pending',
      'in-progress',
      'done',
      'done',
      'done',
      'deferred',
      'cancelled',
      'pending',
      'pending',
      'pending',
      'pending',
      'done',
    ]);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatchObject({ severity: 'warning', location: { line: 97, column: 17 } });
    expect(plan.warnings[0]?.message).toBe(
      'task 9 has status "waiting", which Taskmaster does not use; read as pending',
    );
  });

  it('gives subtasks their parent status where it decides, and groups the status of their members', async () => {
    const plan = await read(fixture('statuses'));
    const status = (id: string) => task(plan, id).status;
    expect(['13.1', '13.2'].map(status)).toEqual(['done', 'done']);
    expect(['14.1', '14.2'].map(status)).toEqual(['done', 'deferred']);
    expect(['15.1', '15.2'].map(status)).toEqual(['done', 'done']);
    expect(['16.1', '16.2'].map(status)).toEqual(['done', 'pending']);
    expect(['17.1', '17.2'].map(status)).toEqual(['pending', 'pending']);
    expect(plan.groups?.map((g) => [g.id, g.status])).toEqual([
      ['13', 'done'],
      ['14', 'deferred'],
      ['15', 'done'],
      ['16', 'in-progress'],
      ['17', 'pending'],
    ]);
  });
});

describe('taskmaster read: mistakes in the file', () => {
  it('reports invalid JSON at its line and column', async () => {
    const text =
      '{\n  "master": {\n    "tasks": [\n      { "id": 1, "title": "A" }\n      { "id": 2, "title": "B" }\n    ]\n  }\n}\n';
    const { file, dir } = tempProject(text);
    const errors = await readErrors(dir);
    expect(errors[0]).toEqual({
      severity: 'error',
      location: { file, line: 5, column: 7 },
      message: "invalid JSON: expected ',' (or a closing bracket)",
    });
  });

  it('reports wrong shapes at the value that is wrong', async () => {
    const errors = await readErrors(fixture('bad-shapes'));
    expect(errors.map((d) => `${where(d)} ${d.message}`)).toEqual([
      '3:5 a task has no "id"',
      '8:5 the "title" of task 2 is missing',
      '18:23 "dependencies" of task 3 must be an array',
      '24:24 a dependency of task 4 must be a task id (a number or a string)',
      '31:19 "subtasks" of task 5 must be an array',
    ]);
    expect(errors.every((d) => d.location?.file === fixture('bad-shapes', 'tasks', 'tasks.json'))).toBe(true);
  });

  it('reports a root without tasks, and a tag without a tasks array', async () => {
    const notRoot = await readErrors(tempProject('[1, 2]').dir);
    expect(notRoot[0]?.message).toMatch(/^not a Taskmaster tasks file/);
    const noTasks = await readErrors(tempProject('{\n  "master": {\n    "metadata": {}\n  }\n}\n').dir);
    expect(noTasks.map((d) => `${where(d)} ${d.message}`)).toEqual(['2:13 tag \'master\' has no "tasks" array']);
    const legacy = await readErrors(tempProject('{\n  "tasks": "none"\n}\n').dir);
    expect(legacy.map((d) => `${where(d)} ${d.message}`)).toEqual(['2:12 "tasks" must be an array of tasks']);
  });

  it('reports a duplicate id at the second, pointing at the first', async () => {
    const errors = await readErrors(fixture('duplicates'));
    expect(errors.map((d) => `${where(d)} ${d.message}`)).toEqual([
      '10:7 duplicate task id 1',
      '22:11 duplicate task id 2.1',
    ]);
    expect(errors[0]?.related).toEqual([
      { file: fixture('duplicates', 'tasks', 'tasks.json'), line: 4, column: 7, message: '1 is first here' },
    ]);
  });

  it('reports a path that holds no tasks file', async () => {
    const errors = await readErrors(tempDir());
    expect(errors[0]?.message).toMatch(
      /^no Taskmaster tasks file at .*: looked for .*\.taskmaster\/tasks\/tasks\.json or .*tasks\/tasks\.json$/,
    );
  });
});

// Conformance with the shared example tree, checked by hand against the file.
const SHARED = fileURLToPath(new URL('../../../shared/fixtures/formats/taskmaster/', import.meta.url));
const sharedExists = existsSync(join(SHARED, '.taskmaster', 'tasks', 'tasks.json'));
if (!sharedExists) console.log(`shared Taskmaster fixture not found at ${SHARED}; its conformance tests are skipped`);

describe.skipIf(!sharedExists)('taskmaster read: shared fixture', () => {
  const file = join(SHARED, '.taskmaster', 'tasks', 'tasks.json');
  const at = (line: number, column: number) => ({ file, line, column });

  it('is detected from the root, the .taskmaster folder and the file', async () => {
    expect(await taskmasterFormat.detect(SHARED)).toBe(true);
    expect(await taskmasterFormat.detect(join(SHARED, '.taskmaster'))).toBe(true);
    expect(await taskmasterFormat.detect(file)).toBe(true);
  });

  it('master: tasks, groups, statuses and dependencies', async () => {
    const plan = await read(SHARED);
    expect(plan.tag).toBe('master');
    expect(plan.path).toBe(file);
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([['master', 'tag master']]);
    expect(ids(plan)).toEqual(['1', '3.1', '3.2', '3.3', '2', '4']);
    expect(plan.tasks.map((t) => t.status)).toEqual([
      'done',
      'pending',
      'pending',
      'pending',
      'in-progress',
      'deferred',
    ]);
    expect(plan.groups).toEqual([
      {
        id: '3',
        title: 'Add Redis-backed storage',
        phase: 'master',
        members: ['3.1', '3.2', '3.3'],
        status: 'pending',
        source: at(16, 9),
      },
    ]);
    expect(depIds(plan, '1')).toEqual([]);
    expect(task(plan, '3.1').deps).toEqual([{ id: '1', kind: 'explicit', source: at(22, 26) }]);
    expect(task(plan, '3.2').deps).toEqual([
      { id: '3.1', kind: 'explicit', source: at(26, 138) },
      { id: '1', kind: 'explicit', source: at(22, 26) },
    ]);
    // "3.2" and 2 name the same subtask: one edge, at the first.
    expect(task(plan, '3.3').deps).toEqual([
      { id: '3.2', kind: 'explicit', source: at(27, 134) },
      { id: '1', kind: 'explicit', source: at(22, 26) },
    ]);
    expect(task(plan, '2').deps).toEqual([{ id: '1', kind: 'explicit', source: at(37, 26) }]);
    expect(task(plan, '4').deps.map((d) => [d.id, d.source.column])).toEqual([
      ['2', 26],
      ['3.1', 29],
      ['3.2', 29],
      ['3.3', 29],
    ]);
    expect(validateGraph(plan)).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('master: titles, prompt text and priorities', async () => {
    const plan = await read(SHARED);
    expect(task(plan, '1').body).toBe(
      'Scaffold packages/ratelimit with its build and test scripts.\n\nUse a token bucket. Export createLimiter(options).\n\nTest strategy: Unit tests for the bucket refill arithmetic.',
    );
    // testStrategy null and "" add nothing.
    expect(task(plan, '2').body).toBe('Express-style middleware that answers 429 with Retry-After.');
    expect(task(plan, '4').body).toBe('Measure takes per second for both stores.');
    expect(task(plan, '3.3').title).toBe('Document the Redis option');
    expect(task(plan, '3.3').body).toBe(
      [
        'Part of task 3: Add Redis-backed storage',
        'Store buckets in Redis so several servers share limits.',
        'Use a Lua script for the atomic take.\n<info added on 2026-03-02T10:00:00.000Z>\nKeep the in-memory store as the default.\n</info added on 2026-03-02T10:00:00.000Z>',
        'Test strategy: Integration test against a local Redis server.',
      ].join('\n\n'),
    );
    expect(plan.tasks.map((t) => t.priority)).toEqual(['high', 'medium', 'medium', 'medium', 'high', 'low']);
    expect(plan.tasks.every((t) => t.idKind === 'explicit' && !t.parallel && !t.optional)).toBe(true);
  });

  it('feature-audit-log, by --tag', async () => {
    const plan = await read(SHARED, { tag: 'feature-audit-log' });
    expect(plan.tag).toBe('feature-audit-log');
    expect(plan.phases.map((p) => [p.id, p.source.line])).toEqual([['feature-audit-log', 55]]);
    expect(ids(plan)).toEqual(['1']);
    expect(task(plan, '1')).toMatchObject({
      title: 'Record every limit decision',
      status: 'pending',
      deps: [],
      body: '',
    });
    expect(plan.groups).toEqual([]);
  });

  it('reads the same from a temp copy whose state.json names the other tag', async () => {
    const dir = tempDir();
    cpSync(SHARED, dir, { recursive: true });
    writeFileSync(join(dir, '.taskmaster', 'state.json'), '{"currentTag": "feature-audit-log"}');
    expect((await read(dir)).tag).toBe('feature-audit-log');
  });
});
