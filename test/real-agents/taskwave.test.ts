// `taskwave run` end to end with the real Claude Code and Codex CLIs (versions pinned in
// package.json) against the scripted model server, fully offline: tasks run in parallel worktrees,
// are merged back one commit per task with the plan's tick, a real merge conflict is resolved by
// the agent, a model server that answers HTTP errors fails or retries tasks with the cause named,
// and nothing reaches the trap proxy. Runs the built CLI: `npm run build` first.
//
// taskwave runs with a clean environment (the test runner's own keys and proxies stay out): the
// temporary HOME, PATH and the trap proxy as its own environment, which it hands down to the
// agents, and the agent's variables (base URL, key, CODEX_HOME) through `agents.NAME.env` in the
// config. IS_SANDBOX is left out on purpose: the Claude adapter adds it itself as root.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  callTool,
  finalText,
  httpError,
  type ModelRequest,
  type ModelServer,
  modelCalls,
  runShell,
  type Script,
  type Step,
  startModelServer,
  writeFile,
} from '../support/model-server.js';
import { waitFor } from '../support/processes.js';
import { type AgentEnv, CLAUDE_BIN, CODEX_BIN, claudeEnv, codexEnv, jsonLines } from '../support/real-agents.js';
import { BIN, makeRepo, type TempRepo } from '../support/repo.js';
import { startTrapProxy, type TrapProxy } from '../support/trap-proxy.js';

/** A whole `taskwave run`, killed past this. */
const RUN_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = RUN_TIMEOUT_MS + 30_000;

const PLAN = `# Tasks: notes

**Input**: nothing but this plan.

## Phase 1: Notes

- [ ] T001 [P] Write the first note in \`src/a.txt\`
- [ ] T002 [P] Write the second note in \`src/b.txt\`

## Phase 2: Summary

- [ ] T003 Join both notes into \`src/c.txt\`
`;

/**
 * Each [P] task writes its note and records, from a shell, the directory it ran in (its worktree);
 * the shell's `sleep 1` keeps both agents busy at the same time. T003 joins the two notes, which it
 * only sees if both were merged before it started.
 */
const SCRIPT: Script = {
  'Task T001:': [
    writeFile('src/a.txt', 'alpha\n'),
    runShell('sleep 1 && mkdir -p runs && pwd > runs/T001.pwd'),
    finalText('T001 is done: src/a.txt written.'),
  ],
  'Task T002:': [
    writeFile('src/b.txt', 'beta\n'),
    runShell('sleep 1 && mkdir -p runs && pwd > runs/T002.pwd'),
    finalText('T002 is done: src/b.txt written.'),
  ],
  'Task T003:': [runShell('cat src/a.txt src/b.txt > src/c.txt'), finalText('T003 is done: src/c.txt written.')],
};

/** Variables that are the agent's own: they go in `agents.NAME.env`; the rest is taskwave's environment. */
const AGENT_VARIABLE = /^(?:ANTHROPIC_|CLAUDE_|DISABLE_|CODEX_HOME$|SCRIPTED_API_KEY$)/;

function splitEnv(agent: AgentEnv): { own: Record<string, string>; agentEnv: Record<string, string> } {
  const own: Record<string, string> = {};
  const agentEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(agent.env)) {
    if (key === 'IS_SANDBOX') continue;
    (AGENT_VARIABLE.test(key) ? agentEnv : own)[key] = value;
  }
  return { own, agentEnv };
}

/** taskwave.yaml (JSON is YAML): one agent, its executable, its variables, and a timeout of its own. */
function configFor(
  agent: 'claude' | 'codex',
  env: Record<string, string>,
  extra: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) {
  return `${JSON.stringify(
    {
      agent,
      concurrency: 4,
      killGrace: '2s',
      agents: {
        [agent]: { bin: agent === 'claude' ? CLAUDE_BIN : CODEX_BIN, timeout: '90s', env, ...extra },
      },
      ...top,
    },
    null,
    2,
  )}\n`;
}

interface TaskwaveRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * `taskwave run tasks.md` with exactly `env` (plus CI mode): SIGTERM past the timeout (taskwave
 * then stops its agents' process groups), SIGKILL if it is still there 15 s later.
 */
function runTaskwave(dir: string, env: Record<string, string>, timeoutMs = RUN_TIMEOUT_MS): Promise<TaskwaveRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', 'tasks.md'], {
      cwd: dir,
      env: { ...env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started, timedOut });
    });
  });
}

const context = (run: TaskwaveRun) =>
  `exit ${run.code ?? run.signal}${run.timedOut ? ' (timed out)' : ''} after ${run.durationMs} ms\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

interface Execution {
  runId: string;
  status: string;
  tasks: Record<
    string,
    {
      status: string;
      error?: string;
      retries?: number;
      repairs?: number;
      agent?: string;
      sessionId?: string;
      usage?: { inputTokens: number; outputTokens: number; costUsd?: number; turns?: number };
    }
  >;
}

const execution = (repo: TempRepo): Execution => JSON.parse(repo.read('.taskwave/execution.json')) as Execution;

/** None outlives the run; a process SIGKILLed as the run ended gets a moment to be gone. */
async function expectNoProcessIn(dir: string): Promise<void> {
  await waitFor('the agents to be gone', () => processesIn(dir).length === 0, 5000).catch(() => {});
  expect(processesIn(dir)).toEqual([]);
}

/** Processes working in the repository or under it (its worktrees). */
function processesIn(dir: string): string[] {
  const root = realpathSync(dir);
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}/`))
        found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 120)}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

interface JournalLine {
  type: string;
  taskId?: string;
  time: string;
}

const journal = (repo: TempRepo): JournalLine[] =>
  repo
    .read('.taskwave/journal.jsonl')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);

/** When a task started and succeeded, by the journal. */
function journalSpan(repo: TempRepo, id: string): [number, number] {
  const entries = journal(repo).filter((e) => e.taskId === id);
  const at = (type: string) => Date.parse(entries.find((e) => e.type === type)?.time ?? 'missing');
  return [at('task-started'), at('task-succeeded')];
}

/** The first and last model call a task's marker answered, by the server's record. */
function serverSpan(server: ModelServer, marker: string): [number, number] {
  const times = modelCalls(server)
    .filter((r) => r.marker === marker)
    .map((r) => r.time);
  return [Math.min(...times), Math.max(...times)];
}

const overlap = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

/** The agent's own lines (stdout) in `.taskwave/logs/<run>/<task>.jsonl`, parsed. */
function agentLines(repo: TempRepo, runId: string, id: string): Record<string, unknown>[] {
  const records = repo
    .read(`.taskwave/logs/${runId}/${id}.jsonl`)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { out?: string });
  return jsonLines(
    records
      .map((r) => r.out)
      .filter((l) => l !== undefined)
      .join('\n'),
  );
}

/** What every successful run leaves: all ticked, one commit per task, nothing else behind. */
function expectCleanFinish(repo: TempRepo, ids: string[]) {
  expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));
  expect(repo.git('status', '--porcelain')).toBe('');
  expect(Number(repo.git('rev-list', '--count', 'HEAD').trim())).toBe(ids.length + 1);
  expect(repo.git('branch', '--list', 'taskwave/*').trim()).toBe('');
  expect(repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);
}

/** The commit subjects since the initial commit, oldest first. */
const subjects = (repo: TempRepo) => repo.git('log', '--reverse', '--format=%s', 'HEAD~3..HEAD').trim().split('\n');

/** The files each of the last three commits changed, oldest first. */
const changed = (repo: TempRepo) =>
  [2, 1, 0].map((n) => repo.git('show', '--format=', '--name-only', `HEAD~${n}`).trim().split('\n').sort());

describe('taskwave run with the real agent CLIs', () => {
  let server: ModelServer | undefined;
  let trap: TrapProxy;
  let agent: AgentEnv | undefined;
  let repo: TempRepo | undefined;

  beforeEach(async () => {
    trap = await startTrapProxy();
    server = undefined;
    agent = undefined;
    repo = undefined;
  });

  afterEach(async () => {
    await server?.close();
    await trap.close();
    agent?.cleanup();
    if (repo) rmSync(repo.dir, { recursive: true, force: true });
  });

  /** The two [P] tasks ran at the same time, each in a worktree of its own. */
  function expectParallelWorktrees(r: TempRepo, s: ModelServer, runId: string) {
    const dirs = ['T001', 'T002'].map((id) => r.read(`runs/${id}.pwd`).trim());
    // The run removed its worktrees folder when it ended: resolve the books' folder, which stays.
    const worktrees = join(realpathSync(join(r.dir, '.taskwave')), 'worktrees', runId);
    expect(dirs).toEqual([join(worktrees, 'T001'), join(worktrees, 'T002')]);
    expect(overlap(serverSpan(s, 'Task T001:'), serverSpan(s, 'Task T002:'))).toBe(true);
    expect(overlap(journalSpan(r, 'T001'), journalSpan(r, 'T002'))).toBe(true);
    // T003 started once both had succeeded (merged).
    const t3 = journalSpan(r, 'T003')[0];
    expect(t3).toBeGreaterThanOrEqual(Math.max(journalSpan(r, 'T001')[1], journalSpan(r, 'T002')[1]));
  }

  /** Each task's steps of the script reached the model once, through `api`. */
  function expectPlanSteps(s: ModelServer, api: 'anthropic' | 'openai') {
    expect(
      modelCalls(s, api)
        .map((r) => `${r.marker} ${r.step?.kind}`)
        .sort(),
    ).toEqual(
      [
        'Task T001: write',
        'Task T001: shell',
        'Task T001: text',
        'Task T002: write',
        'Task T002: shell',
        'Task T002: text',
        'Task T003: shell',
        'Task T003: text',
      ].sort(),
    );
  }

  function expectFilesAndCommits(r: TempRepo) {
    expect(r.read('src/a.txt')).toBe('alpha\n');
    expect(r.read('src/b.txt')).toBe('beta\n');
    expect(r.read('src/c.txt')).toBe('alpha\nbeta\n');
    expectCleanFinish(r, ['T001', 'T002', 'T003']);
    const s = subjects(r);
    expect(s[2]).toBe('T003: Join both notes into `src/c.txt`');
    expect(s.slice(0, 2).sort()).toEqual([
      'T001: Write the first note in `src/a.txt`',
      'T002: Write the second note in `src/b.txt`',
    ]);
    // Each commit holds its task's files and its tick, nothing else.
    const files = changed(r);
    const byTask = Object.fromEntries(s.map((subject, i) => [subject.slice(0, 4), files[i]]));
    expect(byTask).toEqual({
      T001: ['runs/T001.pwd', 'src/a.txt', 'tasks.md'],
      T002: ['runs/T002.pwd', 'src/b.txt', 'tasks.md'],
      T003: ['src/c.txt', 'tasks.md'],
    });
  }

  test(
    'Claude Code: two [P] tasks in parallel worktrees, then a third, merged one commit each',
    async () => {
      server = await startModelServer(SCRIPT);
      agent = claudeEnv({ serverUrl: server.url, proxyUrl: trap.url });
      const { own, agentEnv } = splitEnv(agent);
      repo = makeRepo({ 'tasks.md': PLAN }, { config: configFor('claude', agentEnv, { skipPermissions: true }) });

      const run = await runTaskwave(repo.dir, own);
      expect(run.timedOut, context(run)).toBe(false);
      expect(run.code, context(run)).toBe(0);

      const exec = execution(repo);
      expect(exec.status).toBe('done');
      expectParallelWorktrees(repo, server, exec.runId);
      expectFilesAndCommits(repo);

      for (const id of ['T001', 'T002', 'T003']) {
        const task = exec.tasks[id];
        expect(task, id).toMatchObject({ status: 'done', agent: 'claude', sessionId: expect.any(String) });
        expect(task?.usage?.inputTokens, id).toBeGreaterThan(0);
        expect(task?.usage?.outputTokens, id).toBeGreaterThan(0);
        expect(task?.usage?.costUsd, id).toBeGreaterThan(0);
      }
      // T001: three model calls of 1000 input and 50 output tokens each.
      expect(exec.tasks.T001?.usage).toMatchObject({ inputTokens: 3000, outputTokens: 150, turns: 3 });

      // The task's log holds Claude Code's own stream-json, with the session taskwave recorded.
      const lines = agentLines(repo, exec.runId, 'T001');
      const init = lines.find((e) => e.type === 'system' && e.subtype === 'init');
      expect(init?.session_id).toBe(exec.tasks.T001?.sessionId);
      expect(lines.find((e) => e.type === 'result')).toMatchObject({
        is_error: false,
        result: 'T001 is done: src/a.txt written.',
      });

      expectPlanSteps(server, 'anthropic');
      expect(trap.trapped).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'Codex: two [P] tasks in parallel worktrees, then a third, merged one commit each',
    async () => {
      server = await startModelServer(SCRIPT);
      agent = codexEnv({ serverUrl: server.url, proxyUrl: trap.url });
      const { own, agentEnv } = splitEnv(agent);
      repo = makeRepo({ 'tasks.md': PLAN }, { config: configFor('codex', agentEnv) });

      const run = await runTaskwave(repo.dir, own);
      expect(run.timedOut, context(run)).toBe(false);
      expect(run.code, context(run)).toBe(0);

      const exec = execution(repo);
      expect(exec.status).toBe('done');
      expectParallelWorktrees(repo, server, exec.runId);
      expectFilesAndCommits(repo);

      for (const id of ['T001', 'T002', 'T003']) {
        const task = exec.tasks[id];
        expect(task, id).toMatchObject({ status: 'done', agent: 'codex', sessionId: expect.any(String) });
        expect(task?.usage?.inputTokens, id).toBeGreaterThan(0);
        expect(task?.usage?.outputTokens, id).toBeGreaterThan(0);
        // Codex reports tokens only.
        expect(task?.usage?.costUsd, id).toBeUndefined();
      }
      expect(exec.tasks.T001?.usage).toMatchObject({ inputTokens: 3000, outputTokens: 150 });

      const lines = agentLines(repo, exec.runId, 'T001');
      expect(lines[0]).toMatchObject({ type: 'thread.started', thread_id: exec.tasks.T001?.sessionId });
      expect(lines.at(-1)).toMatchObject({ type: 'turn.completed' });

      expectPlanSteps(server, 'openai');
      expect(trap.trapped).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'Claude Code resolves a real merge conflict between two [P] tasks',
    async () => {
      const plan = `# Tasks: greetings

## Phase 1: Greetings

- [ ] T001 [P] Record the first greeting
- [ ] T002 [P] Record the second greeting
`;
      const CONFLICT = '## Merge conflict';
      const tasks: Record<string, Step[]> = {
        'Task T001:': [writeFile('shared.txt', 'from T001\n'), finalText('T001 is done.')],
        // Slower: T001 merges first, and T002's merge conflicts.
        'Task T002:': [runShell('sleep 1'), writeFile('shared.txt', 'from T002\n'), finalText('T002 is done.')],
      };
      // The conflict prompt holds `Task T002:` as well, and a resumed session holds the first turn's
      // tool results: its steps count the tool results after the conflict prompt.
      const script = (req: ModelRequest): Step => {
        if (req.prompt.includes(CONFLICT)) {
          const step = toolResultsSince(req, CONFLICT);
          const file = join(req.cwd ?? '.', 'shared.txt');
          // Claude Code's Write refuses a file it has not read in this session.
          const steps = [callTool('Read', { file_path: file }), writeFile(file, 'from T001\nfrom T002\n')];
          return steps[step] ?? finalText('Conflict resolved: both greetings kept.');
        }
        const key = Object.keys(tasks).find((k) => req.prompt.includes(k));
        return (key ? tasks[key]?.[req.toolResults] : undefined) ?? finalText('Done.');
      };
      server = await startModelServer(script);
      agent = claudeEnv({ serverUrl: server.url, proxyUrl: trap.url });
      const { own, agentEnv } = splitEnv(agent);
      repo = makeRepo({ 'tasks.md': plan }, { config: configFor('claude', agentEnv, { skipPermissions: true }) });

      const run = await runTaskwave(repo.dir, own);
      expect(run.timedOut, context(run)).toBe(false);
      expect(run.code, context(run)).toBe(0);

      expect(repo.read('shared.txt')).toBe('from T001\nfrom T002\n');
      expect(repo.read('tasks.md')).toBe(plan.replaceAll('- [ ] T', '- [x] T'));
      expect(repo.git('status', '--porcelain')).toBe('');
      expect(repo.git('log', '--reverse', '--format=%s', 'HEAD~2..HEAD').trim().split('\n')).toEqual([
        'T001: Record the first greeting',
        'T002: Record the second greeting',
      ]);
      expect(repo.git('show', 'HEAD~1:shared.txt')).toBe('from T001\n');
      expect(repo.git('branch', '--list', 'taskwave/*').trim()).toBe('');
      expect(repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);

      // The resolution was one more run of T002's agent, on a prompt naming the conflicted file, in
      // the session of its first run (resumed: the conversation holds the first run's two tool results).
      const resolution = modelCalls(server, 'anthropic').filter((r) => JSON.stringify(r.body).includes(CONFLICT));
      expect(resolution.map((r) => r.step?.kind)).toEqual(['tool', 'write', 'text']);
      expect(JSON.stringify(resolution[0]?.body)).toContain('Task T002:');
      expect(JSON.stringify(resolution[0]?.body).match(/"type":"tool_result"/g)).toHaveLength(2);
      const exec = execution(repo);
      const sessions = agentLines(repo, exec.runId, 'T002')
        .filter((e) => e.type === 'system' && e.subtype === 'init')
        .map((e) => e.session_id);
      expect(sessions).toEqual([exec.tasks.T002?.sessionId, exec.tasks.T002?.sessionId]);
      const prompt = repo.read(`.taskwave/runs/${exec.runId}/prompts/T002.1.conflict.md`);
      expect(prompt).toContain(`${CONFLICT}\n`);
      expect(prompt).toContain('- shared.txt\n');
      expect(exec.tasks.T002).toMatchObject({ status: 'done', attempts: 1 });
      // The resolution is paid for too: both runs' usage, as each result reported it.
      expect(exec.tasks.T002?.usage).toMatchObject({ inputTokens: 6000, outputTokens: 300, turns: 6 });
      expect(exec.tasks.T002?.usage?.costUsd).toBeCloseTo(0.0375, 6);
      expect(trap.trapped).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  // The same environments, with a model server that answers errors.
  describe('when the model server fails', () => {
    const plan = `# Tasks: notes

## Phase 1: Notes

- [ ] T001 [P] Write the first note in \`src/a.txt\`
- [ ] T002 [P] Write the second note in \`src/b.txt\`
- [ ] T003 [P] Write the third note in \`src/c.txt\`
`;

    test(
      'Claude Code: an API error after some work is named and its cost counted; a timeout while it retries says what it retried',
      async () => {
        server = await startModelServer({
          'Task T001:': [
            writeFile('src/a.txt', 'alpha\n'),
            httpError(400, 'messages.2.content.0: unexpected tool_use_id found in tool_result blocks'),
          ],
          // Claude Code retries a 500 ten times over minutes: the task's timeout comes first.
          'Task T002:': [httpError(500, 'Internal server error')],
          'Task T003:': [writeFile('src/c.txt', 'gamma\n'), finalText('T003 is done.')],
        });
        agent = claudeEnv({ serverUrl: server.url, proxyUrl: trap.url });
        const { own, agentEnv } = splitEnv(agent);
        const config = configFor('claude', agentEnv, { skipPermissions: true, timeout: '15s' }, { concurrency: 2 });
        repo = makeRepo({ 'tasks.md': plan }, { config });

        const run = await runTaskwave(repo.dir, own);
        expect(run.timedOut, context(run)).toBe(false);
        expect(run.code, context(run)).toBe(1);

        const exec = execution(repo);
        expect(exec.tasks.T001).toMatchObject({
          status: 'failed',
          error:
            'the agent reported an error: API Error: 400 messages.2.content.0: unexpected tool_use_id found in tool_result blocks',
        });
        // The failed run was paid for: one model call of 1000 input and 50 output tokens.
        expect(exec.tasks.T001?.usage).toMatchObject({ inputTokens: 1000, outputTokens: 50, turns: 2 });
        expect(exec.tasks.T001?.usage?.costUsd).toBeCloseTo(0.00625, 6);
        expect(exec.tasks.T002?.status).toBe('failed');
        expect(exec.tasks.T002?.error).toMatch(
          /^timed out after 15\.0s while the agent was retrying: API error 500 \(server_error\), retry \d+ of 10$/,
        );
        expect(exec.tasks.T003).toMatchObject({ status: 'done', usage: { inputTokens: 2000, outputTokens: 100 } });
        // The report's total holds the failed run's cost: 0.00625 + 0.0125.
        const report = repo.read(`.taskwave/runs/${exec.runId}/report.md`);
        expect(report).toMatch(/^\| \*\*total\*\* \|.*\| 3,000 \| 150 \| \$0\.0188 \|$/m);
        expect(report).toContain(
          '`T002` Write the second note in `src/b.txt`: **failed**: timed out after 15.0s while the agent was retrying: API error 500',
        );

        // The timed-out agent went with its whole process group, and the worktrees with the run.
        await expectNoProcessIn(repo.dir);
        expect(repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);
        expect(trap.trapped).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    test(
      'Codex: a 500 is retried, a failed gate is repaired in the resumed thread, a 400 reads as one line, usage adds up',
      async () => {
        let failedOnce = false;
        const GATE = 'no-bad-notes';
        const script = (req: ModelRequest): Step => {
          if (req.prompt.includes('Task T001:')) {
            if (!failedOnce) {
              failedOnce = true;
              return httpError(500, 'Internal server error');
            }
            return (
              [writeFile('src/a.txt', 'alpha\n'), finalText('T001 is done.')][req.toolResults] ?? finalText('Done.')
            );
          }
          if (req.prompt.includes('Task T002:')) {
            // The first run writes a note the gate refuses; the repair, whose prompt names the gate, fixes it.
            const repair = req.prompt.includes(GATE);
            const steps = repair
              ? [writeFile('src/b.txt', 'beta\n'), finalText('T002 is fixed.')]
              : [writeFile('src/b.txt', 'bad\n'), finalText('T002 is done.')];
            // The resumed thread holds the first run's one tool result.
            return steps[req.toolResults - (repair ? 1 : 0)] ?? finalText('Done.');
          }
          return (
            [
              writeFile('src/c.txt', 'gamma\n'),
              httpError(400, 'messages.2.content.0: unexpected tool_use_id found in tool_result blocks'),
            ][req.toolResults] ?? finalText('Done.')
          );
        };
        server = await startModelServer(script);
        agent = codexEnv({ serverUrl: server.url, proxyUrl: trap.url });
        const { own, agentEnv } = splitEnv(agent);
        const config = configFor(
          'codex',
          agentEnv,
          {},
          {
            concurrency: 2,
            retry: { attempts: 1, backoff: '100ms' },
            gates: { task: [{ name: GATE, run: '! grep -rqs bad src' }] },
          },
        );
        repo = makeRepo({ 'tasks.md': plan }, { config });

        const run = await runTaskwave(repo.dir, own);
        expect(run.timedOut, context(run)).toBe(false);
        expect(run.code, context(run)).toBe(1);
        const exec = execution(repo);

        // Codex says a 500 in words of its own; they are a transient failure, retried and named.
        expect(exec.tasks.T001).toMatchObject({ status: 'done', retries: 1 });
        expect(run.stdout).toMatch(
          /^retry {3}T001 attempt 1: the agent reported an error: We’re currently experiencing high demand, which may cause temporary errors\. \(in \d+ms\)$/m,
        );

        // The repair went to the same thread, with the gate's failure in its prompt.
        expect(exec.tasks.T002).toMatchObject({ status: 'done', repairs: 1 });
        const repairCalls = modelCalls(server, 'openai').filter((r) =>
          JSON.stringify(r.body).includes('## Verification failed'),
        );
        expect(repairCalls.length).toBeGreaterThan(0);
        expect(JSON.stringify(repairCalls[0]?.body)).toContain(GATE);
        expect(JSON.stringify(repairCalls[0]?.body)).toContain('Task T002:');
        expect(repo.read('src/b.txt')).toBe('beta\n');
        // Two runs of two model calls each; Codex reports the resumed thread's total, taskwave each run's own.
        expect(exec.tasks.T002?.usage).toMatchObject({ inputTokens: 4000, outputTokens: 200, turns: 2 });

        // OpenAI's pretty-printed error body, passed on by Codex, is one line in the books.
        expect(exec.tasks.T003).toMatchObject({
          status: 'failed',
          error:
            'the agent reported an error: invalid_request_error: messages.2.content.0: unexpected tool_use_id found in tool_result blocks',
        });
        await expectNoProcessIn(repo.dir);
        expect(trap.trapped).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );
  });

  /** Tool results in the conversation after the last user turn whose text holds `marker`. */
  function toolResultsSince(req: ModelRequest, marker: string): number {
    const messages = (req.body.messages ?? []) as { role: string; content: unknown }[];
    let count = 0;
    for (const m of messages) {
      const parts = Array.isArray(m.content) ? (m.content as { type?: string; text?: string }[]) : [];
      const text = typeof m.content === 'string' ? m.content : parts.map((p) => p.text ?? '').join('\n');
      if (m.role === 'user' && text.includes(marker)) count = 0;
      count += parts.filter((p) => p.type === 'tool_result').length;
    }
    return count;
  }
});
