import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markdownFormat, parseMarkdownPlan } from '../../src/plan/formats/markdown.js';
import type { Plan } from '../../src/plan/types.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskwave-md-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function load(file: string): Promise<Plan> {
  const r = await markdownFormat.read(file);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** Indexes where two buffers differ (they must be the same length). */
function differences(a: Buffer, b: Buffer): number[] {
  expect(b.length).toBe(a.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

async function tickAndDiff(file: string, taskId: string): Promise<{ before: Buffer; after: Buffer; diff: number[] }> {
  const plan = await load(file);
  const before = readFileSync(file);
  const r = await markdownFormat.writeStatus(plan, taskId, 'done');
  expect(r).toEqual({ ok: true, value: undefined });
  const after = readFileSync(file);
  return { before, after, diff: differences(before, after) };
}

describe('markdownFormat.writeStatus', () => {
  it('changes exactly the one byte inside the brackets', async () => {
    const file = write('tasks.md', '# Phase 1\n\n- [ ] T001 First  \n- [ ] T002 Second\n  body\n');
    const { before, after, diff } = await tickAndDiff(file, 'T002');
    expect(diff).toEqual([before.indexOf('- [ ] T002') + 3]);
    expect(after.toString()).toBe('# Phase 1\n\n- [ ] T001 First  \n- [x] T002 Second\n  body\n');
  });

  it('keeps CRLF line endings', async () => {
    const text = '# Phase 1\r\n- [ ] T001 First\r\n- [ ] T002 Second\r\n';
    const file = write('tasks.md', text);
    const { after, diff } = await tickAndDiff(file, 'T002');
    expect(diff).toHaveLength(1);
    expect(after.toString()).toBe(text.replace('- [ ] T002', '- [x] T002'));
  });

  it('finds the byte with multi-byte characters, a BOM and a comment before the box', async () => {
    const text =
      '\uFEFF- [ ] T001 Ünïcödé ✅ first line 🎯\n' +
      '## Phase 2: Déjà vu 🚀\n' +
      '<!-- é 🎯 --> - [ ] T002 after a comment\n' +
      '- [ ] T003 “quotes” – dash\n';
    const file = write('tasks.md', text);
    for (const id of ['T001', 'T002', 'T003']) {
      const { after, diff } = await tickAndDiff(file, id);
      expect(diff).toHaveLength(1);
      expect(after[diff[0] as number]).toBe(0x78);
      expect(after[(diff[0] as number) - 1]).toBe(0x5b);
    }
    expect(readFileSync(file, 'utf8')).toBe(text.replaceAll('[ ]', '[x]'));
  });

  it('keeps bytes that are not valid UTF-8 elsewhere in the file', async () => {
    const head = Buffer.from('# Phase 1\n- [ ] T001 caf');
    const bad = Buffer.from([0xe9, 0xff, 0xfe]);
    const tail = Buffer.from(' latin-1 text\n- [ ] T002 next \xff\n', 'latin1');
    const file = write('tasks.md', Buffer.concat([head, bad, tail]));
    const { before, after, diff } = await tickAndDiff(file, 'T002');
    expect(diff).toEqual([before.lastIndexOf('- [ ] T002') + 3]);
    expect(after.subarray(head.length, head.length + 3)).toEqual(bad);
  });

  it('ticks the right task after the file was edited since it was read', async () => {
    const file = write('tasks.md', '# Tasks\n- [ ] T001 a\n- [ ] T002 b\n- [ ] Derived task\n');
    const plan = await load(file);
    const derived = plan.tasks[2]?.id as string;
    writeFileSync(
      file,
      '# Tasks\n- [ ] T000 inserted\nA new paragraph\n\n- [ ] T001 a\n- [ ] T002 b\n- [ ] Derived task\n',
    );
    expect(await markdownFormat.writeStatus(plan, 'T002', 'done')).toEqual({ ok: true, value: undefined });
    expect(await markdownFormat.writeStatus(plan, derived, 'done')).toEqual({ ok: true, value: undefined });
    expect(readFileSync(file, 'utf8')).toBe(
      '# Tasks\n- [ ] T000 inserted\nA new paragraph\n\n- [ ] T001 a\n- [x] T002 b\n- [x] Derived task\n',
    );
  });

  it('reports a task that is no longer in the file, and changes nothing', async () => {
    const file = write('tasks.md', '- [ ] T001 a\n- [ ] T002 b\n');
    const plan = await load(file);
    writeFileSync(file, '- [ ] T001 a\n');
    const r = await markdownFormat.writeStatus(plan, 'T002', 'done');
    expect(r).toEqual({
      ok: false,
      error: { severity: 'error', location: undefined, message: `task T002 is no longer in ${file}` },
    });
    expect(readFileSync(file, 'utf8')).toBe('- [ ] T001 a\n');
  });

  it('refuses to guess when the id is now written twice', async () => {
    const file = write('tasks.md', '- [ ] T001 a\n');
    const plan = await load(file);
    writeFileSync(file, '- [ ] T001 a\n- [ ] T001 copy\n');
    const r = await markdownFormat.writeStatus(plan, 'T001', 'done');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.location).toMatchObject({ line: 2, column: 7 });
    expect(readFileSync(file, 'utf8')).toBe('- [ ] T001 a\n- [ ] T001 copy\n');
  });

  it('leaves an already ticked task alone', async () => {
    const file = write('tasks.md', '- [X] T001 a\n- [x] T002 b');
    const plan = await load(file);
    const mtime = statSync(file).mtimeMs;
    expect(await markdownFormat.writeStatus(plan, 'T001', 'done')).toEqual({ ok: true, value: undefined });
    expect(readFileSync(file, 'utf8')).toBe('- [X] T001 a\n- [x] T002 b');
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('ticks [~] and [-] boxes and keeps a missing final newline', async () => {
    const file = write('tasks.md', '- [~] T001 partial\n- [-] T002 started');
    await tickAndDiff(file, 'T001');
    await tickAndDiff(file, 'T002');
    expect(readFileSync(file, 'utf8')).toBe('- [x] T001 partial\n- [x] T002 started');
  });

  it('keeps the file mode', async () => {
    const file = write('tasks.md', '- [ ] T001 a\n');
    chmodSync(file, 0o640);
    await tickAndDiff(file, 'T001');
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('leaves no temp files behind', async () => {
    const file = write('tasks.md', '- [ ] T001 a\n');
    await tickAndDiff(file, 'T001');
    expect(readFileSync(file, 'utf8')).toBe('- [x] T001 a\n');
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual(['tasks.md']);
  });
});

describe('markdownFormat.detect and read', () => {
  it('detects .md and .markdown files with at least one checkbox', async () => {
    const yes = write('tasks.md', '# T\n\n  * [x] done thing\n');
    const yes2 = write('plan.markdown', '1. [ ] numbered\n');
    const no = write('notes.md', '# Notes\n- bullet\n- [y] not a box\n');
    const txt = write('tasks.txt', '- [ ] T001 a\n');
    mkdirSync(join(dir, 'folder.md'));
    expect(await markdownFormat.detect(yes)).toBe(true);
    expect(await markdownFormat.detect(yes2)).toBe(true);
    expect(await markdownFormat.detect(no)).toBe(false);
    expect(await markdownFormat.detect(txt)).toBe(false);
    expect(await markdownFormat.detect(join(dir, 'folder.md'))).toBe(false);
    expect(await markdownFormat.detect(join(dir, 'missing.md'))).toBe(false);
  });

  it('reads with an absolute path and lists the spec documents beside the plan', async () => {
    write('spec.md', '# Spec\n');
    write('plan.md', '# Plan\n');
    write('quickstart.md', '# Quickstart\n');
    mkdirSync(join(dir, 'contracts'));
    write('tasks.md', '- [ ] T001 a\n');
    const plan = await load(relative(process.cwd(), join(dir, 'tasks.md')));
    expect(plan.path).toBe(join(dir, 'tasks.md'));
    expect(plan.format).toBe('markdown');
    expect(plan.tasks[0]?.source.file).toBe(join(dir, 'tasks.md'));
    expect(plan.documents).toEqual([
      join(dir, 'spec.md'),
      join(dir, 'plan.md'),
      join(dir, 'quickstart.md'),
      join(dir, 'contracts'),
    ]);
  });

  it('does not list the plan itself as a document', async () => {
    const file = write('plan.md', '- [ ] T001 a\n');
    expect((await load(file)).documents).toEqual([]);
  });

  it('reports a file it cannot read', async () => {
    const r = await markdownFormat.read(join(dir, 'missing.md'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]?.message).toMatch(/^cannot read .*missing\.md/);
  });

  it('returns the parse diagnostics', async () => {
    const file = write('tasks.md', '- [ ] T001 a\n- [ ] T001 b\n');
    const r = await markdownFormat.read(file);
    expect(r).toEqual(parseMarkdownPlan('- [ ] T001 a\n- [ ] T001 b\n', file));
    expect(r.ok).toBe(false);
  });
});
