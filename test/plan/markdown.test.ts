import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../src/graph/index.js';
import { extractFileRefs } from '../../src/plan/file-refs.js';
import { parseMarkdownPlan, scanMarkdown } from '../../src/plan/formats/markdown.js';
import { derivedTaskId, findDependencyRefs } from '../../src/plan/task-ids.js';
import type { Plan, Task } from '../../src/plan/types.js';

const FILE = 'specs/001-demo/tasks.md';

function parse(text: string, file = FILE): Plan {
  const r = parseMarkdownPlan(text, file);
  if (!r.ok) throw new Error(`expected a plan, got errors: ${JSON.stringify(r.error, null, 2)}`);
  return r.value;
}

function task(plan: Plan, id: string): Task {
  const t = plan.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${plan.tasks.map((x) => x.id).join(', ')}`);
  return t;
}

const ids = (plan: Plan): string[] => plan.tasks.map((t) => t.id);
const depIds = (t: Task): string[] => t.deps.map((d) => d.id);
const md = (...lines: string[]): string => `${lines.join('\n')}\n`;
const explicitOf = (plan: Plan, id: string): string[] =>
  task(plan, id)
    .deps.filter((d) => d.kind === 'explicit')
    .map((d) => d.id);

/** Whether `from` (transitively) depends on `to`. */
function dependsOn(plan: Plan, from: string, to: string): boolean {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const cur = byId.get(stack.pop() as string);
    if (!cur) continue;
    for (const d of cur.deps) {
      if (d.id === to) return true;
      if (!seen.has(d.id)) {
        seen.add(d.id);
        stack.push(d.id);
      }
    }
  }
  return false;
}

describe('task lines', () => {
  it('reads spec-kit ids: T001, T010a, **T003**, T003:', () => {
    const plan = parse(
      md(
        '- [ ] T001 Plain id',
        '- [ ] T010a Suffix id',
        '- [ ] **T003** Bold id',
        '- [ ] T004: Colon id',
        '- [ ] **T005**: Bold and colon',
        '* [ ] T006 Star marker',
        '1. [ ] T007 Ordered marker',
      ),
    );
    expect(ids(plan)).toEqual(['T001', 'T010a', 'T003', 'T004', 'T005', 'T006', 'T007']);
    expect(plan.tasks.map((t) => t.title)).toEqual([
      'Plain id',
      'Suffix id',
      'Bold id',
      'Colon id',
      'Bold and colon',
      'Star marker',
      'Ordered marker',
    ]);
    expect(plan.tasks.every((t) => t.idKind === 'explicit')).toBe(true);
    expect(task(plan, 'T003').source).toEqual({ file: FILE, line: 3, column: 9 });
  });

  it('does not take a word that merely starts with T and digits as an id', () => {
    const plan = parse(md('- [ ] T001xy Not an id', '- [ ] T42abc also not', '- [ ] T001x is one: a suffix letter'));
    expect(plan.tasks.map((t) => t.idKind)).toEqual(['derived', 'derived', 'explicit']);
    expect(plan.tasks[0]?.title).toBe('T001xy Not an id');
    expect(plan.tasks[2]?.id).toBe('T001x');
  });

  it('finds [P] at the start, in the middle and at the end of the line', () => {
    const plan = parse(
      md(
        '- [ ] T001 [P] Start',
        '- [ ] T002 Middle [P] of the line',
        '- [ ] T003 End of the line [P]',
        '- [ ] T004 None',
      ),
    );
    expect(plan.tasks.map((t) => t.parallel)).toEqual([true, true, true, false]);
    expect(plan.tasks.map((t) => t.title)).toEqual(['Start', 'Middle of the line', 'End of the line', 'None']);
  });

  it('reads story labels and other bracket tags, but not links, code or checkbox-like text', () => {
    const plan = parse(
      md(
        '- [ ] T001 [P] [US1] Story task',
        '- [ ] T002 [CRITICAL] [conditional] [Story 2] Tagged',
        '- [ ] T003 See [the docs](https://example.com/x) and [ref][1] and ![img](a.png)',
        '- [ ] T004 Index with `arr[i]` and `[US9]` in code',
        '- [ ] T005 [US1] Repeated [US1] tag',
      ),
    );
    expect(task(plan, 'T001').tags).toEqual(['US1']);
    expect(task(plan, 'T001').parallel).toBe(true);
    expect(task(plan, 'T002').tags).toEqual(['CRITICAL', 'conditional', 'Story 2']);
    expect(task(plan, 'T002').title).toBe('Tagged');
    expect(task(plan, 'T003').tags).toEqual([]);
    expect(task(plan, 'T003').title).toBe('See [the docs](https://example.com/x) and [ref][1] and ![img](a.png)');
    expect(task(plan, 'T004').tags).toEqual([]);
    expect(task(plan, 'T004').title).toBe('Index with `arr[i]` and `[US9]` in code');
    expect(task(plan, 'T005').tags).toEqual(['US1']);
    expect(task(plan, 'T005').title).toBe('Repeated tag');
  });

  it('maps checkbox states: [ ] pending, [x]/[X] done, [-] in progress, [~] pending', () => {
    const plan = parse(md('- [ ] T001 a', '- [x] T002 b', '- [X] T003 c', '- [-] T004 d', '- [~] T005 e'));
    expect(plan.tasks.map((t) => t.status)).toEqual(['pending', 'done', 'done', 'in-progress', 'pending']);
    expect(plan.tasks.every((t) => t.optional === false)).toBe(true);
  });

  it('does not read checkboxes without text, or bullets that are not checkboxes, as tasks', () => {
    const plan = parse(
      md('- [ ]', '- [ ]   ', '- plain bullet', '- [y] T009 not a state', '-[ ] T008 no space', '- [ ] T001 real'),
    );
    expect(ids(plan)).toEqual(['T001']);
  });
});

describe('task bodies', () => {
  it('collects continuation lines, sub-bullets and nested checkboxes, dedented', () => {
    const plan = parse(
      md(
        '## Phase 1: Setup',
        '',
        '- [ ] T001 Build the thing',
        '  It has to work.',
        '  - sub bullet one',
        '    - deeper',
        '  - [ ] nested step',
        '  - [x] T099 nested with an id',
        '',
        '  after a blank line, still indented',
        '',
        'A paragraph after a blank line ends the body.',
        '- [ ] T002 Next task',
      ),
    );
    expect(ids(plan)).toEqual(['T001', 'T002']);
    expect(task(plan, 'T001').body).toBe(
      [
        'It has to work.',
        '- sub bullet one',
        '  - deeper',
        '- [ ] nested step',
        '- [x] T099 nested with an id',
        '',
        'after a blank line, still indented',
      ].join('\n'),
    );
    expect(task(plan, 'T002').body).toBe('');
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]?.message).toContain('T099 is nested under another task');
    expect(plan.warnings[0]?.location).toMatchObject({ line: 8, column: 9 });
  });

  it('counts tabs as indentation (tab-indented sub-bullets)', () => {
    const plan = parse(md('- [~] T032 Real client', '\t- DONE: HTTP client', '\t- TODO: signing', '- [ ] T033 Next'));
    expect(task(plan, 'T032').body).toBe('- DONE: HTTP client\n- TODO: signing');
    expect(ids(plan)).toEqual(['T032', 'T033']);
  });

  it("joins a hard-wrapped first line into the title; a sentence of its own under it is the body's", () => {
    const plan = parse(
      md(
        '- [ ] T001 Wire the installer in',
        '  `services/primitives.py` so that bundled',
        '  assets install offline.',
        '  Use the existing managers.',
        '- [ ] T002 Create the model',
        '  in src/models/user.py',
        '  - Depends on T001',
        '- [ ] Write the docs for',
        '  the bundle command',
        '- [ ] T004 Set up the database.',
        '  then seed it',
      ),
    );
    expect(task(plan, 'T001').title).toBe(
      'Wire the installer in `services/primitives.py` so that bundled assets install offline.',
    );
    expect(task(plan, 'T001').body).toBe('Use the existing managers.');
    expect(task(plan, 'T002').title).toBe('Create the model in src/models/user.py');
    expect(task(plan, 'T002').body).toBe('- Depends on T001');
    expect(task(plan, 'T002').deps.map((d) => d.id)).toEqual(['T001']);
    // A derived id is made of the first line alone, as before: the books of earlier runs still match.
    const derived = plan.tasks[2];
    expect(derived?.title).toBe('Write the docs for the bundle command');
    expect(derived?.id).toBe(parse(md('- [ ] Write the docs for')).tasks[0]?.id);
    // A line that cannot end there goes on in the next, capital or not; a title that has ended does not.
    const proper = parse(
      md(
        '- [ ] T006 Apply the default of',
        '  Copilot and the OS script type',
        '- [ ] T007 Create project structure',
        '  Create src/ and tests/ per plan.md',
      ),
    );
    expect(task(proper, 'T006').title).toBe('Apply the default of Copilot and the OS script type');
    expect(task(proper, 'T007').title).toBe('Create project structure');
    expect(task(proper, 'T007').body).toBe('Create src/ and tests/ per plan.md');
    // A first line that ends its sentence keeps the next line in the body.
    expect(task(plan, 'T004').title).toBe('Set up the database.');
    expect(task(plan, 'T004').body).toBe('then seed it');
    // The title's sentence ends inside a wrapped line: the rest of that line opens the body.
    const split = parse(
      md('- [ ] T005 Add the cache in', '  `src/cache.ts`. Keep it small, e.g. under', '  a hundred lines.'),
    );
    expect(task(split, 'T005').title).toBe('Add the cache in `src/cache.ts`.');
    expect(task(split, 'T005').body).toBe('Keep it small, e.g. under\na hundred lines.');
    expect(task(split, 'T005').files).toEqual(['src/cache.ts']);
  });

  it('takes lazy continuation lines, but not after a blank line', () => {
    const plan = parse(md('- [ ] T001 First line', 'Lazy continuation.', '', 'not part of it', '- [ ] T002 Second'));
    expect(task(plan, 'T001').body).toBe('Lazy continuation.');
  });

  it('keeps a nested task body relative to its own marker', () => {
    const plan = parse(
      md('- Group', '  - [ ] T001 Nested under a plain bullet', '    Detail.', '  - [ ] T002 Sibling'),
    );
    expect(ids(plan)).toEqual(['T001', 'T002']);
    expect(task(plan, 'T001').body).toBe('Detail.');
  });

  it('keeps fenced code in a body, including lines that look like tasks or headings', () => {
    const plan = parse(
      md('- [ ] T001 Run it', '  ```bash', '# not a heading', '- [ ] T050 not a task', '  ```', '- [ ] T002 Next'),
    );
    expect(ids(plan)).toEqual(['T001', 'T002']);
    expect(task(plan, 'T001').body).toBe('  ```bash\n# not a heading\n- [ ] T050 not a task\n  ```');
    expect(task(plan, 'T002').phase).toBe(task(plan, 'T001').phase);
  });

  it('reads the agent from an "- Agent: NAME" sub-bullet', () => {
    const plan = parse(md('- [ ] T001 Do it', '  - Agent: codex', '- [ ] T002 Other', '  - **Agent**: `claude`'));
    expect(task(plan, 'T001').agent).toBe('codex');
    expect(task(plan, 'T002').agent).toBe('claude');
  });
});

describe('what is not a task', () => {
  it('skips checkboxes in ``` and ~~~ fences, with info strings, indented, and longer closing fences', () => {
    const plan = parse(
      md(
        '- [ ] T001 Before',
        '',
        '```markdown',
        '- [ ] T900 in backticks',
        '```',
        '',
        '~~~ text',
        '- [ ] T901 in tildes',
        '```',
        '- [ ] T902 still in tildes: a backtick fence does not close a tilde fence',
        '~~~~~',
        '',
        '   ````',
        '- [ ] T903 indented fence',
        '   ``` not a close (has an info string)',
        '- [ ] T904 still inside',
        '   `````',
        '',
        '- [ ] T002 After',
      ),
    );
    expect(ids(plan)).toEqual(['T001', 'T002']);
    expect(plan.warnings).toEqual([]);
  });

  it('warns about a fence that is never closed', () => {
    const plan = parse(md('- [ ] T001 Before', '', '```', '- [ ] T900 swallowed'));
    expect(ids(plan)).toEqual(['T001']);
    expect(plan.warnings[0]?.message).toContain('never closed');
    expect(plan.warnings[0]?.location?.line).toBe(3);
  });

  it('skips checkboxes in HTML comments, multi-line and inline', () => {
    const plan = parse(
      md(
        '<!--',
        '- [ ] T900 commented out',
        '-->',
        '<!-- - [ ] T901 inline comment -->',
        '- [ ] T001 Kept <!-- with a note --> and more',
        '<!-- start',
        '- [ ] T902 still in the comment',
        'end --> - [ ] T903 after the comment closes, but not a list item at line start',
        '- [ ] T002 Kept too',
      ),
    );
    expect(ids(plan)).toEqual(['T001', 'T002']);
    expect(task(plan, 'T001').title).toBe('Kept and more');
  });

  it('does not read YAML front matter', () => {
    const plan = parse(md('---', 'description: "a `thing`"', '---', '', '- [ ] T001 Task'));
    expect(ids(plan)).toEqual(['T001']);
    expect(plan.phases.map((p) => p.id)).toEqual(['main']);
  });
});

describe('criteria', () => {
  it('reads a "## Validation Checklist" of checkboxes as criteria of the phase before it', () => {
    const plan = parse(
      md(
        '## Phase 1: Build',
        '- [ ] T001 Build',
        '',
        '## Validation Checklist',
        '- [ ] All tests pass',
        '- [x] Docs written',
        '  - nested detail is skipped',
      ),
    );
    expect(ids(plan)).toEqual(['T001']);
    expect(plan.phases.map((p) => p.id)).toEqual(['1']);
    expect(plan.phases[0]?.criteria).toEqual(['All tests pass', 'Docs written']);
  });

  it('reads "### Acceptance Criteria" under a phase as that phase\'s criteria, until the next heading', () => {
    const plan = parse(
      md(
        '## Phase 2: Feature',
        '- [ ] T001 Do it',
        '### Acceptance Criteria',
        '- [ ] Works offline',
        '- [ ] T002 An id still makes it a task',
        '#### Performance',
        '- [ ] p95 under 50 ms',
        '### Implementation',
        '- [ ] T003 Back to tasks',
        '## Success Criteria',
        '- [ ] Everyone is happy',
      ),
    );
    expect(ids(plan)).toEqual(['T001', 'T002', 'T003']);
    expect(plan.phases.map((p) => p.id)).toEqual(['2']);
    expect(plan.phases[0]?.criteria).toEqual(['Works offline', 'p95 under 50 ms', 'Everyone is happy']);
    expect(plan.tasks.every((t) => t.phase === '2')).toBe(true);
  });

  it('attaches a bold-label criteria paragraph that follows a task to that task', () => {
    const plan = parse(
      md(
        '## Tasks',
        '- [ ] Implement login',
        '',
        '**Acceptance Criteria**:',
        '- [ ] Wrong password is refused',
        '- [ ] Lockout after 5 tries',
        '',
        '## More',
        '- [ ] Implement logout',
        'Acceptance criteria:',
        '- [ ] Session is gone',
        '',
        '## Other',
        '- [ ] Unrelated',
        '',
        'Some prose first.',
        '',
        '**Acceptance Criteria:**',
        '- [ ] Belongs to the phase',
      ),
    );
    expect(plan.tasks.map((t) => t.title)).toEqual(['Implement login', 'Implement logout', 'Unrelated']);
    expect(plan.tasks[0]?.criteria).toEqual(['Wrong password is refused', 'Lockout after 5 tries']);
    expect(plan.tasks[1]?.criteria).toEqual(['Session is gone']);
    expect(plan.tasks[2]?.criteria).toEqual([]);
    expect(plan.phases[2]?.criteria).toEqual(['Belongs to the phase']);
  });

  it('attaches criteria indented under a task to that task and keeps them in its body', () => {
    const plan = parse(
      md(
        '- [ ] T001 Build the API',
        '  **Acceptance Criteria**:',
        '  - [ ] Returns 200',
        '  - [ ] Returns JSON',
        '- [ ] T002 Next',
      ),
    );
    expect(ids(plan)).toEqual(['T001', 'T002']);
    expect(task(plan, 'T001').criteria).toEqual(['Returns 200', 'Returns JSON']);
    expect(task(plan, 'T001').body).toBe('**Acceptance Criteria**:\n- [ ] Returns 200\n- [ ] Returns JSON');
  });

  it('treats a "Phase N" heading as criteria only when it says criteria, not merely checklist', () => {
    const plan = parse(
      md(
        '# Phase 1: Foundation',
        '## Phase 4: Checklist UI',
        '- [ ] Render the checklist',
        '## Phase 1 Completion Criteria',
        '- [ ] Everything is green',
        '## Risks',
        '- [ ] Check the backups',
      ),
    );
    expect(plan.tasks.map((t) => [t.title, t.phase])).toEqual([
      ['Render the checklist', '4'],
      ['Check the backups', '1'],
    ]);
    expect(plan.phases.find((p) => p.id === '1')?.criteria).toEqual(['Everything is green']);
  });
});

describe('phases', () => {
  it('takes ids from "Phase N" and "Phase N.M" headings and slugs from other headings', () => {
    const plan = parse(
      md(
        '# Tasks: Demo',
        '## Phase 2: Foundational (Blocking Prerequisites)',
        '- [ ] T001 a',
        '## Phase 3.1: Setup',
        '- [ ] T002 b',
        '## Notes & Follow-ups!',
        '- [ ] T003 c',
        '## Notes & follow ups',
        '- [ ] T004 d',
        '## Empty section',
        'No tasks here.',
        '### phase 0 — lower case',
        '- [ ] T005 e',
      ),
    );
    expect(plan.phases.map((p) => p.id)).toEqual(['2', '3.1', 'notes-follow-ups', 'notes-follow-ups-2', '0']);
    expect(plan.phases.map((p) => p.title)).toEqual([
      'Phase 2: Foundational (Blocking Prerequisites)',
      'Phase 3.1: Setup',
      'Notes & Follow-ups!',
      'Notes & follow ups',
      'phase 0 — lower case',
    ]);
    expect(plan.phases[0]?.source).toEqual({ file: FILE, line: 2, column: 1 });
    expect(plan.tasks.map((t) => t.phase)).toEqual(['2', '3.1', 'notes-follow-ups', 'notes-follow-ups-2', '0']);
  });

  it('caps slugs at 40 characters', () => {
    const plan = parse(md('## A very long heading that goes on and on and on forever', '- [ ] T001 a'));
    expect(plan.phases[0]?.id).toBe('a-very-long-heading-that-goes-on-and-on');
    expect(plan.phases[0]?.id.length).toBeLessThanOrEqual(40);
  });

  it('keeps sub-headings inside a Phase heading in that phase; elsewhere the nearest heading owns', () => {
    const plan = parse(
      md(
        '## Phase 3: User Story 1',
        '### Tests for User Story 1',
        '- [ ] T010 [P] test',
        '### Implementation for User Story 1',
        '- [ ] T011 impl',
        '## Notes',
        '### Sub A',
        '- [ ] T012 in sub a',
        '### Sub B',
        '- [ ] T013 in sub b',
      ),
    );
    expect(plan.tasks.map((t) => t.phase)).toEqual(['3', '3', 'sub-a', 'sub-b']);
    expect(plan.phases.map((p) => p.id)).toEqual(['3', 'sub-a', 'sub-b']);
  });

  it('puts tasks before any heading in a "main" phase titled by the file name', () => {
    const plan = parse(md('Intro.', '', '- [ ] First', '- [ ] Second', '', '# Later', '- [ ] Third'), 'plans/todo.md');
    expect(plan.phases.map((p) => [p.id, p.title])).toEqual([
      ['main', 'todo.md'],
      ['later', 'Later'],
    ]);
    expect(plan.phases[0]?.source).toEqual({ file: 'plans/todo.md', line: 3, column: 3 });
    expect(plan.path).toBe('plans/todo.md');
    expect(plan.format).toBe('markdown');
    expect(plan.documents).toEqual([]);
  });

  it('reads setext headings, but not a thematic break after a blank line', () => {
    const plan = parse(
      md('Setup', '=====', '- [ ] T001 a', '', 'Build phase', '---', '- [ ] T002 b', '', '---', '- [ ] T003 c'),
    );
    expect(plan.phases.map((p) => p.id)).toEqual(['setup', 'build-phase']);
    expect(task(plan, 'T003').phase).toBe('build-phase');
  });

  it('gives a nested "Phase N.M" heading its own phase, and slugs accented headings readably', () => {
    const plan = parse(
      md(
        '## Phase 3: Stories',
        '- [ ] T001 a',
        '### Phase 3.1: First story',
        '#### Tests',
        '- [ ] T002 b',
        '## Déjà vu',
        '- [ ] T003 c',
      ),
    );
    expect(plan.tasks.map((t) => t.phase)).toEqual(['3', '3.1', 'deja-vu']);
    expect(dependsOn(plan, 'T002', 'T001')).toBe(true);
  });

  it('reads a setext heading right after a thematic break', () => {
    const plan = parse(md('- [ ] T001 a', '', '***', 'Second part', '-----------', '- [ ] T002 b'));
    expect(plan.phases.map((p) => p.id)).toEqual(['main', 'second-part']);
  });

  it('closes ATX headings with trailing #s', () => {
    const plan = parse(md('## Phase 1: Setup ##', '- [ ] T001 a'));
    expect(plan.phases[0]?.title).toBe('Phase 1: Setup');
  });
});

describe('implied dependencies', () => {
  it('orders a phase without [P] sequentially', () => {
    const plan = parse(md('## Phase 1', '- [ ] T001 a', '- [ ] T002 b', '- [ ] T003 c'));
    expect(task(plan, 'T001').deps).toEqual([]);
    expect(task(plan, 'T002').deps).toEqual([
      { id: 'T001', kind: 'sequential', source: { file: FILE, line: 3, column: 7 } },
    ]);
    expect(depIds(task(plan, 'T003'))).toEqual(['T002']);
    expect(dependsOn(plan, 'T003', 'T001')).toBe(true);
  });

  it('lets a [P] run depend on what came before it, not on each other; the next task waits for the run', () => {
    const plan = parse(
      md(
        '## Phase 1',
        '- [ ] T001 setup',
        '- [ ] T002 [P] a',
        '- [ ] T003 [P] b',
        '- [ ] T004 [P] c',
        '- [ ] T005 join',
        '- [ ] T006 [P] d',
      ),
    );
    for (const id of ['T002', 'T003', 'T004']) expect(depIds(task(plan, id))).toEqual(['T001']);
    for (const [a, b] of [
      ['T002', 'T003'],
      ['T003', 'T002'],
      ['T004', 'T002'],
      ['T003', 'T004'],
    ] as const) {
      expect(dependsOn(plan, a, b)).toBe(false);
    }
    expect(depIds(task(plan, 'T005'))).toEqual(['T001', 'T002', 'T003', 'T004']);
    expect(depIds(task(plan, 'T006'))).toEqual(['T005']);
    expect(plan.tasks.flatMap((t) => t.deps).every((d) => d.kind === 'sequential')).toBe(true);
  });

  it('makes a phase wait for the previous phase through its sinks only', () => {
    const plan = parse(
      md(
        '## Phase 1',
        '- [ ] T001 a',
        '- [ ] T002 b',
        '- [ ] T003 [P] c',
        '- [ ] T004 [P] d',
        '## Notes',
        'No tasks: skipped.',
        '## Phase 2',
        '- [ ] T005 [P] e',
        '- [ ] T006 [P] f',
        '- [ ] T007 g',
      ),
    );
    // Phase 1 ends in a [P] run: its sinks are T003 and T004.
    const phaseOrder = (id: string) =>
      task(plan, id)
        .deps.filter((d) => d.kind === 'phase-order')
        .map((d) => d.id);
    expect(phaseOrder('T005')).toEqual(['T003', 'T004']);
    expect(phaseOrder('T006')).toEqual(['T003', 'T004']);
    // T007 waits for the [P] run T005, T006, which waits for Phase 1: an edge of its own would add nothing.
    expect(phaseOrder('T007')).toEqual([]);
    for (const later of ['T005', 'T006', 'T007']) {
      for (const earlier of ['T001', 'T002', 'T003', 'T004']) expect(dependsOn(plan, later, earlier)).toBe(true);
    }
    expect(dependsOn(plan, 'T005', 'T006')).toBe(false);
    // A phase-order edge is placed at the heading that makes it, and shared by the phase's first tasks.
    const phase2 = plan.phases.find((p) => p.id === '2');
    expect(task(plan, 'T005').deps[0]?.source).toEqual(phase2?.source);
    expect(task(plan, 'T005').deps[0]).toBe(task(plan, 'T006').deps[0]);
  });

  it('says which implied edge closes a cycle, at the line that implies it', () => {
    const plan = parse(
      md('## Phase 1', '- [ ] T001 a (depends on T003)', '- [ ] T002 b', '## Phase 2', '- [ ] T003 c'),
    );
    const [cycle] = validateGraph(plan);
    expect(cycle?.message).toBe('dependency cycle: T001 -> T002 -> T003 -> T001');
    expect(cycle?.related?.map((r) => `${r.line}: ${r.message}`)).toEqual([
      '3: T002 depends on T001 here (plan order)',
      '4: T003 depends on T002 here (phase order)',
      '2: T001 depends on T003 here',
    ]);
  });

  it('uses explicit edges inside a phase when finding its sinks, and done tasks still take part', () => {
    const plan = parse(
      md('## Phase 1', '- [x] T001 [P] a', '- [x] T002 [P] b (depends on T001)', '## Phase 2', '- [ ] T003 c'),
    );
    expect(task(plan, 'T002').deps).toMatchObject([{ id: 'T001', kind: 'explicit' }]);
    expect(task(plan, 'T003').deps).toMatchObject([{ id: 'T002', kind: 'phase-order' }]);
    expect(dependsOn(plan, 'T003', 'T001')).toBe(true);
  });

  it('keeps the graph small for large phases', () => {
    const lines = ['## Phase 1'];
    for (let i = 1; i <= 300; i++)
      lines.push(`- [ ] T${String(i).padStart(3, '0')} ${i % 3 === 0 ? '' : '[P] '}task ${i}`);
    lines.push('## Phase 2');
    for (let i = 301; i <= 600; i++) lines.push(`- [ ] T${i} task ${i}`);
    const plan = parse(md(...lines));
    const edges = plan.tasks.reduce((n, t) => n + t.deps.length, 0);
    expect(edges).toBeLessThan(3 * 600);
    expect(dependsOn(plan, 'T600', 'T001')).toBe(true);
    expect(dependsOn(plan, 'T301', 'T299')).toBe(true);
  });
});

describe('explicit dependencies', () => {
  const base = [
    '## Phase 1',
    '- [ ] T001 one',
    '- [ ] T002 two',
    '- [ ] T003 three',
    '- [ ] T004 four',
    '- [ ] T005 five',
    '- [ ] T005a five a',
    '- [ ] T010 ten',
    '- [ ] T010a ten a',
    '## Phase 9',
  ];

  it.each([
    ['(depends on T001, T002)', ['T001', 'T002']],
    ['Depends on: T004', ['T004']],
    ['depends on T004 and T005', ['T004', 'T005']],
    ['depends on T001 & T003', ['T001', 'T003']],
    ['Dependencies: T001, T002', ['T001', 'T002']],
    ['**Dependencies**: T002 T003', ['T002', 'T003']],
    ['(after T003)', ['T003']],
    ['(depends on T003-T005)', ['T003', 'T004', 'T005']],
    ['(depends on T003–T005)', ['T003', 'T004', 'T005']],
    ['(depends on T003—T005)', ['T003', 'T004', 'T005']],
    ['(depends on T003..T005)', ['T003', 'T004', 'T005']],
    ['depends on T004–T010a', ['T004', 'T005', 'T005a', 'T010', 'T010a']],
    ['depends on T005–T010', ['T005', 'T005a', 'T010']],
  ])('reads %s', (text, expected) => {
    const plan = parse(md(...base, `- [ ] T100 Task ${text}`));
    expect(explicitOf(plan, 'T100')).toEqual(expected);
  });

  it('reads dependency sub-bullets in the body', () => {
    const plan = parse(
      md(
        ...base,
        '- [ ] T100 Task',
        '  - Dependency: T002, T003',
        '- [ ] T101 Task',
        '  - Dependencies: T001',
        '  - Depends on: T004',
      ),
    );
    expect(explicitOf(plan, 'T100')).toEqual(['T002', 'T003']);
    expect(explicitOf(plan, 'T101')).toEqual(['T001', 'T004']);
  });

  it('records where each referenced id is written', () => {
    const plan = parse(
      md(...base, '- [ ] T100 Task (depends on T002, T004)', '  more text', '  - Dependency: T003–T005'),
    );
    const deps = task(plan, 'T100').deps.filter((d) => d.kind === 'explicit');
    expect(deps.map((d) => [d.id, d.source.line, d.source.column])).toEqual([
      ['T002', 11, 29],
      ['T004', 11, 35],
      ['T003', 13, 17],
      ['T005', 13, 17],
    ]);
  });

  it('keeps unknown ids and unknown range endpoints with their positions', () => {
    const plan = parse(md(...base, '- [ ] T100 Task (depends on T077)', '- [ ] T101 Task (depends on T080–T090)'));
    expect(task(plan, 'T100').deps[0]).toEqual({
      id: 'T077',
      kind: 'explicit',
      source: { file: FILE, line: 11, column: 29 },
    });
    expect(explicitOf(plan, 'T101')).toEqual(['T080', 'T090']);
    expect(task(plan, 'T101').deps[1]?.source.column).toBe(34);
  });

  it('ignores ids mentioned in prose; keeps a written self-reference for the graph to report', () => {
    const plan = parse(
      md(
        ...base,
        '- [ ] T100 See T004 and fix T001–T003 (T005 later)',
        '- [ ] T101 (depends on T101, T001)',
        '- [ ] T102 (depends on T101-T103)',
        '- [ ] T103 last',
      ),
    );
    expect(explicitOf(plan, 'T100')).toEqual([]);
    expect(explicitOf(plan, 'T101')).toEqual(['T101', 'T001']);
    // A range spanning the task means the others; implied edges never point at the task itself.
    expect(explicitOf(plan, 'T102')).toEqual(['T101', 'T103']);
    for (const t of plan.tasks) {
      expect(t.deps.filter((d) => d.id === t.id && d.kind !== 'explicit')).toEqual([]);
    }
  });

  it('finds dependency references in a line (unit)', () => {
    expect(findDependencyRefs('x (depends on T010, T011) y')).toEqual([
      { id: 'T010', offset: 14 },
      { id: 'T011', offset: 20 },
    ]);
    expect(findDependencyRefs('Depends on T003 - see notes')).toEqual([{ id: 'T003', offset: 11 }]);
    expect(findDependencyRefs('runs after T003')).toEqual([]);
    expect(findDependencyRefs('no dependencies T001')).toEqual([]);
    expect(findDependencyRefs('depends on the database')).toEqual([]);
  });
});

describe('ids and diagnostics', () => {
  it('reports every duplicate id at its second occurrence, pointing at the first', () => {
    const r = parseMarkdownPlan(
      md('- [ ] T001 a', '- [ ] T004 b', '- [ ] T004 c', '  - [ ] x', '- [ ] **T001** d'),
      FILE,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual([
      {
        severity: 'error',
        location: { file: FILE, line: 3, column: 7 },
        message: 'duplicate task id T004',
        related: [{ file: FILE, line: 2, column: 7, message: 'first defined here' }],
      },
      {
        severity: 'error',
        location: { file: FILE, line: 5, column: 9 },
        message: 'duplicate task id T001',
        related: [{ file: FILE, line: 1, column: 7, message: 'first defined here' }],
      },
    ]);
  });

  it('reports a file without tasks at line 1', () => {
    const r = parseMarkdownPlan(md('# Notes', '', '- just a bullet', '```', '- [ ] T001 in a fence', '```'), FILE);
    expect(r).toEqual({
      ok: false,
      error: [
        {
          severity: 'error',
          location: { file: FILE, line: 1, column: 1 },
          message: 'no tasks found: expected checkbox items such as "- [ ] T001 Do something"',
        },
      ],
    });
    expect(parseMarkdownPlan('', FILE).ok).toBe(false);
  });

  it('derives ids from the normalised title, stable when tasks are inserted above', () => {
    const before = parse(md('# Todo', '- [ ] Write the parser', '- [ ] Write the tests'));
    const after = parse(
      md(
        '# Todo',
        '- [x] A new first task',
        '- [x] Write   the PARSER.',
        '- [ ] [US1] Write the tests',
        '- [ ] Write the tests',
      ),
    );
    for (const t of before.tasks) expect(t.id).toMatch(/^t-[0-9a-f]{8}$/);
    expect(before.tasks.map((t) => t.idKind)).toEqual(['derived', 'derived']);
    expect(after.tasks[1]?.id).toBe(before.tasks[0]?.id);
    expect(after.tasks[2]?.id).toBe(before.tasks[1]?.id);
    expect(after.tasks[3]?.id).toBe(`${before.tasks[1]?.id}-2`);
    expect(before.tasks[0]?.id).toBe(derivedTaskId('write the parser'));
    expect(before.tasks[0]?.source).toEqual({ file: FILE, line: 2, column: 3 });
  });
});

describe('text handling', () => {
  it('reads CRLF input like LF input, without carriage returns in the result', () => {
    const text = md(
      '# Phase 1: Setup',
      '- [ ] T001 [P] First `src/a.ts`',
      '  Body line.',
      '- [ ] T002 Second (depends on T001)',
      '## Validation Checklist',
      '- [ ] crit',
    );
    const lf = parse(text);
    const crlf = parse(text.replace(/\n/g, '\r\n'));
    expect(crlf).toEqual(lf);
    expect(JSON.stringify(crlf)).not.toContain('\\r');
    expect(task(crlf, 'T001').body).toBe('Body line.');
  });

  it('ignores a UTF-8 byte order mark', () => {
    const plan = parse(`\uFEFF${md('# Phase 1', '- [ ] T001 a')}`);
    expect(plan.phases[0]?.id).toBe('1');
    expect(plan.phases[0]?.source.column).toBe(1);
  });

  it('extracts the files a task names', () => {
    const plan = parse(
      md(
        '- [ ] T001 Edit `src/app/main.ts` and `package.json`, then src/lib/util.py, README.md and ./docs/guide.md.',
        '  - Also `/specs/001-x/contracts/api.yaml` (see https://example.com/a/b.ts)',
        '  - Not `src/components/` (a folder), not v1.2.3, e.g. nothing, i.e. none, not `entry.verified` or `.zip`',
        '  - Again `src/app/main.ts`; and (`tests/unit/test_x.py`) and `Makefile` and `.env` and Node.js',
      ),
    );
    expect(task(plan, 'T001').files).toEqual([
      'src/app/main.ts',
      'package.json',
      'src/lib/util.py',
      'README.md',
      'docs/guide.md',
      'specs/001-x/contracts/api.yaml',
      'tests/unit/test_x.py',
      'Makefile',
      '.env',
    ]);
  });

  it('extracts file refs from text (unit)', () => {
    expect(extractFileRefs('`services/{a,b}.py` and `GET /api/x` and tests/test_foo.py:42')).toEqual([
      'tests/test_foo.py',
    ]);
    expect(extractFileRefs('[plan.md](plan.md) and [contracts/](contracts/)')).toEqual(['plan.md']);
  });

  it('takes a path after an HTTP method word, or by the word endpoint/route, for a route: a real path beside it is kept', () => {
    // The route, written after the method with or without backticks, is no file; the handler's file is.
    expect(extractFileRefs('Implement GET `/api/v1/users.json` endpoint in src/api/users.py')).toEqual([
      'src/api/users.py',
    ]);
    expect(extractFileRefs('POST /api/orders.xml handled by `src/orders/create.ts`')).toEqual(['src/orders/create.ts']);
    expect(extractFileRefs('**PUT** `/items/{id}.json`, PATCH: /a.json, `DELETE` `/b.json`, GET/HEAD /c.json')).toEqual(
      [],
    );
    expect(extractFileRefs('Add the endpoint /api/users.json, and the `/api/orders.json` route')).toEqual([]);
    // Without a method or route word beside it, a leading `/` is spec-kit's repository path.
    expect(extractFileRefs('Write /specs/001-x/contracts/api.json for the endpoints')).toEqual([
      'specs/001-x/contracts/api.json',
    ]);
    // Case as written: "Delete" and "get" are prose; a route word needs the path's leading `/`.
    expect(extractFileRefs('Delete src/legacy.ts, get config.json, add route src/routes/users.ts')).toEqual([
      'src/legacy.ts',
      'config.json',
      'src/routes/users.ts',
    ]);
    // A route starts with `/`: a method word before a repository path without one is a label.
    expect(extractFileRefs('POST: src/api/post.ts, HEAD package.json')).toEqual(['src/api/post.ts', 'package.json']);
    // No path outside the repository is reported for a route.
    const outside: string[] = [];
    expect(extractFileRefs('GET /etc/hosts.json', outside)).toEqual([]);
    expect(outside).toEqual([]);
  });

  it('collects requirement ids in order, once each', () => {
    const plan = parse(md('- [ ] T001 Cover FR-001 and SC-002', '  - also NFR-3, FR-001 again, and FR-010–FR-012'));
    expect(task(plan, 'T001').requirements).toEqual(['FR-001', 'SC-002', 'NFR-3', 'FR-010', 'FR-012']);
  });

  it('reads estimates: "Estimate: N" and "(est N)", a day being 8 hours', () => {
    const plan = parse(
      md(
        '- [ ] T001 a (est: 2h)',
        '- [ ] T002 b',
        '  Estimate: 30m',
        '- [ ] T003 c (est 1d)',
        '- [ ] T004 d **Estimate**: 1.5 hours',
        '- [ ] T005 e (no estimate here, established)',
      ),
    );
    expect(plan.tasks.map((t) => t.estimateMinutes)).toEqual([120, 30, 480, 90, undefined]);
    expect('estimateMinutes' in task(plan, 'T005')).toBe(false);
  });
});

const REAL = fileURLToPath(new URL('../../../shared/fixtures/real/', import.meta.url));
const haveReal = existsSync(REAL);
if (!haveReal) console.log(`conformance: real spec-kit fixtures are absent (${REAL}); skipping`);

describe.skipIf(!haveReal)('conformance: real spec-kit plans', () => {
  const load = (name: string): Plan => {
    const file = join(REAL, name);
    const scan = scanMarkdown(readFileSync(file, 'utf8'), file);
    expect(scan.errors).toEqual([]);
    expect(scan.plan.warnings).toEqual([]);
    return scan.plan;
  };
  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, k) => `T${String(from + k).padStart(3, '0')}`);

  it('speckit-bundler.tasks.md', () => {
    const plan = load('speckit-bundler.tasks.md');
    expect(ids(plan)).toEqual(range(1, 53));
    expect(plan.tasks.every((t) => t.status === 'done')).toBe(true);
    expect(plan.phases.map((p) => p.id)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      'validation-t038-captured-gaps-follow-ups',
      '8',
      '9',
    ]);
    const count = (phase: string) => plan.tasks.filter((t) => t.phase === phase).length;
    expect(['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(count)).toEqual([3, 6, 8, 6, 4, 7, 9, 7, 1]);
    expect(task(plan, 'T044').phase).toBe('validation-t038-captured-gaps-follow-ups');
    expect(task(plan, 'T045').phase).toBe('validation-t038-captured-gaps-follow-ups');
    expect(explicitOf(plan, 'T012')).toEqual(['T010', 'T011']);
    expect(explicitOf(plan, 'T029')).toEqual(['T028', 'T012']);
    expect(explicitOf(plan, 'T050')).toEqual(['T049']);
    expect(plan.tasks.filter((t) => t.parallel).map((t) => t.id)).toEqual([
      'T003',
      'T004',
      'T005',
      'T006',
      'T007',
      'T009',
      'T010',
      'T011',
      'T016',
      'T017',
      'T018',
      'T022',
      'T023',
      'T024',
      'T027',
      'T028',
      'T030',
      'T033',
      'T034',
      'T035',
      'T037',
      'T038',
      'T039',
      'T041',
      'T042',
      'T043',
    ]);
    expect(task(plan, 'T046').tags).toEqual(['CRITICAL']);
    // Its first line is hard-wrapped: the title is the whole sentence.
    expect(task(plan, 'T046').title).toMatch(
      /^Add `docs\/reference\/bundles\.md` documenting the `specify bundle` command group \(search, info, .* MUST be documented under `docs\/reference\/`\)\.$/,
    );
    expect(task(plan, 'T036').tags).toEqual(['US4']);
    expect(task(plan, 'T010').tags).toEqual(['US1']);
    // A wrapped first line: the title is its first sentence, and the body goes on after it.
    expect(task(plan, 'T044').title).toBe(
      'Wire real in-process primitive installation in `services/primitives.py` so `DefaultPrimitiveInstaller.install` actually adds components through the existing machinery.',
    );
    expect(task(plan, 'T044').body).toMatch(
      /^\*\*Done:\*\* presets and extensions\ninstall via their reusable managers/,
    );
    expect(task(plan, 'T044').files).toEqual(['services/primitives.py']);
    expect(task(plan, 'T029').files).toEqual(['installer.py', 'install.py']);
    expect(task(plan, 'T040').requirements).toEqual(['FR-001', 'FR-031', 'FR-030']);
    // Implied order: the foundational [P] run depends on Phase 1, T008 waits for the run.
    expect(depIds(task(plan, 'T004'))).toEqual(['T003']);
    // T008 waits for the run, and so for Phase 1: no edge of its own to Phase 1's sink T003.
    expect(depIds(task(plan, 'T008'))).toEqual(['T004', 'T005', 'T006', 'T007']);
    expect(dependsOn(plan, 'T008', 'T003')).toBe(true);
    expect(dependsOn(plan, 'T053', 'T001')).toBe(true);
    expect(dependsOn(plan, 'T005', 'T004')).toBe(false);
    expect(dependsOn(plan, 'T044', 'T043')).toBe(true);
  });

  it('speckit-converge.tasks.md', () => {
    const plan = load('speckit-converge.tasks.md');
    expect(ids(plan)).toEqual([...range(1, 10), 'T010a', ...range(11, 25)]);
    expect(plan.tasks).toHaveLength(26);
    expect(plan.tasks.every((t) => t.status === 'done')).toBe(true);
    expect(plan.phases.map((p) => p.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(task(plan, 'T010a').parallel).toBe(true);
    // "fix any enumeration missed in T003–T010a" is prose, not a dependency; T011 waits for the run anyway.
    expect(explicitOf(plan, 'T011')).toEqual([]);
    expect(depIds(task(plan, 'T011'))).toEqual([...range(3, 10), 'T010a']);
    expect(dependsOn(plan, 'T011', 'T002')).toBe(true);
    for (const id of range(3, 10)) expect(dependsOn(plan, 'T010a', id)).toBe(false);
    expect(task(plan, 'T012').requirements).toEqual(['FR-001', 'FR-002']);
  });

  it('speckit-legacy-pay2slay.tasks.md', () => {
    const plan = load('speckit-legacy-pay2slay.tasks.md');
    expect(ids(plan)).toEqual(range(1, 62));
    expect(plan.phases.map((p) => p.id)).toEqual(['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7']);
    expect(plan.phases.every((p) => p.criteria.length === 0)).toBe(true);
    expect(plan.tasks.some((t) => t.parallel)).toBe(false);
    const partial = ['T011', 'T012', 'T014', 'T022', 'T024', 'T029', 'T032', 'T037'];
    for (const id of partial) expect(task(plan, id).status).toBe('pending');
    expect(plan.tasks.filter((t) => t.status === 'done')).toHaveLength(24);
    expect(plan.tasks.filter((t) => t.status === 'pending')).toHaveLength(38);
    expect(task(plan, 'T032').body.split('\n')).toHaveLength(7);
    expect(task(plan, 'T032').body).toMatch(/^- DONE: HTTP client \(httpx\)/);
    expect(task(plan, 'T032').files).toEqual(['test_fortnite_rate_limit.py']);
    expect(task(plan, 'T033').title).toBe(
      'Accrual batch job (src/jobs/accrual.py) iterating verified users (implemented + unit test)',
    );
    // T006 starts Phase 3.2 and waits for Phase 3.1's last task; T007 waits for T006, so for Phase 3.1 too.
    expect(depIds(task(plan, 'T007'))).toEqual(['T006']);
    expect(dependsOn(plan, 'T007', 'T005')).toBe(true);
    expect(depIds(task(plan, 'T006'))).toEqual(['T005']);
    expect(dependsOn(plan, 'T007', 'T006')).toBe(true);
    expect(dependsOn(plan, 'T062', 'T001')).toBe(true);
    expect(plan.tasks.flatMap((t) => t.deps).some((d) => d.kind === 'explicit')).toBe(false);
  });
});
