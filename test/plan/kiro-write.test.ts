import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kiroFormat } from '../../src/plan/formats/kiro.js';
import { derivedTaskId } from '../../src/plan/task-ids.js';
import type { Plan } from '../../src/plan/types.js';

const FLAT = fileURLToPath(new URL('../fixtures/kiro/flat/.kiro/specs/search-index/tasks.md', import.meta.url));

/** A temp `.kiro/specs/<feature>/tasks.md` holding `content`; returns its path. */
function tempSpec(content: string | Buffer, feature = 'feature'): string {
  const dir = join(mkdtempSync(path.join(os.tmpdir(), 'tw-')), '.kiro', 'specs', feature);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'tasks.md');
  writeFileSync(file, content);
  return file;
}

async function load(file: string): Promise<Plan> {
  const r = await kiroFormat.read(file);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

async function tick(plan: Plan, id: string): Promise<void> {
  const r = await kiroFormat.writeStatus(plan, id, 'done');
  if (!r.ok) throw new Error(`expected the tick of ${id} to succeed: ${r.error.message}`);
}

/** `text` with the one occurrence of each `from` replaced by its `to`. */
function edited(text: string, ...changes: [string, string][]): string {
  let out = text;
  for (const [from, to] of changes) {
    expect(out.split(from)).toHaveLength(2);
    out = out.replace(from, to);
  }
  return out;
}

const md = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('kiro writeStatus', () => {
  it('ticks a flat sub-task and its parent once every required sub-task is done', async () => {
    const original = readFileSync(FLAT, 'utf8');
    const file = tempSpec(original);
    const plan = await load(file);
    await tick(plan, '2.2');
    // 2.1 was done and 2.3 is optional: the parent is done too.
    expect(readFileSync(file, 'utf8')).toBe(
      edited(original, ['- [ ] 2.2 Write', '- [x] 2.2 Write'], ['- [ ] 2. Build', '- [x] 2. Build']),
    );
    const before = readFileSync(file, 'utf8');
    await tick(plan, '2.3');
    expect(readFileSync(file, 'utf8')).toBe(edited(before, ['- [ ]* 2.3', '- [x]* 2.3']));
  });

  it('does not tick the parent while a required sub-task is open, and ticks a group by its id', async () => {
    const original = readFileSync(FLAT, 'utf8');
    const file = tempSpec(original);
    const plan = await load(file);
    await tick(plan, '4.2');
    const afterFirst = edited(original, ['* [ ] 4.2', '* [x] 4.2']);
    expect(readFileSync(file, 'utf8')).toBe(afterFirst);
    await tick(plan, '4');
    expect(readFileSync(file, 'utf8')).toBe(edited(afterFirst, ['- [ ] 4. Wire', '- [x] 4. Wire']));
  });

  it('ticks an unnumbered task by its derived id, and a `[~]` box', async () => {
    const original = readFileSync(FLAT, 'utf8');
    const file = tempSpec(original);
    const plan = await load(file);
    await tick(plan, derivedTaskId('Tidy up the changelog'));
    await tick(plan, '4.1');
    expect(readFileSync(file, 'utf8')).toBe(edited(original, ['- [ ] Tidy', '- [x] Tidy'], ['* [~] 4.1', '* [x] 4.1']));
  });

  it('writes nothing for a task that is already done', async () => {
    const file = tempSpec(readFileSync(FLAT));
    const plan = await load(file);
    const inode = statSync(file).ino;
    await tick(plan, '1');
    await tick(plan, '2.1');
    expect(statSync(file).ino).toBe(inode);
    expect(readFileSync(file)).toEqual(readFileSync(FLAT));
  });

  it('keeps CRLF line endings and a BOM, also for a task on the first line', async () => {
    const lf = md('- [ ] 1. First line task', '- [ ] 2. Parent', '  - [ ] 2.1 Only child', '    - detail é');
    const crlf = `\ufeff${lf.replace(/\n/g, '\r\n')}`;
    const file = tempSpec(crlf);
    const plan = await load(file);
    expect(plan.tasks.map((t) => [t.id, t.title, t.body])).toEqual([
      ['1', 'First line task', ''],
      ['2.1', 'Only child', '- detail é'],
    ]);
    await tick(plan, '1');
    await tick(plan, '2.1');
    const expected = edited(
      crlf,
      ['- [ ] 1.', '- [x] 1.'],
      ['- [ ] 2.1', '- [x] 2.1'],
      ['- [ ] 2. Parent', '- [x] 2. Parent'],
    );
    expect(readFileSync(file)).toEqual(Buffer.from(expected, 'utf8'));
  });

  it('reads a CRLF copy of a plan exactly as the LF original', async () => {
    const lfPlan = await load(FLAT);
    const file = tempSpec(readFileSync(FLAT, 'utf8').replace(/\n/g, '\r\n'), 'search-index');
    const crlfPlan = await load(file);
    const strip = (p: Plan) => ({
      tasks: p.tasks.map((t) => ({ ...t, source: t.source.line, deps: t.deps.map((d) => d.id) })),
      groups: p.groups?.map((g) => ({ ...g, source: g.source.line })),
      phases: p.phases.map((ph) => ph.id),
    });
    expect(strip(crlfPlan)).toEqual(strip(lfPlan));
  });

  it('finds the task again after the file was edited since it was read', async () => {
    const original = md('- [ ] 1. One', '- [ ] 2. Two');
    const file = tempSpec(original);
    const plan = await load(file);
    const edit = `# Tasks\n\n- [ ] 0.5 Inserted by a person\n${original}`;
    writeFileSync(file, edit);
    await tick(plan, '2');
    expect(readFileSync(file, 'utf8')).toBe(edited(edit, ['- [ ] 2. Two', '- [x] 2. Two']));
  });

  it('refuses a task written twice, a task that is gone, and a status other than done', async () => {
    const text = md('- [ ] 1. One', '- [ ] 1. One again', '- [ ] 2. Two');
    const file = tempSpec(md('- [ ] 1. One', '- [ ] 2. Two'));
    const plan = await load(file);
    writeFileSync(file, text);
    const twice = await kiroFormat.writeStatus(plan, '1', 'done');
    expect(twice.ok).toBe(false);
    if (!twice.ok) {
      expect(twice.error.location).toEqual({ file, line: 2, column: 7 });
      expect(twice.error.message).toBe('task number 1 is written more than once; not ticking it');
    }
    const gone = await kiroFormat.writeStatus(plan, '3', 'done');
    expect(gone.ok).toBe(false);
    if (!gone.ok) expect(gone.error.message).toBe(`task 3 is no longer in ${file}`);
    const other = await kiroFormat.writeStatus(plan, '2', 'failed' as 'done');
    expect(other.ok).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('reports a plan file that cannot be read', async () => {
    const file = tempSpec(md('- [ ] 1. One'));
    const plan = await load(file);
    const r = await kiroFormat.writeStatus({ ...plan, path: `${file}.missing` }, '1', 'done');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^cannot read /);
  });
});

const SHARED_SPEC = fileURLToPath(
  new URL('../../../shared/fixtures/formats/kiro/.kiro/specs/invoice-export/', import.meta.url),
);
const haveShared = existsSync(join(SHARED_SPEC, 'tasks.md'));
if (!haveShared) console.log(`conformance: the shared Kiro fixture is absent (${SHARED_SPEC}); skipping`);

describe.skipIf(!haveShared)('conformance: writing back to a copy of invoice-export', () => {
  it('ticks sub-tasks and their groups, keeping the optional star, byte for byte', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tw-'));
    const spec = join(root, '.kiro', 'specs', 'invoice-export');
    cpSync(SHARED_SPEC, spec, { recursive: true });
    const file = join(spec, 'tasks.md');
    chmodSync(file, 0o644);
    const original = readFileSync(file, 'utf8');
    const plan = await load(root);
    expect(plan.path).toBe(file);

    // 2.1 is done and 2.2 optional: finishing 2.3 finishes group 2.
    await tick(plan, '2.3');
    const step1 = edited(original, ['- [-] 2.3', '- [x] 2.3'], ['- [ ] 2. Implement', '- [x] 2. Implement']);
    expect(readFileSync(file, 'utf8')).toBe(step1);

    await tick(plan, '3.1');
    const step2 = edited(step1, ['- [ ] 3.1.', '- [x] 3.1.']);
    expect(readFileSync(file, 'utf8')).toBe(step2);

    await tick(plan, '3.2');
    const step3 = edited(step2, ['- [ ] 3.2.', '- [x] 3.2.'], ['- [ ] 3. Implement', '- [x] 3. Implement']);
    expect(readFileSync(file, 'utf8')).toBe(step3);

    await tick(plan, '2.2');
    const step4 = edited(step3, ['- [ ]* 2.2', '- [x]* 2.2']);
    expect(readFileSync(file, 'utf8')).toBe(step4);

    await tick(plan, '2.2');
    await tick(plan, '1');
    expect(readFileSync(file, 'utf8')).toBe(step4);

    const reread = await load(file);
    expect(reread.tasks.filter((t) => t.status !== 'done').map((t) => t.id)).toEqual(['4']);
    expect(reread.groups?.map((g) => g.status)).toEqual(['done', 'done']);
  });
});
