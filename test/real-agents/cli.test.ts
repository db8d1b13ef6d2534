// The real Claude Code and Codex CLIs (versions pinned in package.json) run fully offline against
// the scripted model server: each writes a file, runs a shell command and ends with a message, in
// a temporary git repository, under a hard timeout; nothing reaches the trap proxy.
//
// With RECORD_AGENT_OUTPUT=1 each run's stdout is kept in test/fixtures/agent-output/ (temporary
// paths replaced by /workspace and /home/agent), for the adapters' parsing tests.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  finalText,
  type ModelServer,
  modelCalls,
  runShell,
  startModelServer,
  writeFile,
} from '../support/model-server.js';
import {
  type AgentEnv,
  CLAUDE_BIN,
  CLAUDE_VERSION,
  CODEX_BIN,
  CODEX_MODEL,
  CODEX_VERSION,
  claudeArgs,
  claudeEnv,
  codexArgs,
  codexEnv,
  jsonLines,
  makeGitRepo,
  REPO_ROOT,
  runAgent,
} from '../support/real-agents.js';
import { startTrapProxy, type TrapProxy } from '../support/trap-proxy.js';

const TIMEOUT_MS = 90_000;
const RECORD = process.env.RECORD_AGENT_OUTPUT === '1';

function record(name: string, stdout: string, dir: string, home: string): void {
  if (!RECORD) return;
  const text = stdout
    .replaceAll(dir, '/workspace')
    .replaceAll(dir.replaceAll('/', '-'), '-workspace')
    .replaceAll(home, '/home/agent');
  const out = join(REPO_ROOT, 'test', 'fixtures', 'agent-output');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, name), text);
}

const script = {
  'TASKWAVE-TASK T101': [
    writeFile('out/T101.txt', 'written by the scripted model for T101\n'),
    runShell('ls out > listing.txt'),
    finalText('Task T101 is implemented.'),
  ],
  'TASKWAVE-TASK T102': [
    writeFile('out/T102.txt', 'written by the scripted model for T102\n'),
    runShell('ls out > listing.txt'),
    finalText('Task T102 is implemented.'),
  ],
};

describe('real agent CLIs against the scripted model server', () => {
  let server: ModelServer;
  let trap: TrapProxy;
  let dir: string;
  let agent: AgentEnv | undefined;

  beforeEach(async () => {
    server = await startModelServer(script);
    trap = await startTrapProxy();
    dir = makeGitRepo();
    agent = undefined;
  });

  afterEach(async () => {
    await server.close();
    await trap.close();
    agent?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the pinned versions run offline', async () => {
    agent = claudeEnv({ serverUrl: server.url, proxyUrl: trap.url });
    const claude = await runAgent(CLAUDE_BIN, ['--version'], { cwd: dir, env: agent.env, timeoutMs: 30_000 });
    expect(claude.stdout).toContain(CLAUDE_VERSION);
    agent.cleanup();
    agent = codexEnv({ serverUrl: server.url, proxyUrl: trap.url });
    const codex = await runAgent(CODEX_BIN, ['--version'], { cwd: dir, env: agent.env, timeoutMs: 30_000 });
    expect(codex.stdout).toContain(CODEX_VERSION);
    expect(trap.trapped).toEqual([]);
  });

  // Without this, "the trap saw nothing" could mean the CLIs ignore the proxy variables. A base URL
  // outside loopback (.invalid never resolves, and the CLIs leave resolving to the proxy) must land
  // in the trap; Codex keeps reconnecting for minutes, so each run is stopped once it has.
  test('the trap proxy catches what the CLIs send outside loopback', async () => {
    const outside = 'https://model.invalid';
    const untilTrapped = () => {
      const stop = new AbortController();
      const poll = setInterval(() => {
        if (trap.trapped.length > 0) {
          clearInterval(poll);
          stop.abort();
        }
      }, 50);
      return { signal: stop.signal, done: () => clearInterval(poll) };
    };

    agent = claudeEnv({ serverUrl: outside, proxyUrl: trap.url });
    let watch = untilTrapped();
    await runAgent(CLAUDE_BIN, claudeArgs('hello'), {
      cwd: dir,
      env: agent.env,
      timeoutMs: 30_000,
      signal: watch.signal,
    });
    watch.done();
    expect(trap.trapped[0]).toMatchObject({ kind: 'connect', target: 'model.invalid:443' });

    trap.trapped.length = 0;
    agent.cleanup();
    agent = codexEnv({ serverUrl: outside, proxyUrl: trap.url });
    watch = untilTrapped();
    await runAgent(CODEX_BIN, codexArgs(dir, 'hello'), {
      cwd: dir,
      env: agent.env,
      timeoutMs: 30_000,
      signal: watch.signal,
    });
    watch.done();
    expect(trap.trapped[0]).toMatchObject({ kind: 'connect', target: 'model.invalid:443' });
    expect(server.requests).toEqual([]);
  }, 70_000);

  test(
    'Claude Code writes a file, runs a command and reports usage and cost',
    async () => {
      agent = claudeEnv({ serverUrl: server.url, proxyUrl: trap.url });
      const run = await runAgent(CLAUDE_BIN, claudeArgs('TASKWAVE-TASK T101: implement the task.'), {
        cwd: dir,
        env: agent.env,
        timeoutMs: TIMEOUT_MS,
      });
      record('recorded-claude.jsonl', run.stdout, dir, agent.home);
      const context = `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}\nstderr: ${run.stderr}\nstdout: ${run.stdout}`;
      expect(run.timedOut, context).toBe(false);
      expect(run.code, context).toBe(0);

      expect(readFileSync(join(dir, 'out/T101.txt'), 'utf8')).toBe('written by the scripted model for T101\n');
      expect(readFileSync(join(dir, 'listing.txt'), 'utf8')).toBe('T101.txt\n');

      const events = jsonLines(run.stdout);
      const init = events.find((e) => e.type === 'system' && e.subtype === 'init');
      expect(init?.claude_code_version).toBe(CLAUDE_VERSION);
      const toolUses = events
        .filter((e) => e.type === 'assistant')
        .flatMap((e) => (e.message as { content: { type: string; name?: string }[] }).content)
        .filter((c) => c.type === 'tool_use')
        .map((c) => c.name);
      expect(toolUses).toEqual(['Write', 'Bash']);
      const result = events.find((e) => e.type === 'result');
      expect(result).toMatchObject({
        subtype: 'success',
        is_error: false,
        num_turns: 3,
        result: 'Task T101 is implemented.',
        session_id: init?.session_id,
        usage: { input_tokens: 3000, output_tokens: 150 },
      });
      expect(typeof result?.session_id).toBe('string');
      // 3 × (1000 input + 50 output) tokens at the default model's price ($5 / $25 per million).
      expect(result?.total_cost_usd).toBeCloseTo(0.01875, 6);

      // What Claude Code asked of the server: three streamed Messages calls, nothing else.
      expect(server.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
        Array(3).fill('POST /v1/messages 200'),
      );
      expect(modelCalls(server, 'anthropic').map((r) => [r.stream, r.marker, r.step?.kind])).toEqual([
        [true, 'TASKWAVE-TASK T101', 'write'],
        [true, 'TASKWAVE-TASK T101', 'shell'],
        [true, 'TASKWAVE-TASK T101', 'text'],
      ]);
      expect(trap.trapped).toEqual([]);
    },
    TIMEOUT_MS + 30_000,
  );

  test(
    'Codex writes a file, runs a command and reports usage',
    async () => {
      agent = codexEnv({ serverUrl: server.url, proxyUrl: trap.url });
      const run = await runAgent(CODEX_BIN, codexArgs(dir, 'TASKWAVE-TASK T102: implement the task.'), {
        cwd: dir,
        env: agent.env,
        timeoutMs: TIMEOUT_MS,
      });
      record('recorded-codex.jsonl', run.stdout, dir, agent.home);
      const context = `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}\nstderr: ${run.stderr}\nstdout: ${run.stdout}`;
      expect(run.timedOut, context).toBe(false);
      expect(run.code, context).toBe(0);

      expect(readFileSync(join(dir, 'out/T102.txt'), 'utf8')).toBe('written by the scripted model for T102\n');
      expect(readFileSync(join(dir, 'listing.txt'), 'utf8')).toBe('T102.txt\n');

      const events = jsonLines(run.stdout);
      expect(events[0]).toMatchObject({ type: 'thread.started', thread_id: expect.any(String) });
      const items = events
        .filter((e) => e.type === 'item.completed')
        .map((e) => e.item as { type: string; [key: string]: unknown });
      expect(items.map((i) => i.type)).toEqual(['file_change', 'command_execution', 'agent_message']);
      expect(items[0]).toMatchObject({
        status: 'completed',
        changes: [{ path: join(dir, 'out/T102.txt'), kind: 'add' }],
      });
      expect(items[1]).toMatchObject({ exit_code: 0, status: 'completed' });
      expect(items[2]).toMatchObject({ text: 'Task T102 is implemented.' });
      expect(events.at(-1)).toMatchObject({
        type: 'turn.completed',
        usage: { input_tokens: 3000, cached_input_tokens: 0, output_tokens: 150 },
      });

      // What Codex asked of the server: three streamed Responses calls, nothing else.
      expect(server.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
        Array(3).fill('POST /v1/responses 200'),
      );
      expect(modelCalls(server, 'openai').map((r) => [r.model, r.stream, r.marker, r.step?.kind])).toEqual([
        [CODEX_MODEL, true, 'TASKWAVE-TASK T102', 'write'],
        [CODEX_MODEL, true, 'TASKWAVE-TASK T102', 'shell'],
        [CODEX_MODEL, true, 'TASKWAVE-TASK T102', 'text'],
      ]);
      expect(trap.trapped).toEqual([]);
    },
    TIMEOUT_MS + 30_000,
  );
});
