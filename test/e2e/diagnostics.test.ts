import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handOver, permissionsApply, runCliWithoutPrivileges } from '../support/other-user.js';
import { makeRepo, runCli } from '../support/repo.js';

/** A user's mistake: exit 2, a `file:line:col: error:` line, no stack trace, nothing written. */
async function expectPlanError(files: Record<string, string>, args: string[], pattern: RegExp, config?: string) {
  const repo = makeRepo(files, config === undefined ? {} : { config });
  const r = await runCli(args, repo.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
  for (const [path, text] of Object.entries(files)) expect(repo.read(path)).toBe(text);
  expect(repo.agentLog()).toEqual([]);
  return r;
}

describe('diagnostics', () => {
  it('names every task of a dependency cycle with the line of each edge', async () => {
    const plan = [
      '## Work',
      '',
      '- [ ] T001 [P] start',
      '- [ ] T002 [P] a (depends on T004)',
      '- [ ] T003 [P] b (depends on T002)',
      '- [ ] T004 [P] c (depends on T003)',
      '',
    ].join('\n');
    const r = await expectPlanError(
      { 'tasks.md': plan },
      ['run', 'tasks.md'],
      /^tasks\.md:4:\d+: error: dependency cycle: /m,
    );
    const head = r.stderr.split('\n')[0] as string;
    for (const id of ['T002', 'T003', 'T004']) expect(head).toContain(id);
    expect(head).not.toContain('T001');
    expect(r.stderr).toMatch(/tasks\.md:4:\d+: note: T002 depends on T004/);
    expect(r.stderr).toMatch(/tasks\.md:5:\d+: note: T003 depends on T002/);
    expect(r.stderr).toMatch(/tasks\.md:6:\d+: note: T004 depends on T003/);
  });

  it('reports a dependency on an unknown id where it is written', async () => {
    const plan = '## Work\n\n- [ ] T001 one\n- [ ] T002 two (depends on T009)\n';
    await expectPlanError(
      { 'tasks.md': plan },
      ['run', 'tasks.md'],
      /^tasks\.md:4:28: error: T002 depends on unknown task T009/m,
    );
  });

  it('reports a task that names itself as its dependency, where it does', async () => {
    await expectPlanError(
      { 'tasks.md': '## Work\n\n- [ ] T001 a (depends on T001)\n- [ ] T002 b\n' },
      ['plan', 'tasks.md'],
      /^tasks\.md:3:26: error: T001 depends on itself/m,
    );
  });

  it('reports duplicate ids with both places', async () => {
    const plan = '## Work\n\n- [ ] T001 one\n- [ ] T001 again\n';
    const r = await expectPlanError(
      { 'tasks.md': plan },
      ['plan', 'tasks.md'],
      /^tasks\.md:4:\d+: error: duplicate task id T001/m,
    );
    expect(r.stderr).toMatch(/tasks\.md:3:\d+: note: /);
  });

  it('reports a plan with no tasks, a missing plan and unknown flags', async () => {
    await expectPlanError(
      { 'notes.md': '# Notes\n\nnothing to do\n' },
      ['run', 'notes.md', '--format', 'markdown'],
      /notes\.md:1:1: error: no tasks found/,
    );
    // Without --format too: a markdown file no format claims is read as markdown, and said at the file.
    await expectPlanError(
      { 'notes.md': '# Notes\n\nnothing to do\n' },
      ['plan', 'notes.md'],
      /^notes\.md:1:1: error: no tasks found/m,
    );
    // A spec-kit tasks.md before its tasks are written, given as the file or as its feature folder.
    const empty = { 'specs/001-x/tasks.md': '# Tasks: Search\n\n## Phase 1: Setup\n\nTo be generated.\n' };
    await expectPlanError(
      empty,
      ['run', 'specs/001-x/tasks.md'],
      /^specs\/001-x\/tasks\.md:1:1: error: no tasks found/m,
    );
    await expectPlanError(empty, ['plan', 'specs/001-x'], /^specs\/001-x\/tasks\.md:1:1: error: no tasks found/m);
    await expectPlanError({}, ['run', 'nope.md'], /error: plan not found: nope\.md/);
    await expectPlanError({ 'tasks.md': '- [ ] T001 x\n' }, ['run', 'tasks.md', '--bogus'], /unknown option '--bogus'/);
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md', '-c', '0'],
      /--concurrency expects a whole number/,
    );
    // Worktree runs commit every task to merge it: --no-commit there would be silently ignored.
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md', '--no-commit'],
      /^taskwave: error: --no-commit applies to --in-place runs: in worktrees each task is committed on its own branch and merged$/m,
    );
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md', '--only', 'T404'],
      /unknown task id T404/,
    );
  });

  it('refuses option values it would otherwise ignore or take literally', async () => {
    const plan = { 'tasks.md': '- [ ] T001 x\n' };
    await expectPlanError(
      plan,
      ['run', 'tasks.md', '--timeout', '0'],
      /--timeout expects a duration such as 30m or 90s, got '0'/,
    );
    await expectPlanError(
      plan,
      ['run', 'tasks.md', '-c', '99999999999999999999'],
      /--concurrency expects a whole number from 1 to 1000, got '99999999999999999999'/,
    );
    // Number() alone reads these as 16 and 100.
    for (const value of ['0x10', '1e2', '12.0', ' 3']) {
      await expectPlanError(
        plan,
        ['run', 'tasks.md', '-c', value],
        new RegExp(`--concurrency expects a whole number from 1 to 1000, got '${value.replace('.', '\\.')}'`),
      );
    }
    await expectPlanError(
      plan,
      ['run', 'tasks.md', 'use 99999999999999999999999 agents'],
      /--concurrency expects a whole number from 1 to 1000, got '1e\+23'/,
    );
    await expectPlanError(
      plan,
      ['run', 'tasks.md', '--tag', 'feature-x'],
      /only Taskmaster plans have tags and this is a markdown plan/,
    );
    await expectPlanError(plan, ['plan', 'tasks.md', '--config', ''], /--config was given an empty path/);
  });

  it('refuses to run an agent it cannot find, and a dry run shows the plan anyway with a warning', async () => {
    const repo = makeRepo(
      { 'tasks.md': '- [ ] T001 x\n- [ ] T002 y\n' },
      {
        config: 'agent: claude\nagents:\n  claude:\n    bin: /nowhere/claude\n',
      },
    );
    const run = await runCli(['run', 'tasks.md'], repo.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: agent 'claude': agents.claude.bin is '/nowhere/claude'");
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
    const dry = await runCli(['run', 'tasks.md', '--dry-run'], repo.dir);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(
      /warning: agent 'claude': agents\.claude\.bin is '\/nowhere\/claude'.*\(a real run stops here\)/,
    );
    expect(dry.stdout).toContain('T002');
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
  });

  it('reports config errors with the file and line', async () => {
    const config = 'agent: scripted\nconcurency: 3\nagents:\n  scripted:\n    command: ["true"]\n    timout: 5m\n';
    const r = await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md'],
      /^taskwave\.yaml:2:1: error: unknown key 'concurency'/m,
      config,
    );
    expect(r.stderr).toMatch(/^taskwave\.yaml:6:5: error: unknown key 'agents\.scripted\.timout'/m);
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md'],
      /^taskwave\.yaml:1:14: error: concurrency: /m,
      'concurrency: many\n',
    );
    // A command agent's argv is its command: model (like args, bin, …) would be silently ignored.
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md'],
      /^taskwave\.yaml:5:5: error: agents\.fake\.model: a command agent takes its whole argv from `command`; model applies to the built-in adapters/m,
      'agent: fake\nagents:\n  fake:\n    command: ["true"]\n    model: opus\n',
    );
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md'],
      /^taskwave\.yaml:1:8: error: agent: unknown agent 'nobody'/m,
      'agent: nobody\nconcurrency: 2\n',
    );
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md'],
      /^taskwave\.yaml:3:10: error: gates\.task\.0: the command is empty/m,
      'agent: codex\ngates:\n  task: ["  "]\n',
    );
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['run', 'tasks.md'],
      /^taskwave\.yaml:3:10: error: workspace\.copy\.0: '\.\.\/x' leaves the repository/m,
      'agent: codex\nworkspace:\n  copy: ["../x"]\n',
    );
  });

  it('refuses a YAML alias bomb in the config with its line, not a stack trace', async () => {
    const bomb =
      'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n';
    await expectPlanError(
      { 'tasks.md': '- [ ] T001 x\n' },
      ['plan', 'tasks.md'],
      /^taskwave\.yaml:3:\d+: error: invalid YAML: aliases expand to too many values/m,
      bomb,
    );
  });
});

describe('a folder that is no working tree', () => {
  it('refuses a bare repository for run and init, writing nothing into it', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 x\n' });
    const bare = join(mkdtempSync(join(tmpdir(), 'taskwave-bare-')), 'plan.git');
    spawnSync('git', ['clone', '-q', '--bare', repo.dir, bare]);
    writeFileSync(join(bare, 'tasks.md'), '- [ ] T001 x\n');
    writeFileSync(join(bare, 'taskwave.yaml'), repo.read('taskwave.yaml'));
    const before = readdirSync(bare).sort();
    const run = await runCli(['run', 'tasks.md'], bare);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^taskwave: error: .*plan\.git is a bare repository: taskwave needs a working tree; clone it first/m,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(repo.agentLog()).toEqual([]);
    expect(readdirSync(bare).sort()).toEqual(before);

    const rmConfig = spawnSync('rm', [join(bare, 'taskwave.yaml')]);
    expect(rmConfig.status).toBe(0);
    const init = await runCli(['init'], bare);
    expect(init.code).toBe(2);
    expect(init.stderr).toMatch(/is a bare repository/);
    expect(existsSync(join(bare, 'taskwave.yaml'))).toBe(false);
    const status = await runCli(['status'], bare);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/is a bare repository/);
  });
});

describe('damaged books', () => {
  it('status and resume call an unreadable execution.json unreadable, with its position, not missing', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 x\n' });
    const done = await runCli(['run', 'tasks.md'], repo.dir);
    expect(done.code).toBe(0);
    repo.write('.taskwave/execution.json', '{garbage\n');
    for (const command of ['status', 'resume']) {
      const r = await runCli([command], repo.dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^\.taskwave\/execution\.json:1:2: error: the last run's state is unreadable \(invalid JSON: .*\); taskwave run PLAN starts afresh/m,
      );
      expect(r.stderr).not.toContain('no taskwave run found');
      expect(r.stderr).not.toContain('nothing to resume');
    }
    expect(repo.read('.taskwave/execution.json')).toBe('{garbage\n');
  });
});

describe.skipIf(!permissionsApply)('permissions', () => {
  it('names a plan folder it may not read instead of failing to tell the format', async () => {
    const repo = makeRepo({ '.kiro/specs/export/tasks.md': '# Tasks\n\n- [ ] 1. Export\n' });
    handOver(repo.dir);
    chmodSync(join(repo.dir, '.kiro', 'specs'), 0o000);
    try {
      for (const plan of ['.', '.kiro']) {
        const r = await runCliWithoutPrivileges(['plan', plan], repo.dir);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^taskwave: error: cannot read the plan in .*: permission denied on \.kiro\/specs/m);
        expect(r.stderr).not.toContain('cannot tell the plan format');
      }
      const inside = await runCliWithoutPrivileges(['plan', '.kiro/specs/export'], repo.dir);
      expect(inside.code).toBe(2);
      expect(inside.stderr).toMatch(/cannot read \.kiro\/specs\/export: permission denied on \.kiro\/specs/);
      const folder = await runCliWithoutPrivileges(['plan', '.kiro/specs'], repo.dir);
      expect(folder.stderr).toMatch(/cannot read folder \.kiro\/specs: permission denied/);
    } finally {
      chmodSync(join(repo.dir, '.kiro', 'specs'), 0o755);
    }
  });

  it('refuses a repository root it may not write with exit 2, writing nothing', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 x\n' });
    handOver(repo.dir);
    chmodSync(repo.dir, 0o555);
    try {
      const r = await runCliWithoutPrivileges(['run', 'tasks.md'], repo.dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^taskwave: error: cannot write .*\.taskwave: permission denied; .*make .* writable/m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
      expect(repo.read('tasks.md')).toBe('- [ ] T001 x\n');
    } finally {
      chmodSync(repo.dir, 0o755);
    }
  });
});
