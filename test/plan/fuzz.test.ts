import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { type Node as JsonNode, parseTree } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Diagnostic, formatDiagnostic } from '../../src/plan/diagnostic.js';
import { extractFileRefs } from '../../src/plan/file-refs.js';
import { effortMinutes, findField, statusFromText } from '../../src/plan/formats/claudio/fields.js';
import { parseTasksFile } from '../../src/plan/formats/claudio/tasks-file.js';
import { splitText } from '../../src/plan/formats/claudio/text-file.js';
import { claudioFormat } from '../../src/plan/formats/claudio.js';
import { parseJsonDocument } from '../../src/plan/formats/json-file.js';
import { looksLikeKiro } from '../../src/plan/formats/kiro/locate.js';
import { kiroFormat, parseKiroPlan, scanKiro } from '../../src/plan/formats/kiro.js';
import { markdownFormat, parseMarkdownPlan } from '../../src/plan/formats/markdown.js';
import { isPhaseDocument, phaseDocFormat } from '../../src/plan/formats/phase-doc.js';
import { parseDependencyText } from '../../src/plan/formats/platform-mode/dependencies.js';
import { parseLog, storyStatusOf } from '../../src/plan/formats/platform-mode/execution-log.js';
import { scanPlan } from '../../src/plan/formats/platform-mode/plan-scan.js';
import { platformModeFormat } from '../../src/plan/formats/platform-mode.js';
import { assemblePlan } from '../../src/plan/formats/specs-tree/assemble.js';
import type { SpecFolder } from '../../src/plan/formats/specs-tree/layout.js';
import { scanTasksFile } from '../../src/plan/formats/specs-tree/tasks-file.js';
import { specsTreeFormat } from '../../src/plan/formats/specs-tree.js';
import { buildPlan } from '../../src/plan/formats/taskmaster/build.js';
import { selectTag } from '../../src/plan/formats/taskmaster/root.js';
import { taskmasterFormat } from '../../src/plan/formats/taskmaster.js';
import { loadPlan } from '../../src/plan/registry.js';
import type { Plan, PlanFormat } from '../../src/plan/types.js';
import type { Result } from '../../src/result.js';

/*
 * Property-based fuzzing of every plan reader with fast-check: inputs built from each format's own
 * grammar (headings, checkboxes in every state with ids, tags and indentation in spaces, tabs or both,
 * CRLF and LF mixed, a BOM, unicode, code fences, HTML comments, tables, JSON of random shape), and
 * fully random text and bytes. Every read returns a Result (a plan, or diagnostics with a message and a
 * sane location) and never throws or takes long; ticking tasks back changes exactly the bytes the
 * generator says it should (positions come from the generator, never from the parser).
 *
 * TASKWAVE_FUZZ_SCALE=20 multiplies every run count, for a long local session; TASKWAVE_FUZZ_TALLY=1
 * prints how many generated plans read and why the others did not (a generator whose plans never read
 * tests only the error paths).
 */

const SCALE = Number(process.env.TASKWAVE_FUZZ_SCALE ?? '1') || 1;
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
/** A whole property (all its runs) must finish within this; a hang fails the test instead of the suite. */
const PROPERTY_TIMEOUT_MS = 60_000 * SCALE;
/** One read of one small generated plan. Generous: reads take a few milliseconds. */
const READ_BUDGET_MS = 2_000;

/** Reads that came back ok and not, by format: a property whose inputs never read ok tests little. */
const tally = new Map<string, { ok: number; failed: number }>();
const reasons = new Map<string, number>();

function count(name: string, r: Result<Plan, Diagnostic[]>): void {
  const t = tally.get(name) ?? { ok: 0, failed: 0 };
  if (r.ok) t.ok++;
  else {
    t.failed++;
    if (process.env.TASKWAVE_FUZZ_TALLY) {
      const key = `${name}: ${(r.error.find((d) => d.severity === 'error')?.message ?? '').replace(/[\d/].*$/s, '').slice(0, 50)}`;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
  }
  tally.set(name, t);
}

let root: string;

/**
 * Memory-backed when the machine has it: every write-back is an atomic replace with an fsync, a few
 * milliseconds each on a disk, and these properties write thousands of times.
 */
function scratchBase(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

beforeAll(() => {
  root = mkdtempSync(join(scratchBase(), 'taskwave-fuzz-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (process.env.TASKWAVE_FUZZ_TALLY)
    console.log(
      Object.fromEntries(tally),
      [...reasons].sort((a, b) => b[1] - a[1]),
    );
});

/** A fresh folder for one run; removed by the caller. */
function freshDir(): string {
  return mkdtempSync(join(root, 'run-'));
}

function put(file: string, content: string | Uint8Array): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = freshDir();
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `f`, failing when it takes longer than `budget` ms: a reader must never hang on any input. */
async function timed<T>(what: string, f: () => Promise<T>, budget = READ_BUDGET_MS): Promise<T> {
  const start = performance.now();
  const value = await f();
  const ms = performance.now() - start;
  if (ms > budget) throw new Error(`${what} took ${Math.round(ms)} ms (budget ${budget} ms)`);
  return value;
}

function expectDiagnostic(d: Diagnostic): void {
  expect(['error', 'warning']).toContain(d.severity);
  expect(typeof d.message).toBe('string');
  expect(d.message.trim()).not.toBe('');
  if (d.location) {
    expect(d.location.file).not.toBe('');
    expect(Number.isInteger(d.location.line) && d.location.line >= 1).toBe(true);
    expect(Number.isInteger(d.location.column) && d.location.column >= 1).toBe(true);
  }
  for (const r of d.related ?? []) expect(r.line).toBeGreaterThanOrEqual(1);
  expect(typeof formatDiagnostic(d)).toBe('string');
}

/** A read's answer is a Result: a plan with sane tasks, or at least one error diagnostic. */
function expectWellFormed(r: Result<Plan, Diagnostic[]>): void {
  expect(typeof r.ok).toBe('boolean');
  if (!r.ok) {
    expect(Array.isArray(r.error)).toBe(true);
    expect(r.error.length).toBeGreaterThan(0);
    for (const d of r.error) expectDiagnostic(d);
    expect(r.error.some((d) => d.severity === 'error')).toBe(true);
    return;
  }
  const plan = r.value;
  const ids = new Set<string>();
  for (const t of plan.tasks) {
    expect(t.id).toMatch(/\S/);
    expect(ids.has(t.id)).toBe(false);
    ids.add(t.id);
    expect(typeof t.title).toBe('string');
    expect(t.source.line).toBeGreaterThanOrEqual(1);
    expect(t.source.column).toBeGreaterThanOrEqual(1);
    // The generators name ../../etc/passwd, /etc/passwd, ~/.ssh/id_rsa and C:\Windows paths: none is a file of a task.
    for (const f of t.files) expect(f).not.toMatch(/^(?:\.\.(?:[/\\]|$)|~\/|[A-Za-z]:[/\\]|\/|etc\/)/);
  }
  for (const w of plan.warnings) expectDiagnostic(w);
}

/** `format.read` and `loadPlan` on `path`: both answer with a Result, in time, without throwing. */
async function readBoth(format: PlanFormat, path: string): Promise<Result<Plan, Diagnostic[]>> {
  const read = await timed(`${format.name}.read`, () => format.read(path));
  expectWellFormed(read);
  const loaded = await timed('loadPlan', () => loadPlan(path));
  expect(typeof loaded.ok).toBe('boolean');
  if (loaded.ok) expectWellFormed({ ok: true, value: loaded.value.plan });
  else expectWellFormed(loaded);
  return read;
}

/**
 * After a good read, writing tasks back never throws and always answers with a Result. A few tasks
 * each time: every write is an atomic replace with an fsync.
 */
async function writeEach(format: PlanFormat, plan: Plan): Promise<void> {
  for (const t of plan.tasks.slice(0, 3)) {
    const r = await timed(`${format.name}.writeStatus`, () => format.writeStatus(plan, t.id, 'done'));
    expect(typeof r.ok).toBe('boolean');
    if (!r.ok) expectDiagnostic(r.error);
  }
}

// ---------------------------------------------------------------------------------------------------
// Grammar pieces shared by the markdown-like formats.

const noNewline = (s: string): string => s.replace(/\n/g, ' ');

/** Words a title or a prose line is made of: plain, unicode, long, odd. */
const word = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('add', 'user', 'model', 'Setup', 'API', 'tests', 'the', 'service', 'x') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'ünïcödé',
      '日本語のテキスト',
      '🚀',
      '👍🏽',
      '👨‍👩‍👧',
      'e\u0301',
      'RTL\u202Etxt',
      'zero\u200Bwidth',
      '\uFFFD',
      'line\u2028sep',
      'para\u2029sep',
      'nbsp\u00A0here',
      'tab\there',
      'cr\rmid',
      'x'.repeat(300),
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map(noNewline) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).map(noNewline) },
);

/** Things tasks say: files (some outside the repository), dependencies, estimates, tags, requirements. */
const phrase = fc.constantFrom(
  '`src/a.ts`',
  'src/lib/util.py',
  'README.md',
  '`package.json`',
  './docs/guide.md',
  '`/specs/001-x/plan.md`',
  '../../etc/passwd',
  '`../../etc/passwd`',
  '/etc/passwd',
  '`/etc/hosts.conf`',
  '~/.ssh/id_rsa',
  '`~/.ssh/id_rsa`',
  '`C:\\Windows\\win.ini`',
  'C:\\Windows\\System32\\drivers\\etc\\hosts',
  '[spec](../../spec.md)',
  'https://example.com/a/b.ts',
  '`src/{a,b}.ts`',
  'v1.2.3',
  'Node.js',
  '`Makefile`',
  '.env',
  'depends on T001',
  '(after T002)',
  'Dependencies: T001, T003',
  'Depends on: T001-T004',
  'depends on T0',
  '(est 2h)',
  'Estimate: 3d',
  '(est. 30m)',
  '[P]',
  '[US1]',
  '[L2]',
  '[CRITICAL]',
  '[Story 2]',
  '[link](url)',
  '![img](a.png)',
  'FR-001',
  'SC-002',
  '_Requirements: 1.1, 2.3_',
  '**Validates: Requirements 1.2**',
  '(backend, mid)',
  '`code span`',
  '``double ` tick``',
  '**bold**',
  '__under__',
  '*',
  '_',
  '`',
  '[',
  ']',
  '<b>',
);

const piece = fc.oneof({ weight: 3, arbitrary: word }, { weight: 2, arbitrary: phrase });
const text = fc.array(piece, { minLength: 1, maxLength: 6 }).map((a) => a.join(' '));

const indentUnit = fc.constantFrom(' ', '  ', '\t', ' \t', '\t ');
const indent = fc.array(indentUnit, { maxLength: 3 }).map((a) => a.join(''));
const marker = fc.constantFrom('-', '*', '+', '1.', '2)', '10.', '123456789.');
const boxState = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(' ', 'x', 'X', '~', '-') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 0, maxLength: 2 }).map(noNewline) },
);
const idPrefix = fc.oneof(
  fc.constant(''),
  fc.integer({ min: 0, max: 40 }).map((n) => `T${String(n).padStart(3, '0')} `),
  fc.constantFrom('T010a ', '**T003** ', 'T003: ', '1. ', '2.1 ', '3.1. ', '10 ', 'Task: ', '**Task 1**: '),
);

const checkboxLine = fc
  .tuple(indent, marker, fc.constantFrom(' ', '\t', '  '), boxState, fc.constantFrom('', '*'), idPrefix, text)
  .map(([i, m, sp, st, star, id, t]) => `${i}${m}${sp}[${st}]${star}${star === '' ? ' ' : ''}${id}${t}`);

const headingPrefix = fc.constantFrom(
  '',
  'Phase 1: ',
  'Phase 2.1 ',
  'Layer 1',
  'L2 ',
  'Acceptance Criteria',
  'Checklist',
  'Phase 1 Completion Criteria',
  'Definition of Done',
  'Task 1.2: ',
  'Task 3 - ',
  'Sprint 1: ',
  '3.1 Sprint 2 - ',
  'Story 1.1: ',
  'Epic 1',
  'Tasks for I001: ',
  'I002: ',
  'Notes',
  'Dependencies',
  'Phase 1 - Task List',
);
const headingLine = fc
  .tuple(fc.integer({ min: 1, max: 7 }), headingPrefix, text, fc.constantFrom('', ' #', ' ##'))
  .map(([n, p, t, close]) => `${'#'.repeat(n)} ${p}${t}${close}`);

/** Lines every markdown-like format has an opinion about. */
const structureLine = fc.constantFrom(
  '```',
  '```ts',
  '~~~',
  '````',
  '   ```',
  '<!--',
  '-->',
  '<!-- c -->',
  '<!-- - [ ] T900 hidden',
  'done -->',
  '---',
  '...',
  '***',
  '___',
  '===',
  '- - -',
  '> quote - [ ] T901 quoted',
  '    indented code',
  '**Status**: In Progress',
  'Status: Complete',
  '**Status:** ✅ Done',
  '**Acceptance Criteria**:',
  'Acceptance criteria:',
  '**Success Criteria**',
);

/** Lines only one format writes, so each reader meets the others' lines too. */
const claudioLine = fc.constantFrom(
  '## Task 1.1: Set up',
  '### Task 2',
  '## **Task 1.3 - Bold**',
  '**Dependencies**: Task 1.1, 1.2',
  '**Dependencies**:',
  '- Task 1.1',
  '- 1.2 through 1.4',
  '**Effort**: 2-3 days',
  '**Estimated Effort**: banana',
  '**Type**: feature',
  '**Priority**: High (must)',
  '**Status**: ✅ Complete',
  '- **Current Status**: Not Started',
  '| Task ID | Task Name | Priority | Effort | Status |',
  '|---------|-----------|----------|--------|--------|',
  '| 1.1 | Set up | High | 2d | Done |',
  '| 2 | Second | Low | 4h | In Progress |',
  '| Task | ID | Status |',
  '## Dependencies',
  '- **Prerequisite Tasks**: 1.1, 1.2',
  '# Phase 1 - Task List',
  '## Phase 1 Completion Criteria',
);
const platformLine = fc.constantFrom(
  '## Sprint 1: Foundation (Weeks 1-2)',
  '### 3.1 Sprint 2 - Build',
  '### Epic 1: Core',
  '**Story 1.1: Title** (5 points)',
  '**Story 1.2 - Other** [3 pts]',
  '__Story 2.1: Under__',
  '#### Story 2.3 - Heading story (3 pts)',
  '| Story | Points | Dependencies |',
  '| User Story ID | Owner | Depends on |',
  '|---|---|---|',
  '| 1.2 | 3 | Story 1.1 |',
  '| Story 2.1 | 5 | all previous stories |',
  '- **Dependencies**: Story 1.1, 1.2 and 2.1',
  '**Dependencies**: none',
  '**Owner**: backend',
  '**References**: [prd](../prd.md), [plan](plan001.plan.md), [x](/etc/passwd)',
  '**Status**: COMPLETED',
  '**Generated by**: taskwave',
  '**Run**: `abc`',
  '**Sprint**: 1',
);
const storyLine = fc
  .tuple(
    fc.constantFrom('**', '__', '#### ', '### '),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 6 }),
    text,
  )
  .map(([open, sprint, n, t]) => {
    const close = open.startsWith('#') ? '' : open;
    return `${open}Story ${sprint}.${n}: ${t}${close} (${n} points)`;
  });
const kiroLine = fc.constantFrom(
  '- [ ] 1. Set up',
  '- [x] 2. Build',
  '  - [ ] 2.1 Sub',
  '  - [ ]* 2.2 Optional sub',
  '- [ ]*3. No space',
  '- [-] 4. Started',
  '  - _Requirements: 1.1, 2.3_',
  '  - **Requirements:** 1.1-1.15',
  '  - Requirements： 3.2 (Design §4)',
  '  - **Validates: Requirements 1.2, 1.3**',
  '- [ ] 1.1 Duplicate number',
  '- [ ] 3 retries',
  '- [ ] Checkpoint - ensure tests pass',
);
const specsLine = fc.constantFrom(
  '# Tasks for I001: Core',
  '# I002: Other',
  '## Layer 0',
  '## Layer 2: Build',
  '- [ ] Task: Build it (backend, mid)',
  '- [ ] [L1] Task 2: Tagged',
  '  - Agent: clerk',
  '  - **Complexity**: hard',
  '  - Priority: high',
  '  - Dependencies: L0 complete',
  '  - Depends on: I001.2',
);

const garbageLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }).map(noNewline),
  fc.string({ unit: 'grapheme', maxLength: 60 }).map(noNewline),
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(noNewline),
);

const bodyLine = fc
  .tuple(indent, fc.constantFrom('', '- ', '* ', '1. ', '> '), text)
  .map(([i, m, t]) => `${i}${m}${t}`);

/** One line of a markdown-like file, weighted towards what plans hold, with `extra` lines of one format. */
function lineOf(extra: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: checkboxLine },
    { weight: 3, arbitrary: headingLine },
    { weight: 4, arbitrary: bodyLine },
    { weight: 3, arbitrary: fc.constantFrom('', ' ', '\t') },
    { weight: 2, arbitrary: structureLine },
    { weight: 4, arbitrary: extra },
    { weight: 1, arbitrary: garbageLine },
  );
}

const eol = fc.constantFrom('\n', '\r\n');
const trailingSpace = fc.constantFrom('', '', '', ' ', '  ', '\t', ' \t ');

/** A document of such lines: CRLF and LF mixed, trailing whitespace, a BOM, a last line with or without an ending. */
function documentOf(line: fc.Arbitrary<string>, maxLines = 40): fc.Arbitrary<string> {
  return fc
    .record({
      bom: fc.boolean(),
      frontMatter: fc.constantFrom('', '', '', '---\ntitle: x\n---\n', '---\r\nunclosed: yes\r\n'),
      lines: fc.array(fc.tuple(line, trailingSpace, eol), { minLength: 1, maxLength: maxLines, size: 'medium' }),
      lastEol: fc.boolean(),
    })
    .map(({ bom, frontMatter, lines, lastEol }) => {
      let out = (bom ? '\uFEFF' : '') + frontMatter;
      lines.forEach(([l, ws, e], k) => {
        out += l + ws + (k < lines.length - 1 || lastEol ? e : '');
      });
      return out;
    });
}

/** Bytes that are not UTF-8: a lone continuation byte, a cut sequence, an overlong form, a surrogate. */
const badBytes = fc.constantFrom(
  Uint8Array.of(0xff),
  Uint8Array.of(0x80),
  Uint8Array.of(0xc3),
  Uint8Array.of(0xe2, 0x82),
  Uint8Array.of(0xc0, 0xaf),
  Uint8Array.of(0xed, 0xa0, 0x80),
  Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80),
  Uint8Array.of(0xfe, 0xff),
);

/** A document's bytes, sometimes with bytes that are not UTF-8 spliced in at random places. */
function bytesOf(doc: fc.Arbitrary<string>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(doc, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), badBytes), { maxLength: 3 }))
    .map(([d, cuts]) => {
      let buf = Buffer.from(d, 'utf8');
      for (const [where, bytes] of cuts) {
        const at = Math.floor(where * buf.length);
        buf = Buffer.concat([buf.subarray(0, at), bytes, buf.subarray(at)]);
      }
      return new Uint8Array(buf);
    });
}

/** Fully random input: unicode text, or any bytes at all. */
const randomContent: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }),
);

// ---------------------------------------------------------------------------------------------------
// JSON of random shape, for Taskmaster's tasks.json and a specs tree's books.

const idValue = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom('1', '2', '3.1', 'auth-setup', ' 4 ') },
  { weight: 1, arbitrary: fc.constantFrom(' ', '', 0, -1, 1.5, null, true) },
);
const statusValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'pending',
      'in-progress',
      'done',
      'completed',
      'review',
      'deferred',
      'cancelled',
      'canceled',
      'blocked',
      ' Done ',
      'PENDING',
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 })) },
);
const jsonText = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.string({ unit: 'binary' }) });
const jsonExtra = fc.jsonValue({ maxDepth: 2 });

const subtaskObject = fc.record(
  {
    id: idValue,
    title: fc.oneof({ weight: 5, arbitrary: jsonText }, { weight: 1, arbitrary: fc.constantFrom('', 3, null) }),
    description: jsonText,
    details: jsonText,
    status: statusValue,
    dependencies: fc.oneof(fc.array(idValue, { maxLength: 3 }), fc.constant(null), fc.constant('1')),
    subtasks: fc.constant([{ id: 1, title: 'too deep' }]),
    meta: jsonExtra,
  },
  { requiredKeys: [] },
);
const taskObject = fc.record(
  {
    id: idValue,
    title: fc.oneof({ weight: 5, arbitrary: jsonText }, { weight: 1, arbitrary: fc.constantFrom('', 3, null) }),
    description: jsonText,
    details: jsonText,
    testStrategy: jsonText,
    status: statusValue,
    priority: fc.oneof(fc.constantFrom('high', 'medium', 'low', ' '), fc.constant(null)),
    dependencies: fc.oneof(fc.array(idValue, { maxLength: 3 }), fc.constant(null), fc.constant({})),
    subtasks: fc.oneof(fc.array(subtaskObject, { maxLength: 3 }), fc.constant(null), fc.constant(7)),
    extra: jsonExtra,
  },
  { requiredKeys: [] },
);
/**
 * Tasks that mostly read: ids 1..n in order, a title, dependencies on earlier tasks, subtasks numbered
 * within their task; the other fields as generated.
 */
const orderlyTaskList = fc
  .array(fc.tuple(taskObject, fc.array(fc.nat(5), { maxLength: 2 }), fc.array(subtaskObject, { maxLength: 3 })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((tasks) =>
    tasks.map(([t, deps, subtasks], k) => ({
      ...t,
      id: k + 1,
      title: typeof t.title === 'string' && t.title.trim() !== '' ? t.title : `Task ${k + 1}`,
      dependencies: deps.filter((d) => d < k).map((d) => d + 1),
      subtasks: subtasks.map((sub, j) => ({
        ...sub,
        id: j + 1,
        title: typeof sub.title === 'string' && sub.title.trim() !== '' ? sub.title : `Sub ${j + 1}`,
        dependencies: j > 0 ? [j] : [],
      })),
    })),
  );
const taskList = fc.oneof(
  { weight: 6, arbitrary: orderlyTaskList },
  { weight: 3, arbitrary: fc.array(taskObject, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.oneof(fc.constant({}), fc.constant('tasks'), fc.array(jsonExtra, { maxLength: 3 })) },
);
const tagObject = fc.record({ tasks: taskList, metadata: jsonExtra }, { requiredKeys: ['tasks'] });
const tasksRoot = fc.oneof(
  { weight: 3, arbitrary: fc.record({ tasks: taskList, metadata: jsonExtra }, { requiredKeys: ['tasks'] }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        tagObject,
        fc.dictionary(fc.constantFrom('feature-x', 'tasks', 'ünï', 'master'), fc.oneof(tagObject, jsonExtra), {
          maxKeys: 3,
        }),
      )
      .map(([master, others]) => ({ master, ...others })),
  },
  { weight: 1, arbitrary: fc.oneof(jsonExtra, fc.array(taskObject, { maxLength: 2 })) },
);

/** Nesting deep enough to overflow a recursive parser's stack, as text (JSON.stringify would overflow too). */
const deepJson = fc
  .tuple(
    fc.integer({ min: 200, max: 20_000 }),
    fc.constantFrom(['[', ']'], ['{"tasks":', '}'], ['{"master":{"tasks":[', ']}}']),
  )
  .map(([depth, [open, close]]) => `{"tasks":[${open.repeat(depth)}${close.repeat(depth)}]}`);

/** JSON text as editors write it: indented or not, CRLF or LF, a BOM, sometimes cut short or spliced. */
function jsonDocument(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc
    .record({
      value,
      indent: fc.constantFrom(undefined, 2, 4, '\t'),
      crlf: fc.boolean(),
      bom: fc.boolean(),
      damage: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: fc.tuple(
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.constantFrom('', ',', '}', '[', '"', '//', '\u0000'),
          ),
        },
      ),
    })
    .map(({ value: v, indent: ind, crlf, bom, damage }) => {
      let s = JSON.stringify(v, null, ind) ?? 'null';
      if (crlf) s = s.replace(/\n/g, '\r\n');
      if (damage) {
        const at = Math.floor(damage[0] * s.length);
        s = s.slice(0, at) + damage[1] + (damage[1] === '' ? '' : s.slice(at));
      }
      return (bom ? '\uFEFF' : '') + s;
    });
}

// ---------------------------------------------------------------------------------------------------
// Layouts: where each format expects its files, and which path to give it.

interface Layout {
  format: PlanFormat;
  /** Writes the files into `dir`; returns the path to read. */
  write(dir: string, main: string | Uint8Array, extra: string | Uint8Array): string;
}

const LAYOUTS: Record<string, Layout> = {
  markdown: {
    format: markdownFormat,
    write: (dir, main) => put(join(dir, 'tasks.md'), main),
  },
  'phase-doc': {
    format: phaseDocFormat,
    write: (dir, main) => put(join(dir, 'phases', 'current', 'search_plan.md'), main),
  },
  kiro: {
    format: kiroFormat,
    write: (dir, main, extra) => {
      put(join(dir, '.kiro', 'specs', 'feature', 'tasks.md'), main);
      put(join(dir, '.kiro', 'specs', 'feature', 'requirements.md'), extra);
      return dir;
    },
  },
  'specs-tree': {
    format: specsTreeFormat,
    write: (dir, main, extra) => {
      put(join(dir, 'specs', 'infrastructure', 'phase-1', '001-core', 'tasks.md'), main);
      put(join(dir, 'specs', 'features', 'phase-1', 'F001-ui', 'tasks.md'), extra);
      return dir;
    },
  },
  claudio: {
    format: claudioFormat,
    write: (dir, main, extra) => {
      put(join(dir, '.claudio', 'phase1', 'tasks.md'), main);
      put(join(dir, '.claudio', 'phase1', 'task1', 'status.md'), extra);
      put(join(dir, '.claudio', 'phases', 'phase2', 'tasks.md'), extra);
      return join(dir, '.claudio');
    },
  },
  'platform-mode': {
    format: platformModeFormat,
    write: (dir, main, extra) => {
      put(join(dir, '.platform-mode', 'plans', 'plan001.plan.md'), main);
      put(join(dir, '.platform-mode', 'execution', 'execution001.execution.md'), extra);
      return dir;
    },
  },
  taskmaster: {
    format: taskmasterFormat,
    write: (dir, main, extra) => {
      put(join(dir, '.taskmaster', 'tasks', 'tasks.json'), main);
      put(join(dir, '.taskmaster', 'state.json'), extra);
      return dir;
    },
  },
};

const markdownDoc = documentOf(lineOf(fc.oneof(claudioLine, platformLine, kiroLine, specsLine)));
const GRAMMAR: Record<string, { main: fc.Arbitrary<string>; extra: fc.Arbitrary<string> }> = {
  markdown: { main: markdownDoc, extra: fc.constant('') },
  'phase-doc': {
    main: fc
      .tuple(fc.constantFrom('# Phase 1: Search\n\n**Status**: Planning\n\n', '**Status:** Done\r\n', ''), markdownDoc)
      .map(([h, d]) => h + d),
    extra: fc.constant(''),
  },
  kiro: { main: documentOf(lineOf(kiroLine)), extra: documentOf(lineOf(kiroLine), 5) },
  'specs-tree': { main: documentOf(lineOf(specsLine)), extra: documentOf(lineOf(specsLine), 10) },
  claudio: { main: documentOf(lineOf(claudioLine), 60), extra: documentOf(lineOf(claudioLine), 8) },
  'platform-mode': {
    main: documentOf(fc.oneof({ weight: 3, arbitrary: lineOf(platformLine) }, { weight: 1, arbitrary: storyLine }), 60),
    extra: documentOf(lineOf(platformLine), 15),
  },
  taskmaster: {
    main: fc.oneof({ weight: 12, arbitrary: jsonDocument(tasksRoot) }, { weight: 1, arbitrary: deepJson }),
    extra: jsonDocument(
      fc.oneof(fc.record({ currentTag: fc.constantFrom('master', 'feature-x', ' ', 'nope') }), jsonExtra),
    ),
  },
};

// ---------------------------------------------------------------------------------------------------

describe('every reader answers any input with a Result, in time', () => {
  for (const [name, layout] of Object.entries(LAYOUTS)) {
    const grammar = GRAMMAR[name] as (typeof GRAMMAR)[string];

    it(
      `${name}: inputs shaped like the format`,
      async () => {
        await fc.assert(
          fc.asyncProperty(grammar.main, grammar.extra, async (main, extra) => {
            await withDir(async (dir) => {
              const path = layout.write(dir, main, extra);
              const read = await readBoth(layout.format, path);
              count(name, read);
              if (read.ok) await writeEach(layout.format, read.value);
            });
          }),
          { numRuns: runs(name === 'taskmaster' ? 150 : 120) },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      `${name}: the same with bytes that are not UTF-8`,
      async () => {
        await fc.assert(
          fc.asyncProperty(bytesOf(grammar.main), grammar.extra, async (main, extra) => {
            await withDir(async (dir) => {
              const path = layout.write(dir, main, extra);
              const read = await readBoth(layout.format, path);
              if (read.ok) await writeEach(layout.format, read.value);
            });
          }),
          { numRuns: runs(40) },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      `${name}: fully random text and bytes`,
      async () => {
        await fc.assert(
          fc.asyncProperty(randomContent, randomContent, async (main, extra) => {
            await withDir(async (dir) => {
              await readBoth(layout.format, layout.write(dir, main, extra));
            });
          }),
          { numRuns: runs(40) },
        );
      },
      PROPERTY_TIMEOUT_MS,
    );
  }
});

// ---------------------------------------------------------------------------------------------------
// Round trips. A generated plan is a run of parts; the state character of each checkbox is a part of
// its own, so its byte offset comes from the generator, never from the parser.

interface BoxPart {
  state: string;
  /** `task`: a task the plan must have; `group`: a Kiro parent; `fake`: a box that is not a task. */
  role: 'task' | 'group' | 'fake';
  /** The explicit id the generator wrote, if any. */
  id?: string;
  /** For a Kiro group, the states of its members. */
  members?: string[];
}

type Part = string | Uint8Array | BoxPart | { status: string };

const isBox = (p: Part): p is BoxPart => typeof p === 'object' && 'role' in p;
const isStatus = (p: Part): p is { status: string } => typeof p === 'object' && 'status' in p;

interface Rendered {
  buf: Buffer;
  boxes: { offset: number; box: BoxPart }[];
  /** Byte span of a phase document's status value. */
  status?: { start: number; end: number; value: string };
}

function render(parts: readonly Part[], bom: boolean): Rendered {
  const chunks: Buffer[] = bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
  let offset = chunks.length > 0 ? 3 : 0;
  const boxes: Rendered['boxes'] = [];
  let status: Rendered['status'];
  for (const p of parts) {
    let b: Buffer;
    if (typeof p === 'string') b = Buffer.from(p, 'utf8');
    else if (p instanceof Uint8Array) b = Buffer.from(p);
    else if (isBox(p)) {
      boxes.push({ offset, box: p });
      b = Buffer.from(p.state, 'utf8');
    } else if (isStatus(p)) {
      b = Buffer.from(p.status, 'utf8');
      status = { start: offset, end: offset + b.length, value: p.status };
    } else throw new Error('unknown part');
    chunks.push(b);
    offset += b.length;
  }
  return { buf: Buffer.concat(chunks), boxes, ...(status ? { status } : {}) };
}

/** Fails with the first difference shown, rather than two buffers of a few kilobytes. */
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  if (actual.equals(expected)) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const show = (b: Buffer): string => JSON.stringify(b.subarray(Math.max(0, i - 30), i + 30).toString('latin1'));
  throw new Error(
    `bytes differ at offset ${i} (lengths ${actual.length} and ${expected.length}):\n  got      ${show(actual)}\n  expected ${show(expected)}`,
  );
}

const PENDING_STATES = new Set([' ', '~', '-']);

/** Text that never starts a block or a task id, never opens a comment: a title, a body line, a heading. */
const safeText = fc
  .tuple(fc.constantFrom('Add', 'Build', 'Wire', 'Écrire', '実装', 'Fix'), fc.array(piece, { maxLength: 5 }))
  .map(([first, rest]) => [first, ...rest].join(' '))
  // A NUL makes the file binary, refused by design (see hostile.test.ts).
  .filter((t) => !t.includes('<!--') && !t.includes('-->') && !t.includes('\u0000'));

/** Text for lines that must stay plain prose: no ids, tags or paths that could read as anything else. */
const proseText = fc
  .tuple(fc.constantFrom('Note', 'Context', 'Remarque', '説明'), fc.array(word, { maxLength: 5 }))
  .map(([first, rest]) => [first, ...rest].join(' '))
  .filter((t) => !t.includes('<!--') && !t.includes('-->') && !t.includes('\u0000') && !/[:：]\s*$/.test(t));

const maybeBad = fc.option(badBytes, { freq: 4 });
const state = fc.constantFrom(' ', ' ', ' ', 'x', 'X', '~', '-');
/** Indentation deeper than any task's (tasks are indented three spaces at most). */
const bodyIndent = fc.constantFrom('    ', '\t', '   \t', '     ', '\t\t', '    \t ');

const fakeBoxLine = fc.constantFrom(
  '- [ ] T900 not a task',
  '- [ ] 9.9 not a task',
  '* [x] T901 nor this',
  '1. [ ] T902 nor this',
);

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'blank' }
  | { kind: 'prose'; text: string; bad: Uint8Array | null }
  | { kind: 'fence'; char: string; inner: string[] }
  | { kind: 'comment'; inner: string[]; inline: boolean }
  | { kind: 'criteria'; items: string[] }
  | {
      kind: 'task';
      indent: string;
      marker: string;
      gap: string;
      state: string;
      after: string;
      idStyle: 'plain' | 'bold' | 'colon' | 'none';
      title: string;
      bad: Uint8Array | null;
      body: { indent: string; lead: string; text: string; blankBefore: boolean }[];
      bodyFence: boolean;
    };

const mdTaskBlock = fc.record({
  kind: fc.constant('task' as const),
  indent: fc.constantFrom('', '', '', ' ', '  ', '   '),
  marker: fc.constantFrom('-', '*', '+', '1.', '7)'),
  gap: fc.constantFrom(' ', ' ', '  ', '\t'),
  state,
  after: fc.constantFrom(' ', ' ', '  ', '\t'),
  idStyle: fc.constantFrom('plain', 'plain', 'bold', 'colon', 'none') as fc.Arbitrary<
    'plain' | 'bold' | 'colon' | 'none'
  >,
  title: safeText,
  bad: maybeBad,
  body: fc.array(
    fc.record({
      indent: bodyIndent,
      lead: fc.constantFrom('', '- ', '* ', '1. ', '- [ ] ', '- [x] '),
      text: safeText,
      blankBefore: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
  bodyFence: fc.boolean(),
});

const mdBlock: fc.Arbitrary<Block> = fc.oneof(
  { weight: 8, arbitrary: mdTaskBlock },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('heading' as const),
      level: fc.integer({ min: 1, max: 6 }),
      text: fc.oneof(
        safeText,
        safeText.map((t) => `Phase 2: ${t}`),
        safeText.map((t) => `Layer 1 ${t}`),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'blank' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('prose' as const), text: proseText, bad: maybeBad }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fence' as const),
      char: fc.constantFrom('```', '~~~', '````'),
      inner: fc.array(fc.oneof(fakeBoxLine, fc.constantFrom('# not a heading', '<!-- not a comment', '')), {
        maxLength: 3,
      }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('comment' as const),
      inner: fc.array(fc.oneof(fakeBoxLine, fc.constantFrom('```', '# hidden', '')), { minLength: 1, maxLength: 3 }),
      inline: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('criteria' as const),
      items: fc.array(safeText, { minLength: 1, maxLength: 3 }),
    }),
  },
);

/**
 * A markdown plan of tasks and the lines around them, with the byte of every box known. Each task is
 * indented no deeper than the one before it unless a heading came between (deeper would nest it), and
 * its body lines deeper than any task.
 */
const markdownPlan = fc
  .record({
    first: mdTaskBlock,
    blocks: fc.array(mdBlock, { maxLength: 14 }),
    eols: fc.array(eol, { minLength: 64, maxLength: 64 }),
    trailing: fc.array(trailingSpace, { minLength: 64, maxLength: 64 }),
    frontMatter: fc.boolean(),
    lastEol: fc.boolean(),
  })
  .map(({ first, blocks, eols, trailing, frontMatter, lastEol }) => {
    const parts: Part[] = [];
    let n = 0;
    const line = (...content: Part[]): void => {
      parts.push(...content, trailing[n % 64] as string, eols[n % 64] as string);
      n++;
    };
    if (frontMatter) {
      line('---');
      line('title: "- [ ] T903 front matter"');
      line('---');
    }
    let taskNo = 0;
    let maxIndent = 3;
    for (const b of [first, ...blocks]) {
      if (b.kind === 'heading') {
        line(`${'#'.repeat(b.level)} ${b.text}`);
        maxIndent = 3;
      } else if (b.kind === 'blank') line('');
      else if (b.kind === 'prose') {
        line('');
        line(b.text, ...(b.bad ? [b.bad] : []));
      } else if (b.kind === 'fence') {
        line(b.char);
        for (const l of b.inner) line(l);
        line(b.char);
      } else if (b.kind === 'comment') {
        if (b.inline) line(`<!-- ${b.inner.join(' ')} -->`);
        else {
          line('<!--');
          for (const l of b.inner) line(l);
          line('-->');
        }
      } else if (b.kind === 'criteria') {
        line('## Acceptance Criteria');
        for (const item of b.items) line('- [', { state: ' ', role: 'fake' }, `] ${item}`);
        line('## Work');
        maxIndent = 3;
      } else {
        taskNo++;
        const indent = b.indent.length > maxIndent ? ' '.repeat(maxIndent) : b.indent;
        maxIndent = indent.length;
        const id = `T${String(taskNo).padStart(3, '0')}`;
        const written =
          b.idStyle === 'plain'
            ? `${id} `
            : b.idStyle === 'bold'
              ? `**${id}** `
              : b.idStyle === 'colon'
                ? `${id}: `
                : '';
        const box: BoxPart = { state: b.state, role: 'task', ...(b.idStyle !== 'none' ? { id } : {}) };
        line(`${indent}${b.marker}${b.gap}[`, box, `]${b.after}${written}${b.title}`, ...(b.bad ? [b.bad] : []));
        for (const l of b.body) {
          if (l.blankBefore) line('');
          line(`${indent}${l.indent}${l.lead}${l.text}`);
        }
        if (b.bodyFence) {
          line(`${indent}  \`\`\`md`);
          line('- [ ] T904 inside a fence in a body');
          line(`${indent}  \`\`\``);
        }
      }
    }
    // The last line's ending, or none.
    if (!lastEol) parts.pop();
    return parts;
  });

/** What the file must be after every task not done was ticked: those boxes `x`, nothing else changed. */
function expectedAfterTicks(r: Rendered, tick: (box: BoxPart) => boolean): Buffer {
  const out = Buffer.from(r.buf);
  for (const { offset, box } of r.boxes) if (tick(box)) out[offset] = 0x78;
  return out;
}

const RUNNABLE = new Set(['pending', 'in-progress', 'failed']);

/** Reads the plan and writes back every task that is still to run, one at a time, as a run would. */
async function tickAll(format: PlanFormat, path: string): Promise<Plan> {
  const read = await format.read(path);
  if (!read.ok) throw new Error(`generated plan did not read:\n${read.error.map(formatDiagnostic).join('\n')}`);
  const root = statSync(path).isDirectory() ? path : dirname(path);
  const before = format.ticksEditOnly ? filesUnder(root) : undefined;
  for (const t of read.value.tasks) {
    if (!RUNNABLE.has(t.status)) continue;
    const r = await format.writeStatus(read.value, t.id, 'done');
    if (!r.ok) throw new Error(`writeStatus ${t.id}: ${formatDiagnostic(r.error)}`);
  }
  // A format whose ticks only edit must not have made a file: a merge commits its ticks with --all.
  if (before) expect(filesUnder(root)).toEqual(before);
  return read.value;
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** The generator's tasks and the plan's agree: the same number, the same explicit ids, in order. */
function expectSameTasks(plan: Plan, boxes: Rendered['boxes']): void {
  const tasks = boxes.filter((b) => b.box.role === 'task');
  expect(plan.tasks.length).toBe(tasks.length);
  tasks.forEach(({ box }, k) => {
    if (box.id !== undefined) expect(plan.tasks[k]?.id).toBe(box.id);
  });
}

describe('ticking every task back changes exactly its state byte', () => {
  it(
    'markdown: every pending box becomes x; CRLF, BOM, trailing space and other bytes stay',
    async () => {
      await fc.assert(
        fc.asyncProperty(markdownPlan, fc.boolean(), async (parts, bom) => {
          const r = render(parts, bom);
          await withDir(async (dir) => {
            const file = put(join(dir, 'tasks.md'), r.buf);
            const plan = await tickAll(markdownFormat, file);
            expectSameTasks(plan, r.boxes);
            const expected = expectedAfterTicks(r, (b) => b.role === 'task' && PENDING_STATES.has(b.state));
            expectSameBytes(readFileSync(file), expected);
          });
        }),
        { numRuns: runs(150) },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'specs-tree: the same in a spec’s tasks.md',
    async () => {
      await fc.assert(
        fc.asyncProperty(markdownPlan, fc.boolean(), async (parts, bom) => {
          const r = render(parts, bom);
          await withDir(async (dir) => {
            const file = put(join(dir, 'specs', 'infrastructure', 'phase-1', '001-core', 'tasks.md'), r.buf);
            const plan = await tickAll(specsTreeFormat, dir);
            expect(plan.tasks.length).toBe(r.boxes.filter((b) => b.box.role === 'task').length);
            const expected = expectedAfterTicks(r, (b) => b.role === 'task' && PENDING_STATES.has(b.state));
            expectSameBytes(readFileSync(file), expected);
          });
        }),
        { numRuns: runs(100) },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  const STATUS_VALUES: [string, boolean][] = [
    ['Planning', false],
    ['In Progress', false],
    ['Not Started', false],
    ['🚧 Draft', false],
    ['✅ Complete', true],
    ['Done', true],
    ['**Completed** (2024-05-01)', true],
  ];

  it(
    'phase-doc: the boxes, and the status line once every task is done',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          markdownPlan,
          fc.boolean(),
          fc.constantFrom(...STATUS_VALUES),
          fc.constantFrom('**Status**: ', '**Status:** ', 'Status:  '),
          eol,
          async (parts, bom, [status, complete], label, e) => {
            const header: Part[] = ['# Phase 1: Search', e, e, label, { status }, e, e];
            // Front matter would come before the header; a phase document has none.
            const body = parts[0] === '---' ? parts.slice(9) : parts;
            const r = render([...header, ...body], bom);
            await withDir(async (dir) => {
              const file = put(join(dir, 'phases', 'current', 'search_plan.md'), r.buf);
              const plan = await tickAll(phaseDocFormat, file);
              const ran = plan.tasks.some((t) => RUNNABLE.has(t.status));
              let expected = expectedAfterTicks(r, (b) => b.role === 'task' && PENDING_STATES.has(b.state));
              const where = r.status as NonNullable<Rendered['status']>;
              if (ran && !complete) {
                expected = Buffer.concat([
                  expected.subarray(0, where.start),
                  Buffer.from('Complete'),
                  expected.subarray(where.end),
                ]);
              }
              expectSameBytes(readFileSync(file), expected);
            });
          },
        ),
        { numRuns: runs(100) },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

interface KiroItemSeed {
  state: string;
  optional: boolean;
  tightStar: boolean;
  title: string;
  bad: Uint8Array | null;
  details: string[];
}

const kiroItem: fc.Arbitrary<KiroItemSeed> = fc.record({
  state,
  optional: fc.boolean(),
  tightStar: fc.boolean(),
  title: safeText,
  bad: maybeBad,
  details: fc.array(
    fc.oneof(
      safeText.map((t) => `- ${t}`),
      fc.constantFrom(
        '- _Requirements: 1.1, 2.3_',
        '- **Validates: Requirements 1.2**',
        '- [ ] a checklist line',
        '```',
        'plain detail',
      ),
    ),
    { maxLength: 3 },
  ),
});

const kiroPlan = fc
  .record({
    tasks: fc.array(
      fc.record({
        item: kiroItem,
        subs: fc.array(fc.tuple(kiroItem, fc.constantFrom('  ', '\t', '    ', '')), { maxLength: 3 }),
        before: fc.constantFrom('', '', 'blank', 'heading', 'fence', 'comment', 'prose'),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    eols: fc.array(eol, { minLength: 64, maxLength: 64 }),
    trailing: fc.array(trailingSpace, { minLength: 64, maxLength: 64 }),
  })
  .map(({ tasks, eols, trailing }) => {
    const parts: Part[] = [];
    let n = 0;
    const line = (...content: Part[]): void => {
      parts.push(...content, trailing[n % 64] as string, eols[n % 64] as string);
      n++;
    };
    line('# Implementation Plan');
    const item = (
      seed: KiroItemSeed,
      indent: string,
      number: string,
      role: BoxPart['role'],
      members?: string[],
    ): void => {
      const star = seed.optional ? (seed.tightStar ? '*' : '* ') : ' ';
      const box: BoxPart = { state: seed.state, role, id: number, ...(members ? { members } : {}) };
      line(
        `${indent}- [`,
        box,
        `]${star}${number}${number.includes('.') ? '' : '.'} ${seed.title}`,
        ...(seed.bad ? [seed.bad] : []),
      );
      let open = false;
      for (const d of seed.details) {
        line(`${indent}    ${d}`);
        if (d === '```') open = !open;
      }
      if (open) line(`${indent}    \`\`\``);
    };
    tasks.forEach(({ item: seed, subs, before }, k) => {
      const number = String(k + 1);
      if (before === 'blank') line('');
      else if (before === 'heading') line(`## ${seed.title}`);
      else if (before === 'fence') {
        line('```');
        line('- [ ] 9.9 not a task');
        line('```');
      } else if (before === 'comment') line('<!-- - [ ] 9.8 not a task -->');
      else if (before === 'prose') {
        line('');
        line('Some prose about the next task');
      }
      item(
        seed,
        '',
        number,
        subs.length > 0 ? 'group' : 'task',
        subs.map(([s]) => s.state),
      );
      subs.forEach(([sub, indent], j) => {
        item(sub, indent, `${number}.${j + 1}`, 'task');
      });
    });
    return parts;
  });

/** `value` without the `status` of each task and subtask of the task list at `path`. */
function withoutStatuses(value: unknown, path: (string | number)[]): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  let list: unknown = copy;
  for (const key of path) list = (list as Record<string | number, unknown>)[key];
  for (const task of list as Record<string, unknown>[]) {
    delete task.status;
    for (const sub of (Array.isArray(task.subtasks) ? task.subtasks : []) as Record<string, unknown>[])
      delete sub.status;
  }
  return copy;
}

/** Spans of the `status` values of each task and subtask of the task list at `path`, in the text. */
function statusSpans(text: string, path: (string | number)[]): { offset: number; length: number }[] {
  // Offsets as json-file reads them: a BOM stands in as one character.
  const tree = parseTree(text.replace(/^\uFEFF/, ' ')) as JsonNode;
  let node: JsonNode | undefined = tree;
  for (const key of path) {
    node =
      typeof key === 'number'
        ? node?.children?.[key]
        : node?.children?.find((p) => p.children?.[0]?.value === key)?.children?.[1];
  }
  const spans: { offset: number; length: number }[] = [];
  const statusOf = (obj: JsonNode): void => {
    const v = obj.children?.find((p) => p.children?.[0]?.value === 'status')?.children?.[1];
    if (v) spans.push({ offset: v.offset, length: v.length });
  };
  for (const task of node?.children ?? []) {
    statusOf(task);
    const subs = task.children?.find((p) => p.children?.[0]?.value === 'subtasks')?.children?.[1];
    for (const sub of subs?.type === 'array' ? (subs.children ?? []) : []) statusOf(sub);
  }
  return spans;
}

/** The text with every status value replaced by a marker: what must stay byte for byte. */
function skeleton(text: string, spans: { offset: number; length: number }[]): string {
  let out = '';
  let pos = 0;
  for (const s of [...spans].sort((a, b) => a.offset - b.offset)) {
    out += `${text.slice(pos, s.offset)}<status>`;
    pos = s.offset + s.length;
  }
  return out + text.slice(pos);
}

describe('ticking every task back changes exactly its state byte (kiro, taskmaster)', () => {
  it(
    'kiro: pending boxes become x, and a pending parent once a member of it was ticked',
    async () => {
      await fc.assert(
        fc.asyncProperty(kiroPlan, fc.boolean(), async (parts, bom) => {
          const r = render(parts, bom);
          await withDir(async (dir) => {
            const file = put(join(dir, '.kiro', 'specs', 'feature', 'tasks.md'), r.buf);
            const plan = await tickAll(kiroFormat, file);
            expectSameTasks(plan, r.boxes);
            const expected = expectedAfterTicks(
              r,
              (b) =>
                PENDING_STATES.has(b.state) &&
                (b.role === 'task' || (b.role === 'group' && (b.members ?? []).some((s) => PENDING_STATES.has(s)))),
            );
            expectSameBytes(readFileSync(file), expected);
          });
        }),
        { numRuns: runs(150) },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'taskmaster: only "status" values change, to "done"; every other byte stays',
    async () => {
      const orderlyRoot = fc.oneof(
        fc.record({ tasks: orderlyTaskList, metadata: jsonExtra }),
        fc
          .tuple(fc.record({ tasks: orderlyTaskList, metadata: jsonExtra }), fc.record({ tasks: orderlyTaskList }))
          .map(([master, other]) => ({ 'feature-x': other, master })),
      );
      const withStatus = orderlyRoot.map((root) => {
        // Every task and subtask says its status here, so a write-back replaces a value and inserts none.
        const lists = 'master' in root ? [root.master.tasks, root['feature-x'].tasks] : [root.tasks];
        for (const list of lists) {
          for (const t of list as Record<string, unknown>[]) {
            t.status ??= 'pending';
            for (const s of (t.subtasks ?? []) as Record<string, unknown>[]) s.status ??= 'pending';
          }
        }
        return root;
      });
      let written = 0;
      await fc.assert(
        fc.asyncProperty(
          jsonDocument(withStatus).filter((t) => !t.includes('\u0000')),
          async (text) => {
            await withDir(async (dir) => {
              const file = put(join(dir, '.taskmaster', 'tasks', 'tasks.json'), text);
              const read = await taskmasterFormat.read(dir);
              count('taskmaster round trip', read);
              // Damaged JSON or a generated dependency problem: nothing to write back.
              if (!read.ok) return;
              const plan = await tickAll(taskmasterFormat, dir);
              const after = readFileSync(file, 'utf8');
              const strip = (s: string): unknown => JSON.parse(s.replace(/^\uFEFF/, ''));
              const legacy = Array.isArray((strip(text) as { tasks?: unknown }).tasks);
              const path = legacy ? ['tasks'] : [plan.tag ?? 'master', 'tasks'];
              expect(withoutStatuses(strip(after), path)).toEqual(withoutStatuses(strip(text), path));
              expect(after.startsWith('\uFEFF')).toBe(text.startsWith('\uFEFF'));
              const before = statusSpans(text, path);
              const now = statusSpans(after, path);
              expect(now.length).toBe(before.length);
              expect(skeleton(after, now)).toBe(skeleton(text, before));
              // A value that changed is now exactly "done".
              now.forEach((s, k) => {
                const was = text.slice(before[k]?.offset, (before[k]?.offset ?? 0) + (before[k]?.length ?? 0));
                const is = after.slice(s.offset, s.offset + s.length);
                if (is !== was) {
                  written++;
                  expect(is).toBe('"done"');
                }
              });
              // Every task that ran now reads as done.
              const again = await taskmasterFormat.read(dir);
              expect(again.ok).toBe(true);
              if (!again.ok) return;
              for (const t of plan.tasks) {
                if (RUNNABLE.has(t.status)) expect(again.value.tasks.find((u) => u.id === t.id)?.status).toBe('done');
              }
            });
          },
        ),
        { numRuns: runs(150) },
      );
      // The property would hold trivially if nothing was ever written.
      expect(written).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------------
// Long lines. Random generation rarely builds a twenty-thousand-character run after just the right
// label, which is what makes a backtracking regex take quadratic time; so every label of every format
// is tried with every run that such regexes trip on. A linear reader takes milliseconds here; a
// quadratic one takes seconds.

const LONG = 20_000;
const LONG_BUDGET_MS = 50;
/**
 * What follows a label: a run of `fill`, after `lead` and before `end`. The lead stops a greedy
 * `[ \t]*` from eating the run first; the end `!` is what a pattern ending in `\w` or `\d` fails on.
 */
const RUNS: { fill: string; lead: string; end: string }[] = [
  ...[' ', '\t'].flatMap((fill) => ['', 'a'].flatMap((lead) => ['x', '!'].map((end) => ({ fill, lead, end })))),
  ...['*', '_'].flatMap((fill) => ['', 'a'].map((lead) => ({ fill, lead, end: 'x' }))),
  ...['-', '`', '.', '(', '()', '[', ', ', '/', ':', '#', '|', '1.', '1.1 ', 'a.', 'T1 ', ' x', ' and'].map((fill) => ({
    fill,
    lead: '',
    end: 'x',
  })),
];

const SHARED_PREFIXES = [
  '',
  '- ',
  '- [ ] T001 ',
  '- [ ] 1. ',
  '# ',
  '## Task 1.1: ',
  '**Status**: ',
  'Status: ',
  '`',
  '<!-- ',
  '| ',
  '> ',
  '[',
  'Estimate: ',
  '(est ',
  'depends on ',
  'Dependencies: T001',
  '**Acceptance Criteria**',
  '- **Agent**: ',
  '**Story 1.1: ',
];
const LONG_PREFIXES: Record<string, string[]> = {
  markdown: ['- [ ] T001 [P] ', '1. [x] ', '(after ', '**Status:** '],
  'phase-doc': ['**Status:** ', '__Status__: ', '# Phase 1 '],
  kiro: [
    '- [ ]* 1.1 ',
    '_Requirements: ',
    '- _Requirements: 1.1',
    '**Requirements:** ',
    '**Validates: ',
    'Validates: Requirements ',
    '- [ ] 1. x _Requirements: ',
    'Requirements: 1.1-',
  ],
  'specs-tree': [
    '- [ ] Task: ',
    '- [ ] x (',
    '## Layer ',
    '# Tasks for I001: ',
    '- Agent: ',
    '- Complexity: ',
    '- Dependencies: ',
  ],
  claudio: [
    '# Phase 1 ',
    '**Effort**: ',
    '**Dependencies**: ',
    '- Task ',
    '| 1.1 | ',
    '| Task ID | Status | ',
    '**Priority**: ',
    '- **Prerequisite Tasks**: ',
    '**Type**: ',
    '- **Current Status**: ',
  ],
  'platform-mode': [
    '## Sprint 1',
    '### 3.1 Sprint 2 - ',
    '### Epic 1',
    '| 1.2 | 3 | ',
    '| Story | Dependencies | ',
    '- **Dependencies**: Story ',
    '**References**: ',
    '**Owner**: ',
    '**Generated by**: ',
    'Story 1.1 ',
  ],
  taskmaster: [],
};

/** A task's first line, numbered `k`, in each format. */
const TASK_HEAD: Record<string, (k: number) => string> = {
  markdown: (k) => `- [ ] T${k + 1} A task`,
  'phase-doc': (k) => `- [ ] T${k + 1} A task`,
  'specs-tree': (k) => `- [ ] Task: A task ${k + 1} (backend, mid)`,
  kiro: (k) => `- [ ] ${k + 1}. A task`,
  claudio: (k) => `## Task 1.${k + 1}: A task`,
  'platform-mode': (k) => `**Story 1.${k + 1}: A story** (3 points)`,
};

/**
 * The file content for `lines`, each on its own or in a task of its own, followed by lines that close
 * whatever it may have opened (a code fence, an HTML comment), so that each long line is read as the
 * format would read it alone.
 */
function longDocument(name: string, lines: string[], inTask: boolean): { main: string; extra: string } {
  if (name === 'taskmaster') {
    const tasks = lines.map((l, k) => ({ id: k + 1, title: `x${l}`, details: l, status: inTask ? l : 'pending' }));
    return { main: JSON.stringify({ master: { tasks } }, null, 2), extra: JSON.stringify({ currentTag: lines[0] }) };
  }
  const head = TASK_HEAD[name] as (k: number) => string;
  const out: string[] = name === 'platform-mode' ? ['## Sprint 1: One', ''] : [];
  lines.forEach((line, k) => {
    if (inTask) out.push(head(k), `    ${line}`);
    else out.push(line);
    out.push('');
    const fence = /^[ \t]*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) out.push((fence[0] as string).repeat(LONG + 10));
    out.push('-->', '');
  });
  if (!inTask) out.push(head(0));
  const text = `${out.join('\n')}\n`;
  return { main: text, extra: text };
}

/**
 * Each format's parsing, from text to plan, without the file system: what `read` does once it has the
 * file's text (the file system would cost a millisecond a read; the parsing costs a tenth of one).
 */
const PARSE: Record<string, (text: string) => unknown> = {
  markdown: (text) => parseMarkdownPlan(text, '/r/tasks.md'),
  'phase-doc': (text) => [parseMarkdownPlan(text, '/r/phases/a_plan.md'), isPhaseDocument('/r/phases/a_plan.md', text)],
  kiro: (text) => [parseKiroPlan(text, '/r/tasks.md'), looksLikeKiro(scanKiro(text, '/r/tasks.md'))],
  'specs-tree': (text) => {
    const scan = scanTasksFile(text, '/r/tasks.md');
    const folder: SpecFolder = { id: 'I001', kind: 'infrastructure', phase: 1, slug: 'core', dir: '/r' };
    return assemblePlan('/', [{ folder, tasksFile: '/r/tasks.md', scan, documents: [] }], {
      entries: new Map(),
      warnings: [],
    });
  },
  claudio: (text) => {
    // What read.ts does with a phase's tasks.md and a task's status.md.
    const file = parseTasksFile(text, '1');
    const status = findField(splitText(text).lines, ['status', 'current status']);
    if (status) statusFromText(status.field.value);
    for (const t of file.tasks) {
      if (t.effort) effortMinutes(t.effort.value);
      if (t.status) statusFromText(t.status.value);
    }
    for (const row of file.summary.values()) {
      if (row.status) statusFromText(row.status);
      if (row.effort) effortMinutes(row.effort);
    }
    return file;
  },
  'platform-mode': (text) => {
    // What platform-mode.ts does with a plan, and with an execution log.
    const scan = scanPlan(text, '/r/plan001.plan.md');
    for (const d of scan.dependencies) parseDependencyText(d.text);
    for (const story of scan.stories) extractFileRefs([story.title, ...story.body, ...story.criteria].join('\n'));
    const log = parseLog(text);
    for (const e of log.entries) if (e.status) storyStatusOf(e.status.value);
    return [scan, log];
  },
  taskmaster: (text) => {
    const doc = parseJsonDocument(text, '/r/tasks.json');
    if (!doc.ok) return doc;
    const tag = selectTag(doc.value, 'master', false);
    return tag.ok ? buildPlan(doc.value, tag.value, []) : tag;
  },
};

describe('long lines take linear time in every parser', () => {
  for (const name of Object.keys(LAYOUTS)) {
    const parse = PARSE[name] as (text: string) => unknown;
    it(
      `${name}: every label followed by a ${LONG}-character run`,
      () => {
        const prefixes = [...SHARED_PREFIXES, ...(LONG_PREFIXES[name] ?? [])];
        const slow: string[] = [];
        for (const { fill, lead, end } of RUNS) {
          const run = fill.repeat(Math.ceil(LONG / fill.length)).slice(0, LONG);
          for (const inTask of [false, true]) {
            // One text per line: parsers act on the first of some lines only (a title, a status).
            for (const p of prefixes) {
              const doc = longDocument(name, [`${p}${lead}${run}${end}`], inTask);
              // The least of three, so that a pause of the machine is not taken for a slow parser.
              let ms = Number.POSITIVE_INFINITY;
              for (let k = 0; k < 3 && ms > LONG_BUDGET_MS; k++) {
                const start = performance.now();
                parse(doc.main);
                if (doc.extra !== doc.main) parse(doc.extra);
                ms = Math.min(ms, performance.now() - start);
              }
              if (ms > LONG_BUDGET_MS) {
                const what = `${JSON.stringify(p + lead)} + ${JSON.stringify(fill)}… + ${JSON.stringify(end)}`;
                slow.push(`${what}${inTask ? ' in a task' : ''}: ${Math.round(ms)} ms`);
              }
            }
          }
        }
        expect(slow).toEqual([]);
      },
      PROPERTY_TIMEOUT_MS,
    );
  }
});
