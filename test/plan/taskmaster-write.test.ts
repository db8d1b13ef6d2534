import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { taskmasterFormat } from '../../src/plan/formats/taskmaster.js';
import type { Plan, ReadOptions } from '../../src/plan/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/taskmaster/', import.meta.url));

/** A temp copy of a fixture folder, for write-backs. */
function copyOf(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tw-'));
  cpSync(source, dir, { recursive: true });
  // The shared fixtures are read-only; the copies must be writable.
  chmodRecursive(dir);
  return dir;
}

function chmodRecursive(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.isDirectory() ? 0o755 : 0o644);
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) chmodRecursive(join(path, name));
  }
}

/** A temp repository whose `.taskmaster/tasks/tasks.json` holds `text`. */
function project(text: string | Buffer): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tw-'));
  mkdirSync(join(dir, '.taskmaster', 'tasks'), { recursive: true });
  const file = join(dir, '.taskmaster', 'tasks', 'tasks.json');
  writeFileSync(file, text);
  return { dir, file };
}

async function read(path: string, options?: ReadOptions): Promise<Plan> {
  const r = await taskmasterFormat.read(path, options);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

async function markDone(plan: Plan, id: string): Promise<void> {
  const r = await taskmasterFormat.writeStatus(plan, id, 'done');
  if (!r.ok) throw new Error(`expected the write to succeed, got ${JSON.stringify(r.error)}`);
}

/** `text` with `from` replaced by `to` on each of the given 1-based lines (exactly once per line). */
function withLines(text: string, changes: [line: number, from: string, to: string][]): string {
  const lines = text.split('\n');
  for (const [line, from, to] of changes) {
    const before = lines[line - 1] as string;
    expect(before.split(from)).toHaveLength(2);
    lines[line - 1] = before.replace(from, to);
  }
  return lines.join('\n');
}

const inode = (file: string): number => statSync(file).ino;

describe('taskmaster writeStatus', () => {
  it('sets one status value in a pretty-printed file, leaving every other byte', async () => {
    const dir = copyOf(join(FIXTURES, 'tagged'));
    const file = join(dir, '.taskmaster', 'tasks', 'tasks.json');
    const before = readFileSync(file, 'utf8');
    const plan = await read(dir);
    expect(plan.tag).toBe('feature-ui');
    await markDone(plan, '1');
    expect(readFileSync(file, 'utf8')).toBe(withLines(before, [[79, '"in-progress"', '"done"']]));
    expect((await read(dir)).tasks.map((t) => t.status)).toEqual(['done', 'pending']);
  });

  it('marks the parent done with its last open subtask, and only then', async () => {
    const dir = copyOf(join(FIXTURES, 'legacy'));
    const file = join(dir, 'tasks', 'tasks.json');
    const before = readFileSync(file, 'utf8');
    const plan = await read(dir);
    await markDone(plan, '2.1');
    const afterFirst = withLines(before, [[29, '"pending"', '"done"']]);
    expect(readFileSync(file, 'utf8')).toBe(afterFirst);
    await markDone(plan, '2.2');
    expect(readFileSync(file, 'utf8')).toBe(
      withLines(afterFirst, [
        [37, '"pending"', '"done"'],
        [20, '"pending"', '"done"'],
      ]),
    );
    const again = await read(dir);
    expect(again.groups?.[0]?.status).toBe('done');
    expect(again.tasks.map((t) => [t.id, t.status])).toEqual([
      ['1', 'done'],
      ['2.1', 'done'],
      ['2.2', 'done'],
      ['3', 'pending'],
    ]);
  });

  it('writes under the plan tag, not the current one, and leaves metadata alone', async () => {
    const dir = copyOf(join(FIXTURES, 'tagged'));
    const file = join(dir, '.taskmaster', 'tasks', 'tasks.json');
    const before = readFileSync(file, 'utf8');
    const plan = await read(dir, { tag: 'master' });
    await markDone(plan, '2.2');
    // 2.1 was done already, so the parent 2 follows.
    expect(readFileSync(file, 'utf8')).toBe(
      withLines(before, [
        [38, '"pending"', '"done"'],
        [21, '"pending"', '"done"'],
      ]),
    );
    await markDone(plan, '4');
    expect(readFileSync(file, 'utf8')).toBe(
      withLines(before, [
        [38, '"pending"', '"done"'],
        [21, '"pending"', '"done"'],
        [60, '"pending"', '"done"'],
      ]),
    );
  });

  it('keeps the formatting of a compact file', async () => {
    const text =
      '{"master":{"tasks":[{"id":1,"title":"A","status":"pending","dependencies":[]},{"id":2,"title":"B","status":"pending","dependencies":[1],"subtasks":[{"id":1,"title":"B1","status":"done"},{"id":2,"title":"B2","status":"pending"}]}],"metadata":{"updated":"2026-01-01T00:00:00.000Z"}}}';
    const { dir, file } = project(text);
    const plan = await read(dir);
    await markDone(plan, '1');
    const first = text.replace('{"id":1,"title":"A","status":"pending"', '{"id":1,"title":"A","status":"done"');
    expect(readFileSync(file, 'utf8')).toBe(first);
    await markDone(plan, '2.2');
    expect(readFileSync(file, 'utf8')).toBe(
      first
        .replace('"title":"B2","status":"pending"', '"title":"B2","status":"done"')
        .replace('"title":"B","status":"pending"', '"title":"B","status":"done"'),
    );
  });

  it('keeps CRLF line endings and a BOM', async () => {
    const lines = [
      '{',
      '  "tasks": [',
      '    {',
      '      "id": 1,',
      '      "title": "Windows task",',
      '      "status": "pending",',
      '      "dependencies": []',
      '    }',
      '  ]',
      '}',
      '',
    ];
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n'), 'utf8')]);
    const { dir, file } = project(bytes);
    const plan = await read(dir);
    expect(plan.tasks.map((t) => t.title)).toEqual(['Windows task']);
    await markDone(plan, '1');
    const expected = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(lines.join('\r\n').replace('"status": "pending"', '"status": "done"'), 'utf8'),
    ]);
    expect(readFileSync(file).equals(expected)).toBe(true);
  });

  it('inserts a status property where the task has none, in the file indentation and line endings', async () => {
    const text =
      '{\r\n    "tasks": [\r\n        {\r\n            "id": 1,\r\n            "title": "No status yet"\r\n        }\r\n    ]\r\n}\r\n';
    const { dir, file } = project(text);
    await markDone(await read(dir), '1');
    expect(readFileSync(file, 'utf8')).toBe(
      '{\r\n    "tasks": [\r\n        {\r\n            "id": 1,\r\n            "title": "No status yet",\r\n            "status": "done"\r\n        }\r\n    ]\r\n}\r\n',
    );
  });

  it('inserts a missing status into a one-line task on its line, in its spacing, leaving the lines around it', async () => {
    const lines = [
      '{',
      '  "tasks": [',
      '    {',
      '      "id": 3,',
      '      "title": "Redis storage",',
      '      "subtasks": [',
      '        { "id": 1, "title": "Lua take script", "dependencies": [] },',
      '        {"id":2,"title":"Wire it in","dependencies":[1]}',
      '      ]',
      '    }',
      '  ]',
      '}',
      '',
    ];
    const text = lines.join('\n');
    const { dir, file } = project(text);
    await markDone(await read(dir), '3.1');
    const one = text.replace('"dependencies": [] }', '"dependencies": [], "status": "done" }');
    expect(readFileSync(file, 'utf8')).toBe(one);
    // The last subtask closes the parent too: its status goes on a line of its own.
    await markDone(await read(dir), '3.2');
    expect(readFileSync(file, 'utf8')).toBe(
      one
        .replace('"dependencies":[1]}', '"dependencies":[1],"status":"done"}')
        .replace('      ]\n    }', '      ],\n      "status": "done"\n    }'),
    );
  });

  it('does not write a task that is already done, or in review', async () => {
    const text =
      '{"tasks":[{"id":1,"title":"A","status":"completed"},{"id":2,"title":"B","status":"review"},{"id":3,"title":"C","status":"pending"}]}';
    const { dir, file } = project(text);
    const plan = await read(dir);
    const ino = inode(file);
    await markDone(plan, '1');
    await markDone(plan, '2');
    expect(inode(file)).toBe(ino);
    expect(readFileSync(file, 'utf8')).toBe(text);
    await markDone(plan, '3');
    const written = inode(file);
    expect(written).not.toBe(ino);
    // Idempotent: the second time there is nothing to change.
    await markDone(plan, '3');
    expect(inode(file)).toBe(written);
    expect(readFileSync(file, 'utf8')).toBe(text.replace('"C","status":"pending"', '"C","status":"done"'));
  });

  it('counts completed and review siblings as done when closing the parent', async () => {
    const text =
      '{"tasks":[{"id":5,"title":"P","status":"in-progress","subtasks":[{"id":1,"title":"a","status":"completed"},{"id":2,"title":"b","status":"review"},{"id":3,"title":"c","status":"pending"}]}]}';
    const { dir, file } = project(text);
    await markDone(await read(dir), '5.3');
    expect(readFileSync(file, 'utf8')).toBe(
      text
        .replace('"c","status":"pending"', '"c","status":"done"')
        .replace('"P","status":"in-progress"', '"P","status":"done"'),
    );
  });

  it('writes tasks with string ids', async () => {
    const dir = copyOf(join(FIXTURES, 'string-ids'));
    const file = join(dir, '.taskmaster', 'tasks', 'tasks.json');
    const before = readFileSync(file, 'utf8');
    const plan = await read(dir);
    await markDone(plan, 'cleanup');
    await markDone(plan, '2.1');
    expect(readFileSync(file, 'utf8')).toBe(
      withLines(before, [
        [47, '"pending"', '"done"'],
        [28, '"pending"', '"done"'],
      ]),
    );
  });

  it('keeps what a person changed since the plan was read', async () => {
    const text = '{\n  "tasks": [\n    { "id": 1, "title": "A", "status": "pending" }\n  ]\n}\n';
    const { dir, file } = project(text);
    const plan = await read(dir);
    const edited =
      '{\n  "tasks": [\n    { "id": 7, "title": "Added by hand", "status": "pending" },\n    { "id": 1, "title": "A, renamed", "status": "pending" }\n  ]\n}\n';
    writeFileSync(file, edited);
    await markDone(plan, '1');
    expect(readFileSync(file, 'utf8')).toBe(
      edited.replace('"A, renamed", "status": "pending"', '"A, renamed", "status": "done"'),
    );
  });

  it('reports a task that is gone, a duplicated id, a broken file and a vanished tag, writing nothing', async () => {
    const { dir, file } = project('{"master":{"tasks":[{"id":1,"title":"A","status":"pending"}]}}');
    const plan = await read(dir);
    writeFileSync(file, '{"master":{"tasks":[{"id":2,"title":"B","status":"pending"}]}}');
    const gone = await taskmasterFormat.writeStatus(plan, '1', 'done');
    expect(gone.ok).toBe(false);
    if (!gone.ok) expect(gone.error.message).toBe(`task 1 is no longer in ${file} (tag master)`);

    writeFileSync(file, '{"master":{"tasks":[{"id":1,"title":"A"},\n{"id":"1","title":"A again"}]}}');
    const twice = await taskmasterFormat.writeStatus(plan, '1', 'done');
    expect(twice.ok).toBe(false);
    if (!twice.ok) {
      expect(twice.error.message).toMatch(/^task id 1 is written more than once/);
      expect(twice.error.location).toEqual({ file, line: 2, column: 1 });
    }

    const broken = '{"master":{"tasks":[{"id":1,"title":"A",]}}';
    writeFileSync(file, broken);
    const bad = await taskmasterFormat.writeStatus(plan, '1', 'done');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.message).toMatch(/^cannot mark task 1 done: invalid JSON/);
      expect(bad.error.location).toEqual({ file, line: 1, column: 41 });
    }
    expect(readFileSync(file, 'utf8')).toBe(broken);

    writeFileSync(file, '{"other":{"tasks":[{"id":1,"title":"A"}]}}');
    const noTag = await taskmasterFormat.writeStatus(plan, '1', 'done');
    expect(noTag.ok).toBe(false);
    if (!noTag.ok)
      expect(noTag.error.message).toBe(
        "cannot mark task 1 done: no tag 'master' in this tasks file; tags in the file: other",
      );
  });
});

// Conformance with the shared example tree (copied to a temp dir; never written in place).
const SHARED = fileURLToPath(new URL('../../../shared/fixtures/formats/taskmaster/', import.meta.url));
const sharedExists = existsSync(join(SHARED, '.taskmaster', 'tasks', 'tasks.json'));
if (!sharedExists) console.log(`shared Taskmaster fixture not found at ${SHARED}; its write-back tests are skipped`);

describe.skipIf(!sharedExists)('taskmaster writeStatus: shared fixture', () => {
  it('closes the subtasks of 3 one by one, then 3 itself, in place', async () => {
    const dir = copyOf(SHARED);
    const file = join(dir, '.taskmaster', 'tasks', 'tasks.json');
    const before = readFileSync(file, 'utf8');
    const plan = await read(dir);
    await markDone(plan, '3.1');
    await markDone(plan, '3.2');
    const twoDone = withLines(before, [
      [25, '"status": "pending"', '"status": "done"'],
      [26, '"status": "pending"', '"status": "done"'],
    ]);
    expect(readFileSync(file, 'utf8')).toBe(twoDone);
    await markDone(plan, '3.3');
    expect(readFileSync(file, 'utf8')).toBe(
      withLines(twoDone, [
        [27, '"status": "pending"', '"status": "done"'],
        [21, '"status": "pending"', '"status": "done"'],
      ]),
    );
    await markDone(plan, '2');
    const after = readFileSync(file, 'utf8');
    expect(after.split('\n')[35]).toBe('        "status": "done",');
    // The other tag and the metadata are as they were.
    expect(after.split('\n').slice(49)).toEqual(before.split('\n').slice(49));
    const again = await read(dir);
    expect(again.groups?.[0]?.status).toBe('done');
    expect(again.tasks.map((t) => t.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'deferred']);
  });
});
