import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AgentLogEntry, makeRepo, runCli, SCRIPTED_AGENT } from '../support/repo.js';

const PLAN = `# Tasks: docs and code

## Phase 1: Build

- [ ] T001 [P] Write \`src/a.txt\`
- [ ] T002 [P] Write \`src/b.txt\`
- [ ] T003 [P] Update the docs in \`docs/guide.md\`
- [ ] T004 [P] Write \`src/c.txt\`
`;

function started(log: AgentLogEntry[]): string[] {
  return log.filter((e) => e.event === 'start').map((e) => e.id);
}

function maxOverlap(log: AgentLogEntry[]): number {
  let cur = 0;
  let max = 0;
  for (const e of [...log].sort((a, b) => a.time - b.time)) {
    if (e.event === 'start') max = Math.max(max, ++cur);
    if (e.event === 'end') cur--;
  }
  return max;
}

function execution(dir: string) {
  return JSON.parse(readFileSync(join(dir, '.taskwave', 'execution.json'), 'utf8'));
}

describe('free-text hints', () => {
  it('"sequential" runs one task at a time and says which option it stood for', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    repo.script({ '*': { sleepMs: 100 } });
    const r = await runCli(['run', 'tasks.md', 'sequential'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('taskwave: hint "sequential" → --concurrency 1');
    expect(started(repo.agentLog()).sort()).toEqual(['T001', 'T002', 'T003', 'T004']);
    expect(maxOverlap(repo.agentLog())).toBe(1);
  });

  it('a flag given as well wins, and the echo says so', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const r = await runCli(['run', 'tasks.md', 'sequential', '-c', '2', '--dry-run'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('taskwave: hint "sequential" → --concurrency 1 (overridden by --concurrency 2)');
    expect(r.stdout).toContain('concurrency 2');
  });

  it('"features only" goes with other hints, as "infrastructure only" does', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const r = await runCli(['run', 'tasks.md', 'features only, dry run'], repo.dir);
    // Understood: what stops it is that this plan has no specs.
    expect(r.stderr).toContain('taskwave: hint "features only, dry run" → --features --dry-run');
    expect(r.stderr).toContain('--features: a markdown plan has no infrastructure or feature specs');
  });

  it('"only the docs tasks, 2 agents" picks the tasks by title', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const r = await runCli(['run', 'tasks.md', 'only the docs tasks, 2 agents'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('→ --concurrency 2 --only T003');
    expect(started(repo.agentLog())).toEqual(['T003']);
  });

  it('refuses words it does not understand, with exit 2 and nothing written', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN });
    const r = await runCli(['run', 'tasks.md', 'go', 'fast', 'and', 'loose'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^taskwave: error: cannot understand "fast", "loose" in the hint "go fast and loose"/);
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
    expect(repo.read('tasks.md')).toBe(PLAN);
  });
});

describe('--from', () => {
  it('runs a task and those after it; earlier unfinished ones need --with-deps', async () => {
    const plan = PLAN.replaceAll(' [P]', '');
    const repo = makeRepo({ 'tasks.md': plan });
    const refused = await runCli(['run', 'tasks.md', '--from', 'T003'], repo.dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('T003 needs T002 and T001, which are not done and not selected');
    repo.write('tasks.md', plan.replace('- [ ] T001', '- [x] T001').replace('- [ ] T002', '- [x] T002'));
    repo.git('commit', '-qam', 'two done by hand');
    const r = await runCli(['run', 'tasks.md', '--from', 'T003'], repo.dir);
    expect(r.code).toBe(0);
    expect(started(repo.agentLog())).toEqual(['T003', 'T004']);
  });
});

describe('--only', () => {
  it('selects an id with a space in it, alone or in a list, and still refuses one that names nothing', async () => {
    const task = (id: string) => ({ id, title: `do ${id}`, status: 'pending', dependencies: [] });
    const tasks = { master: { tasks: ['setup db', 'setup', 'db', 'api'].map(task) } };
    const repo = makeRepo({ '.taskmaster/tasks/tasks.json': JSON.stringify(tasks, null, 2) });
    const wouldRun = async (...only: string[]) => {
      const r = await runCli(['run', '.taskmaster/tasks/tasks.json', '--dry-run', ...only], repo.dir);
      expect(r.code).toBe(0);
      return [...r.stdout.matchAll(/^ {2}(.+) do \1$/gm)].map((m) => m[1]);
    };
    expect(await wouldRun('--only', 'setup db')).toEqual(['setup db']);
    expect(await wouldRun('--only', 'setup db,api')).toEqual(['setup db', 'api']);
    expect(await wouldRun('--only', 'setup db', '--only', 'db')).toEqual(['setup db', 'db']);
    // A value that is no id is a list, as before.
    expect(await wouldRun('--only', 'api setup')).toEqual(['setup', 'api']);
    const bad = await runCli(['run', '.taskmaster/tasks/tasks.json', '--only', 'setup dbs'], repo.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^taskwave: error: unknown task id dbs \(did you mean db\?\)$/m);
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
  });
});

describe('routing', () => {
  const config = (extra: string) =>
    `agent: scripted\nagents:\n  scripted:\n    command: ["${process.execPath}", "${SCRIPTED_AGENT}"]\n  writer:\n    command: ["${process.execPath}", "${SCRIPTED_AGENT}"]\n${extra}`;

  it('sends tasks to the agent their words match; plan shows it and the books record it', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      { config: config('routing:\n  - words: [docs, documentation]\n    agent: writer\n') },
    );
    const shown = await runCli(['plan', 'tasks.md'], repo.dir);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('T003 [P] Update the docs in `docs/guide.md` → writer (routing rule 1 (word docs))');
    expect(shown.stdout).not.toContain('T001 [P] Write `src/a.txt` →');
    const json = JSON.parse((await runCli(['plan', 'tasks.md', '--json'], repo.dir)).stdout);
    expect(json.tasks.map((t: { agent: string }) => t.agent)).toEqual(['scripted', 'scripted', 'writer', 'scripted']);

    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('agent scripted, writer');
    const tasks = execution(repo.dir).tasks;
    expect(tasks.T003.agent).toBe('writer');
    expect(tasks.T001.agent).toBe('scripted');
  });

  it('--agent overrides the routing rules', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { config: config('routing:\n  - words: docs\n    agent: writer\n') });
    const r = await runCli(['run', 'tasks.md', '--agent', 'scripted'], repo.dir);
    expect(r.code).toBe(0);
    expect(execution(repo.dir).tasks.T003.agent).toBe('scripted');
  });

  it('a rule naming an agent that does not exist is a usage error before anything runs', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { config: config('routing:\n  - words: docs\n    agent: nobody\n') });
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown agent 'nobody'");
    expect(repo.agentLog()).toEqual([]);
  });

  it('a rule with nothing to match on is a config error with its line', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { config: config('routing:\n  - agent: writer\n') });
    const r = await runCli(['plan', 'tasks.md'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /taskwave\.yaml:8:5: error: routing\.0: .*needs at least one of role, complexity, words or phase/,
    );
  });
});

describe('built-in agents', () => {
  it('a missing executable is a usage error naming the agent and the config key, before any task starts', async () => {
    const repo = makeRepo(
      { 'tasks.md': PLAN },
      { config: 'agent: codex\nagents:\n  codex:\n    bin: ./no-such-codex\n' },
    );
    const r = await runCli(['run', 'tasks.md'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agent 'codex': agents\.codex\.bin is '.\/no-such-codex' .* not an executable file/);
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
  });
});

describe('scopes that select nothing', () => {
  /** Refused with exit 2 and `message`, nothing written, no agent started. */
  async function refused(args: string[], message: RegExp, files: Record<string, string> = { 'tasks.md': PLAN }) {
    const repo = makeRepo(files);
    const r = await runCli(['run', ...args], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(repo.dir, '.taskwave'))).toBe(false);
    expect(repo.agentLog()).toEqual([]);
    for (const [path, text] of Object.entries(files)) expect(repo.read(path)).toBe(text);
  }

  it('an empty --only (a script passing an empty variable) is a usage error, not the whole plan', async () => {
    for (const only of ['', ',,,', ' , ']) {
      await refused(
        ['tasks.md', '--only', only],
        /^taskwave: error: --only was given nothing to select \(it is empty\)/m,
      );
    }
    await refused(['tasks.md', '--phase', ''], /--phase was given nothing to select/);
    await refused(['tasks.md', '--from', ''], /--from was given no task id/);
    await refused(['tasks.md', 'only'], /the hint "only" names nothing to run/);
  });

  it('flags that together select no task are a usage error naming them', async () => {
    await refused(['tasks.md', '--only', 'T001', '--from', 'T002'], /--only T001 --from T002 together select no task/);
    const specs = {
      'specs/infrastructure/phase-0/001-auth/tasks.md':
        '# Tasks for I001: Authentication\n\n- [ ] Task: Create the users table\n',
      'specs/features/phase-1/F001-profile/tasks.md': '# Tasks for F001: Profile\n\n- [ ] Profile API route\n',
    };
    await refused(['.', '--spec', 'I001', '--features'], /--spec I001 --features together select no task/, specs);
  });

  it('selected tasks that are all done already are no error, and status does not call the plan done', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN.replace('- [ ] T001', '- [x] T001') });
    const r = await runCli(['run', 'tasks.md', '--only', 'T001'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 task(s) to run, 1 already done');
    expect(repo.agentLog()).toEqual([]);
    const status = await runCli(['status'], repo.dir);
    expect(status.stdout).toMatch(/: done with the tasks it selected; 3 of the plan's 4 tasks not run yet/);
    expect(status.stdout).toContain('run the rest with: taskwave run tasks.md');
  });
});
