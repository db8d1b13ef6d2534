import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/plan/diagnostic.js';
import { extractFileRefs, isOutsideRepository } from '../../src/plan/file-refs.js';
import { claudioFormat } from '../../src/plan/formats/claudio.js';
import { kiroFormat } from '../../src/plan/formats/kiro.js';
import { markdownFormat } from '../../src/plan/formats/markdown.js';
import { platformModeFormat } from '../../src/plan/formats/platform-mode.js';
import { specsTreeFormat } from '../../src/plan/formats/specs-tree.js';
import { taskmasterFormat } from '../../src/plan/formats/taskmaster.js';
import { loadPlan } from '../../src/plan/registry.js';
import type { Plan, PlanFormat } from '../../src/plan/types.js';
import type { Result } from '../../src/result.js';

/*
 * Hostile plans: binary files, bytes that are not UTF-8, CRLF, a BOM, mixed indentation, nesting ten
 * thousand deep, a hundred thousand tasks, paths that leave the repository, links out of it, folders
 * and devices where a file should be, empty and oddly shaped JSON. Each is read correctly or refused
 * with a diagnostic; none throws.
 */

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskwave-hostile-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function put(rel: string, content: string | Uint8Array): string {
  const file = join(dir, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** The diagnostics of a read that must fail. */
function refused<T>(r: Result<T, Diagnostic[]>): Diagnostic[] {
  if (r.ok) throw new Error('expected the read to be refused');
  expect(r.error.length).toBeGreaterThan(0);
  expect(r.error.some((d) => d.severity === 'error')).toBe(true);
  return r.error;
}

function plan(r: Result<Plan, Diagnostic[]>): Plan {
  if (!r.ok) throw new Error(`expected a plan, got:\n${r.error.map((d) => d.message).join('\n')}`);
  return r.value;
}

async function loaded(path: string, format?: string): Promise<Plan> {
  const r = await loadPlan(path, format);
  if (!r.ok) throw new Error(`expected a plan, got:\n${r.error.map((d) => d.message).join('\n')}`);
  return r.value.plan;
}

describe('binary files', () => {
  const binary = Buffer.concat([Buffer.from('- [ ] T001 looks like a plan\n'), Buffer.from([0x00, 0x01, 0x02, 0xff])]);

  it('a file with NUL bytes is refused as binary, naming the file, whatever the format', async () => {
    const file = put('tasks.md', binary);
    for (const format of [undefined, 'markdown', 'kiro', 'phase-doc']) {
      const [d] = refused(await loadPlan(file, format));
      expect(d?.message).toBe('binary file, not a plan (it holds NUL bytes)');
      expect(d?.location).toEqual({ file, line: 2, column: 1 });
    }
  });

  it('the formats refuse one too when it is found inside a folder', async () => {
    put('.kiro/specs/feature/tasks.md', binary);
    expect(refused(await kiroFormat.read(dir))[0]?.message).toContain('binary file, not a plan');
    put('feature/tasks.md', binary);
    expect(refused(await markdownFormat.read(join(dir, 'feature')))[0]?.message).toContain('binary file');
    put('.taskmaster/tasks/tasks.json', Buffer.from('{"tasks": [\u0000]}'));
    expect(refused(await taskmasterFormat.read(dir))[0]?.message).toContain('binary file');
  });

  it('a binary file far past the first bytes is refused by the format that reads it', async () => {
    const file = put(
      'tasks.md',
      Buffer.concat([Buffer.from(`- [ ] T001 a\n${'x'.repeat(10_000)}\n`), Buffer.from([0])]),
    );
    expect(refused(await loadPlan(file, 'markdown'))[0]?.message).toContain('binary file');
  });

  it('UTF-16 text is named as such', async () => {
    const file = put('tasks.md', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('- [ ] T001 a\n', 'utf16le')]));
    expect(refused(await loadPlan(file))[0]?.message).toContain('UTF-16');
  });
});

describe('bytes that are not UTF-8', () => {
  const bad = (): Buffer =>
    Buffer.concat([
      Buffer.from('# Phase 1\n\n- [ ] T001 First\n  caf'),
      Buffer.from([0xe9]), // Latin-1 é
      Buffer.from('\n- [ ] T002 Second \u2014 na'),
      Buffer.from([0xef, 0xbf]), // a cut sequence
      Buffer.from('ve\n- [ ] T003 Third\n'),
    ]);

  it('are read as U+FFFD, with a warning at the first line that holds them', async () => {
    const file = put('tasks.md', bad());
    const p = await loaded(file);
    expect(p.tasks.map((t) => t.id)).toEqual(['T001', 'T002', 'T003']);
    // The line goes on with T001's first line: a wrapped title.
    expect(p.tasks[0]?.title).toBe('First caf\uFFFD');
    expect(p.warnings[0]).toEqual({
      severity: 'warning',
      location: { file, line: 4, column: 1 },
      message: 'invalid UTF-8 at line 4; the bytes were replaced with U+FFFD',
    });
  });

  it('ticking a task keeps them byte for byte, on other lines and on its own after the box', async () => {
    const file = put('tasks.md', bad());
    const before = readFileSync(file);
    const p = await loaded(file);
    for (const id of ['T003', 'T002']) {
      const r = await markdownFormat.writeStatus(p, id, 'done');
      expect(r.ok).toBe(true);
    }
    const after = readFileSync(file);
    const expected = Buffer.from(before);
    expected[before.indexOf('- [ ] T002') + 3] = 0x78;
    expected[before.indexOf('- [ ] T003') + 3] = 0x78;
    expect(after.equals(expected)).toBe(true);
  });

  it('a Kiro plan reads the same way', async () => {
    put(
      '.kiro/specs/f/tasks.md',
      Buffer.concat([Buffer.from('- [ ] 1. A '), Buffer.from([0xff]), Buffer.from('\n- [ ] 2. B\n')]),
    );
    const p = plan(await kiroFormat.read(dir));
    expect(p.tasks).toHaveLength(2);
    expect(p.warnings[0]?.message).toContain('invalid UTF-8 at line 1');
  });

  it('Taskmaster reads them, but will not rewrite such a file (its edit is made on decoded text)', async () => {
    const file = put(
      '.taskmaster/tasks/tasks.json',
      Buffer.concat([Buffer.from('{"tasks": [{"id": 1, "title": "caf'), Buffer.from([0xe9]), Buffer.from('"}]}')]),
    );
    const p = plan(await taskmasterFormat.read(dir));
    expect(p.tasks[0]?.title).toBe('caf\uFFFD');
    expect(p.warnings[0]?.message).toContain('invalid UTF-8 at line 1');
    const before = readFileSync(file);
    const r = await taskmasterFormat.writeStatus(p, '1', 'done');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('not valid UTF-8; not changing it');
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});

describe('line endings, BOM, indentation', () => {
  it('CRLF, a BOM and tabs mixed with spaces read like LF, no BOM and spaces', async () => {
    const lf = '# Phase 1\n\n- [ ] T001 First\n    Body one.\n\tBody two.\n  \t- detail\n- [x] T002 Second\n';
    const crlf = `\uFEFF${lf.replace(/\n/g, '\r\n')}`;
    const a = await loaded(put('lf/tasks.md', lf));
    const b = await loaded(put('crlf/tasks.md', crlf));
    const strip = (p: Plan): unknown => JSON.parse(JSON.stringify(p.tasks).replaceAll(p.path, 'tasks.md'));
    expect(strip(b)).toEqual(strip(a));
    expect(a.tasks[0]?.body).toBe('Body one.\nBody two.\n- detail');
    expect(JSON.stringify(b)).not.toContain('\\r');
    expect(b.tasks[0]?.source).toMatchObject({ line: 3, column: 7 });
  });

  it('a task line holding U+2028, U+2029 or a lone CR is still a task', async () => {
    const p = await loaded(
      put('tasks.md', '- [ ] T001 one\u2028two\n- [ ] T002 three\u2029four\n- [ ] T003 five\rsix\n'),
    );
    expect(p.tasks.map((t) => t.id)).toEqual(['T001', 'T002', 'T003']);
  });
});

describe('deep nesting', () => {
  /** `depth` list items, each nested one level deeper (by `step`) than the one before. */
  function nested(depth: number, step: string, box: (k: number) => string): string {
    const lines: string[] = [];
    for (let k = 0; k < depth; k++) lines.push(`${step.repeat(k)}- ${box(k)}item ${k}`);
    return `${lines.join('\n')}\n`;
  }

  it('1000 levels of nested list items read in every markdown-like format', async () => {
    const md = put(
      'md/tasks.md',
      nested(1000, '  ', (k) => (k === 0 ? '[ ] T001 ' : '[ ] ')),
    );
    const p = await loaded(md);
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]?.body.split('\n')).toHaveLength(999);

    put(
      '.kiro/specs/f/tasks.md',
      nested(1000, '  ', (k) => `[ ] 1.${'1.'.repeat(k)} `),
    );
    const kiro = plan(await kiroFormat.read(dir));
    expect(kiro.tasks.length + (kiro.groups?.length ?? 0)).toBe(1000);

    put(
      'specs/infrastructure/phase-1/001-core/tasks.md',
      nested(1000, '\t', () => '[ ] '),
    );
    expect(plan(await specsTreeFormat.read(dir)).tasks).toHaveLength(1);

    put('.claudio/phase1/tasks.md', `## Task 1.1: Deep\n\n${nested(1000, ' ', () => '')}`);
    expect(plan(await claudioFormat.read(join(dir, '.claudio'))).tasks).toHaveLength(1);

    put(
      '.platform-mode/plans/plan001.plan.md',
      `## Sprint 1\n\n**Story 1.1: Deep** (3 points)\n\n${nested(1000, '  ', () => '')}`,
    );
    expect(plan(await platformModeFormat.read(dir)).tasks).toHaveLength(1);
  });

  it('10,000 levels read without a stack overflow', async () => {
    // Ten thousand list markers on one line (ten thousand nested lists), and ten thousand indented lines.
    const oneLine = put('line/tasks.md', `${'- '.repeat(10_000)}[ ] T001 deep\n- [ ] T002 after\n`);
    expect((await loaded(oneLine)).tasks.map((t) => t.id)).toEqual(['T002']);
    const quotes = put('quotes/tasks.md', `${'> '.repeat(10_000)}- [ ] T001 quoted\n- [ ] T002 after\n`);
    expect((await loaded(quotes)).tasks.map((t) => t.id)).toEqual(['T002']);
    // Each level indents one column more, so this file is 50 MB: read by the format, not detected too.
    const indented = put(
      'indented/tasks.md',
      nested(10_000, ' ', (k) => (k === 0 ? '[ ] T001 ' : '[ ] ')),
    );
    const p = plan(await markdownFormat.read(indented));
    expect(p.tasks).toHaveLength(1);
    expect(p.warnings).toEqual([]);

    put(
      '.kiro/specs/f/tasks.md',
      nested(10_000, ' ', (k) => (k === 0 ? '[ ] 1. ' : '[ ] ')),
    );
    expect(plan(await kiroFormat.read(dir)).tasks).toHaveLength(1);
  });

  it('JSON nested ten thousand or a million deep is refused with a diagnostic, not a stack overflow', async () => {
    for (const depth of [10_000, 1_000_000]) {
      const file = put('.taskmaster/tasks/tasks.json', `{"tasks": [${'['.repeat(depth)}${']'.repeat(depth)}]}`);
      const [d] = refused(await loadPlan(dir));
      expect(d?.message).toBe('invalid JSON: nested more than 256 levels deep');
      // `{` and `[` are the first two levels; the 255th bracket after them opens level 257.
      expect(d?.location).toEqual({ file, line: 1, column: 11 + 255 });
    }
    put('.taskmaster/tasks/tasks.json', `{"tasks": [{"id": 1, "title": "t", "details": "${'['.repeat(5000)}"}]}`);
    expect(plan(await taskmasterFormat.read(dir)).tasks).toHaveLength(1);
  });
});

describe('a huge plan', () => {
  it('100,000 tasks read, every one of them', async () => {
    const lines = ['# Phase 1: Everything', ''];
    for (let k = 1; k <= 100_000; k++)
      lines.push(`- [${k % 3 === 0 ? 'x' : ' '}] T${k} [P] Task ${k} in \`src/f${k}.ts\``);
    const file = put('tasks.md', `${lines.join('\n')}\n`);
    const p = await loaded(file);
    expect(p.tasks).toHaveLength(100_000);
    expect(p.tasks.filter((t) => t.status === 'done')).toHaveLength(33_333);
    expect(p.tasks[99_999]).toMatchObject({ id: 'T100000', files: ['src/f100000.ts'], parallel: true });
  });
});

describe('paths outside the repository', () => {
  const NAMED = [
    'Read ../../etc/passwd and `/etc/passwd`, then ~/.ssh/id_rsa and `C:\\Windows\\win.ini`;',
    'also C:\\Windows\\System32\\drivers\\etc\\hosts, `~/.aws/credentials` and [x](../../secret.md).',
    'Edit `src/a.ts`, docs/guide.md and `/specs/001-x/plan.md`; leave src/../lib/b.ts alone.',
  ];
  const OUTSIDE = [
    '../../etc/passwd',
    '/etc/passwd',
    '~/.ssh/id_rsa',
    'C:\\Windows\\win.ini',
    'C:\\Windows\\System32\\drivers\\etc\\hosts',
    '~/.aws/credentials',
    '../../secret.md',
  ];
  const INSIDE = ['src/a.ts', 'docs/guide.md', 'specs/001-x/plan.md', 'src/../lib/b.ts'];

  it('are told apart from repository paths', () => {
    for (const p of OUTSIDE) expect(isOutsideRepository(p)).toBe(true);
    for (const p of ['src/a.ts', '/specs/001/x.md', './a/../b.ts', 'a/b/../../c.ts', '..', 'README.md']) {
      expect(isOutsideRepository(p)).toBe(false);
    }
    for (const p of ['a/../../b.ts', '//server/share/x.ts', '/usr/lib/x.so', '/home/me/x.ts', 'D:/x.ts']) {
      expect(isOutsideRepository(p)).toBe(true);
    }
    const outside: string[] = [];
    expect(extractFileRefs(NAMED.join('\n'), outside)).toEqual(INSIDE);
    expect(outside).toEqual(OUTSIDE);
  });

  const CASES: { format: PlanFormat; id: string; path: () => string; write: (text: string) => void }[] = [
    {
      format: markdownFormat,
      id: 'T001',
      path: () => join(dir, 'tasks.md'),
      write: (t) => put('tasks.md', `- [ ] T001 ${t.replace(/\n/g, '\n  ')}\n`),
    },
    {
      format: kiroFormat,
      id: '1',
      path: () => dir,
      write: (t) => put('.kiro/specs/f/tasks.md', `- [ ] 1. Work\n  - ${t.replace(/\n/g, '\n  - ')}\n`),
    },
    {
      format: specsTreeFormat,
      id: 'I001.1',
      path: () => dir,
      write: (t) =>
        put('specs/infrastructure/phase-1/001-core/tasks.md', `- [ ] Task: Work\n  ${t.replace(/\n/g, '\n  ')}\n`),
    },
    {
      format: claudioFormat,
      id: '1.1',
      path: () => join(dir, '.claudio'),
      write: (t) => put('.claudio/phase1/tasks.md', `## Task 1.1: Work\n\n${t}\n`),
    },
    {
      format: platformModeFormat,
      id: '1.1',
      path: () => dir,
      write: (t) =>
        put('.platform-mode/plans/plan001.plan.md', `## Sprint 1\n\n**Story 1.1: Work** (3 points)\n\n${t}\n`),
    },
    {
      format: taskmasterFormat,
      id: '1',
      path: () => dir,
      write: (t) =>
        put('.taskmaster/tasks/tasks.json', JSON.stringify({ tasks: [{ id: 1, title: 'Work', details: t }] })),
    },
  ];

  for (const c of CASES) {
    it(`${c.format.name}: never become a task's files; each is named in a warning at the task`, async () => {
      c.write(NAMED.join('\n'));
      const p = plan(await c.format.read(c.path()));
      const task = p.tasks.find((t) => t.id === c.id);
      if (!task) throw new Error(`no task ${c.id}`);
      for (const f of task.files) expect(isOutsideRepository(f)).toBe(false);
      expect(task.files.filter((f) => !INSIDE.includes(f))).toEqual([]);
      const warned = p.warnings.filter((w) => w.message.includes('outside the repository'));
      expect(warned.map((w) => w.message)).toEqual(
        OUTSIDE.map((o) => `${c.id} names a path outside the repository (${o}); taskwave ignores it`),
      );
      for (const w of warned) expect(w.location).toEqual(task.source);
    });
  }

  it('platform-mode: a References link out of the project is not a document for agents', async () => {
    put('project/docs/prd.md', '# PRD\n');
    put('x.md', 'outside the project\n');
    const file = put(
      'project/.platform-mode/plans/plan001.plan.md',
      '# Plan\n\n**References**: [prd](../../docs/prd.md), [pw](/etc/passwd), [up](../../../x.md)\n\n## Sprint 1\n\n**Story 1.1: A** (3 points)\n',
    );
    const p = plan(await platformModeFormat.read(join(dir, 'project')));
    expect(p.documents).toEqual([join(dir, 'project', 'docs', 'prd.md')]);
    expect(p.warnings.map((w) => [w.location?.line, w.message])).toEqual([
      [3, "the plan's References name a document outside the repository (/etc/passwd); taskwave ignores it"],
      [3, "the plan's References name a document outside the repository (../../../x.md); taskwave ignores it"],
    ]);
    expect(p.warnings[0]?.location?.file).toBe(file);
  });
});

describe('links, folders, devices, empty and oddly shaped files', () => {
  it('a plan file that links out of its repository is refused; one that links inside it is read', async () => {
    mkdirSync(join(dir, 'repo', '.git'), { recursive: true });
    const outside = put('elsewhere/plan.md', '- [ ] T001 Not yours\n');
    const link = join(dir, 'repo', 'tasks.md');
    symlinkSync(outside, link);
    const [d] = refused(await loadPlan(link));
    expect(d?.message).toContain(`symbolic link to ${outside}, outside the repository`);
    expect(refused(await markdownFormat.read(link))[0]?.message).toContain('outside the repository');

    put('repo/plans/real.md', '- [ ] T001 Yours\n');
    const inside = join(dir, 'repo', 'plan.md');
    symlinkSync(join(dir, 'repo', 'plans', 'real.md'), inside);
    expect((await loaded(inside)).tasks.map((t) => t.id)).toEqual(['T001']);
  });

  it('a linked tasks.md inside a format’s folder is refused the same way', async () => {
    mkdirSync(join(dir, 'repo', '.git'), { recursive: true });
    const outside = put('elsewhere/tasks.md', '- [ ] 1. Not yours\n');
    mkdirSync(join(dir, 'repo', '.kiro', 'specs', 'f'), { recursive: true });
    symlinkSync(outside, join(dir, 'repo', '.kiro', 'specs', 'f', 'tasks.md'));
    expect(refused(await loadPlan(join(dir, 'repo')))[0]?.message).toContain('outside the repository');
  });

  it('a folder named tasks.md is a clean diagnostic, detected or forced', async () => {
    mkdirSync(join(dir, 'tasks.md'));
    const path = join(dir, 'tasks.md');
    expect(refused(await loadPlan(path))[0]?.message).toContain('cannot tell the plan format of folder');
    expect(refused(await loadPlan(path, 'markdown'))[0]?.message).toBe(`${path} is a folder, not a plan file`);
    mkdirSync(join(dir, 'specs', 'infrastructure', 'phase-1', '001-core', 'tasks.md'), { recursive: true });
    expect(refused(await specsTreeFormat.read(dir))[0]?.message).toContain('is a folder, not a plan file');
  });

  it('a device or a named pipe is refused before anything reads it', async () => {
    expect(refused(await loadPlan('/dev/zero', 'markdown'))[0]?.message).toContain('not a regular file');
    const fifo = join(dir, 'tasks.md');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // No mkfifo here: the device case above stands for it.
    }
    expect(refused(await loadPlan(fifo, 'markdown'))[0]?.message).toContain('not a regular file');
  });

  it('an empty plan file is refused as such', async () => {
    const file = put('tasks.md', '');
    const [d] = refused(await loadPlan(file));
    expect(d).toMatchObject({ message: 'empty file, not a plan', location: { file, line: 1, column: 1 } });
    expect(refused(await loadPlan(file, 'markdown'))[0]?.message).toBe('empty file, not a plan');
    expect(refused(await markdownFormat.read(file))[0]?.message).toContain('no tasks found');
  });

  it('a 0-byte tasks.json is a JSON error at its first line', async () => {
    const file = put('.taskmaster/tasks/tasks.json', '');
    expect(refused(await loadPlan(dir))).toEqual([
      { severity: 'error', location: { file, line: 1, column: 1 }, message: 'invalid JSON: the file is empty' },
    ]);
    expect(refused(await loadPlan(file))[0]?.message).toBe('empty file, not a plan');
  });

  it('a tasks.json that is an array or a number is not a Taskmaster file', async () => {
    for (const text of ['[]', '[{"id": 1, "title": "t"}]', '42', '"tasks"', 'null', 'true']) {
      const file = put('.taskmaster/tasks/tasks.json', text);
      const [d] = refused(await loadPlan(dir));
      expect(d?.message).toContain('not a Taskmaster tasks file');
      expect(d?.location?.file).toBe(file);
      // Outside Taskmaster's own folder such a file is nobody's plan.
      const loose = put('loose/tasks/tasks.json', text);
      expect(refused(await loadPlan(join(dir, 'loose')))[0]?.message).toContain('cannot tell the plan format');
      expect(refused(await loadPlan(loose, 'taskmaster'))[0]?.message).toContain('not a Taskmaster tasks file');
    }
  });
});
