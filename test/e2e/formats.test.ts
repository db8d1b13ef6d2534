import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AgentLogEntry, makeRepo, runCli } from '../support/repo.js';

/*
 * Each format end to end through the CLI: detected from the repository root, run with the scripted
 * agent, and written back in its own terms.
 */

const started = (log: AgentLogEntry[]) => log.filter((e) => e.event === 'start').map((e) => e.id);

const KIRO = `# Implementation Plan

- [x] 1. Set up the module
  - _Requirements: 1.1_

- [ ] 2. CSV export
  - [ ] 2.1 Write the row formatter in \`src/csv.ts\`
  - [ ]* 2.2 Property tests for the formatter
  - [ ] 2.3 Stream large exports
    - _Requirements: 2.1-2.3_

- [ ] 3. Checkpoint - the sample exports
`;

describe('Kiro through the CLI', () => {
  it('passes over the optional task, ticks the group once its required sub-tasks are done, runs in number order', async () => {
    const repo = makeRepo({ '.kiro/specs/export/tasks.md': KIRO, '.kiro/specs/export/design.md': '# Design\n' });
    const r = await runCli(['run', '.'], repo.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(started(repo.agentLog())).toEqual(['2.1', '2.3', '3']);
    expect(repo.read('.kiro/specs/export/tasks.md')).toBe(
      KIRO.replace('- [ ] 2. CSV', '- [x] 2. CSV')
        .replace('- [ ] 2.1', '- [x] 2.1')
        .replace('- [ ] 2.3', '- [x] 2.3')
        .replace('- [ ] 3.', '- [x] 3.'),
    );
    const stdin = repo.agentLog().find((e) => e.event === 'start' && e.id === '2.3')?.stdin ?? '';
    expect(stdin).toContain('Requirements: 2.1, 2.2, 2.3');
    expect(stdin).toContain('.kiro/specs/export/design.md');
    const books = JSON.parse(readFileSync(join(repo.dir, '.taskwave/execution.json'), 'utf8'));
    expect(books.tasks['2.2'].status).toBe('skipped');
    expect(books.overall).toMatchObject({ total: 5, done: 4, skipped: 1, pending: 0 });
  });

  it('--include-optional runs the optional task between its neighbours', async () => {
    const repo = makeRepo({ '.kiro/specs/export/tasks.md': KIRO });
    repo.script({ '*': { sleepMs: 50 } });
    const r = await runCli(['run', '.kiro/specs/export', '--include-optional'], repo.dir);
    expect(r.code).toBe(0);
    expect(started(repo.agentLog())).toEqual(['2.1', '2.2', '2.3', '3']);
    expect(repo.read('.kiro/specs/export/tasks.md')).toContain('- [x]* 2.2');
  });
});

const TASKMASTER = `{
  "master": {
    "tasks": [
      { "id": 1, "title": "Create the package", "status": "done", "dependencies": [], "subtasks": [] },
      { "id": 2, "title": "Add the store", "description": "Redis store", "details": "Use Lua.", "testStrategy": "Integration test.", "status": "pending", "dependencies": [1], "subtasks": [
        { "id": 1, "title": "Write the script", "status": "pending", "dependencies": [] },
        { "id": 2, "title": "Wire it in", "status": "pending", "dependencies": [1] }
      ] },
      { "id": 3, "title": "Benchmark", "status": "deferred", "dependencies": [2], "subtasks": [] }
    ],
    "metadata": { "created": "2026-01-01" }
  },
  "audit": { "tasks": [ { "id": 1, "title": "Log decisions", "status": "pending", "dependencies": [] } ], "metadata": {} }
}
`;

describe('Taskmaster through the CLI', () => {
  it('runs the current tag, sets status done in place, closes the parent, leaves deferred work alone', async () => {
    const repo = makeRepo({
      '.taskmaster/tasks/tasks.json': TASKMASTER,
      '.taskmaster/state.json': '{ "currentTag": "master" }\n',
    });
    const r = await runCli(['run', '.'], repo.dir);
    expect(r.code).toBe(0);
    expect(started(repo.agentLog())).toEqual(['2.1', '2.2']);
    const after = repo.read('.taskmaster/tasks/tasks.json');
    // Only status values changed: the two subtasks and their parent.
    expect(after).toBe(
      TASKMASTER.replace(
        '"Redis store", "details": "Use Lua.", "testStrategy": "Integration test.", "status": "pending"',
        '"Redis store", "details": "Use Lua.", "testStrategy": "Integration test.", "status": "done"',
      )
        .replace('"Write the script", "status": "pending"', '"Write the script", "status": "done"')
        .replace('"Wire it in", "status": "pending"', '"Wire it in", "status": "done"'),
    );
    const stdin = repo.agentLog().find((e) => e.event === 'start')?.stdin ?? '';
    expect(stdin).toContain('Use Lua.');
    expect(stdin).toContain('Integration test.');
  });

  it('--tag picks another tag; an unknown tag is exit 2 naming the tags there are', async () => {
    const repo = makeRepo({ '.taskmaster/tasks/tasks.json': TASKMASTER });
    const r = await runCli(['run', '.', '--tag', 'audit'], repo.dir);
    expect(r.code).toBe(0);
    expect(started(repo.agentLog())).toEqual(['1']);
    const bad = await runCli(['plan', '.', '--tag', 'nope'], repo.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nope');
    expect(bad.stderr).toContain('audit');
  });

  it('bad JSON is a diagnostic with its line and column', async () => {
    const repo = makeRepo({
      '.taskmaster/tasks/tasks.json': '{\n  "master": {\n    "tasks": [\n      { "id": 1 "title": "x" }\n',
    });
    const r = await runCli(['plan', '.'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.taskmaster\/tasks\/tasks\.json:4:17: error: invalid JSON/);
  });
});

describe('specs tree through the CLI', () => {
  const files = {
    'specs/infrastructure/phase-0/001-auth/tasks.md':
      '# Tasks for I001: Authentication\n\n## Layer 0\n- [ ] Task: Create the users table\n  - Agent: supabase\n\n## Layer 1\n- [ ] Task: Session middleware (backend, mid)\n',
    'specs/features/phase-1/F001-profile/tasks.md':
      '# Tasks for F001: Profile\n\n## Layer 0\n- [ ] [L0] Profile API route (backend, mid)\n',
    'features.json':
      '{\n  "features": [\n    { "id": "F001", "name": "Profile", "status": "planned", "phase": 1, "dependencies": [], "infrastructure_dependencies": ["I001"] }\n  ]\n}\n',
  };

  it('--features with dependencies runs the infrastructure first and keeps the tree’s own books', async () => {
    const repo = makeRepo(files);
    repo.script({ '*': { sleepMs: 30 } });
    const refused = await runCli(['run', '.', '--features'], repo.dir);
    expect(refused.code).toBe(2);
    const r = await runCli(['run', '.', 'only the profile feature with dependencies'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('→ --with-deps --spec F001');
    expect(started(repo.agentLog())).toEqual(['I001.1', 'I001.2', 'F001.1']);
    expect(repo.read('features.json')).toBe(files['features.json'].replace('"planned"', '"completed"'));
    const books = JSON.parse(readFileSync(join(repo.dir, '.claude/execution/execution.json'), 'utf8'));
    expect(books.specs.I001).toMatchObject({ status: 'completed', tasks_total: 2, tasks_completed: 2 });
    expect(books.specs.F001).toMatchObject({ status: 'completed', tasks_total: 1, tasks_completed: 1 });
    expect(books.session.status).toBe('completed');
  });
});

describe('phase document through the CLI', () => {
  const DOC = `# Phase 3: Search

**Status**: Planned

## Deliverables

- [ ] Add the search table (\`db/014_search.sql\`)
- [ ] Query endpoint (\`src/api/search.ts\`)

## Success Criteria
- [ ] p95 under 50 ms
`;

  it('ticks the tasks and sets the status line to Complete after the last one, leaving the criteria', async () => {
    const repo = makeRepo({ 'phases/current/search_plan.md': DOC });
    const r = await runCli(['run', 'phases/current/search_plan.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('phase-doc plan');
    expect(repo.read('phases/current/search_plan.md')).toBe(
      DOC.replace('**Status**: Planned', '**Status**: Complete')
        .replace('- [ ] Add', '- [x] Add')
        .replace('- [ ] Query', '- [x] Query'),
    );
  });

  it('is found from the repository root and from its folder', async () => {
    const repo = makeRepo({ 'phases/current/search_plan.md': DOC });
    for (const from of ['.', 'phases/current']) {
      const r = await runCli(['plan', from], repo.dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('phase-doc plan phases/current/search_plan.md: 2 tasks');
    }
  });

  it('a failed task leaves the status In Progress, never Complete', async () => {
    const repo = makeRepo({ 'phases/current/search_plan.md': DOC });
    const plan = JSON.parse((await runCli(['plan', 'phases/current/search_plan.md', '--json'], repo.dir)).stdout);
    repo.script({ [plan.tasks[1].id]: { exit: 1 } });
    const r = await runCli(['run', 'phases/current/search_plan.md'], repo.dir);
    expect(r.code).toBe(1);
    const after = repo.read('phases/current/search_plan.md');
    expect(after).toContain('**Status**: In Progress');
    expect(after).toContain('- [x] Add');
    expect(after).toContain('- [ ] Query');
  });
});

describe('platform-mode through the CLI', () => {
  const PLAN = `# Implementation Plan 001: Bookmarks

**Status**: Sprint Planning Complete

### 3.1 Sprint 1: Foundation (Weeks 1-2)

**Story 1.1: Terraform module structure** (5 points)
- **As a** platform engineer

**Acceptance Criteria**:
- [ ] Module folder created

**Technical Tasks**:
- Create the module folder

---

**Story 1.2: Resource group** (3 points)

**Acceptance Criteria**:
- [ ] Resource group named per environment

#### Sprint 1 Capacity Allocation
| Story | Points | Owner | Dependencies |
|-------|--------|-------|--------------|
| 1.1 Terraform module | 5 | Platform Engineer | Azure subscription access |
| 1.2 Resource group | 3 | Platform Engineer | Story 1.1 |
`;

  // What a run killed while 1.1 ran leaves: its log, still open.
  const KILLED = `# Execution Log 001: Implementation Plan 001: Bookmarks — taskwave run 20260101-000000-dead

**Generated by**: taskwave
**Run**: 20260101-000000-dead
**Status**: IN PROGRESS
**References**: [plan001.plan.md](../plans/plan001.plan.md)

## Story Implementation Tracking

#### Story 1.1: Terraform module structure
**Status**: IN PROGRESS

#### Story 1.2: Resource group
**Status**: PENDING
`;

  it('runs the stories in capacity-table order and writes the run log, which the next read trusts', async () => {
    const repo = makeRepo({
      '.platform-mode/plans/plan001.plan.md': PLAN,
      '.platform-mode/execution/execution001.execution.md': KILLED,
    });
    repo.script({ '*': { sleepMs: 30 } });
    // Task 1.1's criteria name Cargo.toml: taskwave checks it exists afterwards.
    repo.script({ '1.1': { write: { 'Cargo.toml': '[package]\n' } } });
    const r = await runCli(['run', '.'], repo.dir);
    expect(r.code).toBe(0);
    expect(started(repo.agentLog())).toEqual(['1.1', '1.2']);
    expect(repo.read('.platform-mode/plans/plan001.plan.md')).toBe(PLAN);
    // The killed run's log is its own: this run's stories go into this run's log.
    expect(repo.read('.platform-mode/execution/execution001.execution.md')).toBe(KILLED);
    const log = repo.read('.platform-mode/execution/execution002.execution.md');
    expect(log).toMatch(/\*\*Status\*\*: COMPLETED/);
    expect(log).toContain('#### Story 1.1: Terraform module structure');
    expect(log).toContain('#### Story 1.2: Resource group');
    expect(log).toContain('- [x] Resource group named per environment');
    // The next run trusts the log; with nothing to run it adds no log, and no commit.
    const head = repo.git('rev-parse', 'HEAD');
    const again = await runCli(['run', '.'], repo.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 done, 2 already done');
    expect(readdirSync(join(repo.dir, '.platform-mode/execution'))).toEqual([
      'execution001.execution.md',
      'execution002.execution.md',
    ]);
    expect(repo.git('rev-parse', 'HEAD')).toBe(head);
  });

  it('in place, a story that fails leaving nothing does not stop the commits: the run log is taskwave’s, not its', async () => {
    const TWO = `# Implementation Plan 001: Bookmarks

### 3.1 Sprint 1: Foundation (Weeks 1-2)

**Story 1.1: Terraform module structure** (5 points)

---

**Story 1.2: Resource group** (3 points)
`;
    const repo = makeRepo(
      { '.platform-mode/plans/plan001.plan.md': TWO },
      { extraConfig: 'repair:\n  attempts: 0\nretry:\n  attempts: 0\n' },
    );
    repo.script({ '1.1': { exit: 1, noChange: true }, '1.2': { write: { 'rg.tf': 'resource {}\n' } } });
    const r = await runCli(['run', '.', '--in-place'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('left changes in the working tree');
    // 1.2 is committed, with the run log as it stood then; the log as the run ended it, after it.
    expect(repo.git('log', '--format=%s').trim().split('\n')).toEqual([
      expect.stringMatching(/^taskwave: the plan's books after run \S+$/),
      '1.2: Resource group',
      'initial',
    ]);
    expect(repo.git('show', '--name-only', '--format=', 'HEAD~1').trim().split('\n')).toEqual([
      '.platform-mode/execution/execution001.execution.md',
      'rg.tf',
    ]);
    expect(repo.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe(
      '.platform-mode/execution/execution001.execution.md',
    );
    expect(repo.read('.platform-mode/execution/execution001.execution.md')).toContain('**Status**: FAILED\n');
    // Nothing of the run's is left uncommitted, which would stop the next run in place from committing.
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  for (const mode of [[], ['--no-commit']]) {
    it(`in place${mode.length > 0 ? ' --no-commit' : ''}, a story whose agent changed nothing is unverified: the run log taskwave writes is no change of the story's`, async () => {
      const repo = makeRepo(
        { '.platform-mode/plans/plan001.plan.md': PLAN },
        { extraConfig: 'repair:\n  attempts: 0\n' },
      );
      repo.script({ '1.1': { noChange: true } });
      const r = await runCli(['run', '.', '--in-place', ...mode], repo.dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('unverified 1.1 Terraform module structure: unverified: the agent changed no file');
      // No story is committed; with commits, the run log that says so is, when the run ends.
      const commits = repo.git('log', '--format=%s').trim().split('\n');
      if (mode.length > 0) expect(commits).toEqual(['initial']);
      else {
        expect(commits).toEqual([expect.stringMatching(/^taskwave: the plan's books after run /), 'initial']);
        expect(repo.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe(
          '.platform-mode/execution/execution001.execution.md',
        );
      }
    });
  }
});

describe('Claudio through the CLI', () => {
  const TASKS = `# Phase 1: Foundation - Task List

## Task 1.1: Project setup
**Priority**: High
**Effort**: 1 day
**Dependencies**: None

### Acceptance Criteria
- [ ] Cargo.toml exists

## Task 1.2: CLI framework
**Priority**: High
**Effort**: 2 days
**Dependencies**: Task 1.1

### Acceptance Criteria
- [ ] Help text works
`;
  const STATUS = `# Task Status: Project setup

**Task ID**: 1.1
**Status**: Not Started
`;

  it('refuses to start over uncommitted edits to the files its ticks write, not over the documents beside them', async () => {
    const files = {
      '.claudio/phase1/tasks.md': TASKS,
      '.claudio/phase1/task1/status.md': STATUS,
      '.claudio/phase1/task1/claude.md': '# Context for 1.1\n',
    };
    const edited = makeRepo(files);
    edited.write('.claudio/phase1/task1/status.md', `${STATUS}\nmy note\n`);
    const refused = await runCli(['run', '.'], edited.dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the plan has uncommitted changes (.claudio/phase1/task1/status.md)');
    expect(edited.agentLog()).toEqual([]);

    const context = makeRepo(files);
    context.script({ '1.1': { write: { 'Cargo.toml': '[package]\n' } } });
    context.write('.claudio/phase1/task1/claude.md', '# Context for 1.1, edited\n');
    expect((await runCli(['run', '.'], context.dir)).code).toBe(0);
    expect(context.read('.claudio/phase1/task1/claude.md')).toBe('# Context for 1.1, edited\n');
  });

  it('runs the tasks in dependency order with their claude.md, and writes each task status.md', async () => {
    const repo = makeRepo({
      '.claudio/phase1/tasks.md': TASKS,
      '.claudio/phase1/task1/status.md': STATUS,
      '.claudio/phase1/task1/claude.md': '# Context for 1.1\n',
    });
    // Task 1.1's criteria name Cargo.toml: taskwave checks it exists afterwards.
    repo.script({ '1.1': { write: { 'Cargo.toml': '[package]\n' } } });
    // A note of the user's outside .claudio/ is not the plan: the run goes on and leaves it alone.
    repo.write('notes.txt', 'mine\n');
    const r = await runCli(['run', '.'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('have uncommitted changes (notes.txt)');
    expect(repo.read('notes.txt')).toBe('mine\n');
    expect(started(repo.agentLog())).toEqual(['1.1', '1.2']);
    const first = repo.agentLog().find((e) => e.event === 'start' && e.id === '1.1')?.stdin ?? '';
    // The prompt names the file the task is written in, not the folder the plan was read from.
    expect(first).toMatch(/^Plan: \.claudio\/phase1\/tasks\.md \(line \d+\)$/m);
    expect(first).toContain('Do not edit the plan file (.claudio/phase1/tasks.md)');
    expect(first).toContain('.claudio/phase1/task1/claude.md');
    expect(first).toContain('- Cargo.toml exists');
    expect(repo.read('.claudio/phase1/task1/status.md')).toBe(STATUS.replace('Not Started', 'Completed'));
    expect(repo.read('.claudio/phase1/task2/status.md')).toMatch(/\*\*Status\*\*: Completed/);
    expect(repo.read('.claudio/phase1/tasks.md')).toBe(TASKS);
  });
});
