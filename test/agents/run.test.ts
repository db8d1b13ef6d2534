// Each adapter end to end against a fake agent CLI (fake-agent.mjs as `bin`): the real spawn, argv,
// stdin and environment, and the recorded output read back into the task's result.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandAgent } from '../../src/agents/command.js';
import { resolveAgent } from '../../src/agents/registry.js';
import type { AgentActivity, AgentRequest } from '../../src/agents/types.js';
import type { AgentConfig } from '../../src/cli/config.js';
import { describeTaskError } from '../../src/events.js';
import { FAKE_AGENT, FIXTURES, HAVE_SHARED, PROMPT, request, SHARED } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'taskwave-agents-'));
const workspace = join(dir, 'workspace');
mkdirSync(workspace);
let runs = 0;

beforeAll(() => chmodSync(FAKE_AGENT, 0o755));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface FakeCall {
  argv: string[];
  stdin: string;
  cwd: string;
  env: Record<string, string>;
}

/** Run agent NAME with the fake CLI printing `output` and exiting with `exit`. */
async function runFake(
  name: string,
  opts: { output?: string; exit?: number; stderr?: string; config?: AgentConfig; req?: Partial<AgentRequest> } = {},
) {
  const log = join(dir, `call-${++runs}.jsonl`);
  const env: Record<string, string> = { FAKE_AGENT_LOG: log, FAKE_AGENT_EXIT: String(opts.exit ?? 0) };
  if (opts.output) env.FAKE_AGENT_OUTPUT = opts.output;
  if (opts.stderr) env.FAKE_AGENT_STDERR = opts.stderr;
  const config: AgentConfig = { ...opts.config, bin: FAKE_AGENT, env: { ...env, ...opts.config?.env } };
  const adapter = resolveAgent(name, { [name]: config });
  if (!adapter.ok) throw new Error(adapter.error.message);
  const activities: AgentActivity[] = [];
  const lines: string[] = [];
  const result = await adapter.value.run(
    request({
      cwd: workspace,
      onOutput: (line) => lines.push(line),
      onActivity: (a) => activities.push(a),
      ...opts.req,
    }),
  );
  const calls: FakeCall[] = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
  return { result, activities, lines, call: calls[0], adapter: adapter.value };
}

describe('built-in adapters against a fake agent CLI', () => {
  it('claude: prompt after -p, stdin empty, TASKWAVE_* set, the result read back', async () => {
    const { result, call, activities, lines, adapter } = await runFake('claude', {
      output: `${FIXTURES}claude.jsonl`,
      config: { env: { EXTRA: 'from-config' } },
    });
    expect(adapter.resumable).toBe(true);
    expect(call?.argv.slice(0, 2)).toEqual(['-p', PROMPT]);
    expect(call?.stdin).toBe('');
    expect(call?.cwd).toBe(workspace);
    expect(call?.env).toMatchObject({
      TASKWAVE_TASK_ID: 'T1',
      TASKWAVE_ATTEMPT: '1',
      TASKWAVE_REPAIR: '0',
      TASKWAVE_RUN_ID: 'r1',
      TASKWAVE_PROMPT_FILE: '/runs/r1/prompts/T1.md',
      EXTRA: 'from-config',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        summary: 'Added greet() in src/greet.ts; the tests pass.',
        sessionId: '5d1c9f7e-2b1a-4c7e-9a51-0f3e6c2d8b10',
        usage: { inputTokens: 11960, outputTokens: 150, cacheReadTokens: 9000, costUsd: 0.0421, turns: 4 },
      },
    });
    expect(activities).toContainEqual({ kind: 'tool', text: 'Write /workspace/src/greet.ts' });
    expect(lines).toHaveLength(readFileSync(`${FIXTURES}claude.jsonl`, 'utf8').trim().split('\n').length);
  });

  it('claude: is_error is a failure whatever the exit code, with the session to resume and what it cost', async () => {
    for (const exit of [0, 1]) {
      const { result } = await runFake('claude', { output: `${FIXTURES}claude-error.jsonl`, exit });
      expect(result).toEqual({
        ok: false,
        error: {
          reason: 'agent-error',
          message: expect.stringMatching(/^API Error: 529/),
          sessionId: '9a8b7c6d-1111-4222-8333-444455556666',
          usage: expect.objectContaining({ costUsd: 0.0003 }),
        },
      });
    }
  });

  it('claude: resumes, and takes a large prompt on stdin', async () => {
    const big = `You are ${'p'.repeat(130 * 1024)}`;
    const { call } = await runFake('claude', {
      output: `${FIXTURES}claude.jsonl`,
      req: { prompt: big, resumeSession: 'sess-9' },
    });
    expect(call?.stdin).toBe(big);
    expect(call?.argv).not.toContain(big);
    expect(call?.argv.join(' ')).toContain('--resume sess-9');
  });

  it('claude: skipPermissions as root sets IS_SANDBOX', async () => {
    const { call } = await runFake('claude', { output: `${FIXTURES}claude.jsonl`, config: { skipPermissions: true } });
    expect(call?.argv).toContain('--dangerously-skip-permissions');
    expect(call?.env.IS_SANDBOX).toBe(process.getuid?.() === 0 ? '1' : undefined);
  });

  it('claude: a clean exit without a result event is not a success', async () => {
    const cut = join(dir, 'claude-cut.jsonl');
    writeFileSync(cut, readFileSync(`${FIXTURES}claude.jsonl`, 'utf8').split('\n').slice(0, 3).join('\n'));
    const { result } = await runFake('claude', { output: cut });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({
      reason: 'agent-error',
      message: 'Claude Code ended without a result event',
    });
  });

  it('codex: runs in the workspace, prompt last, stdin closed; a warning item does not fail it', async () => {
    const { result, call } = await runFake('codex', { output: `${FIXTURES}codex.jsonl` });
    expect(call?.argv.slice(0, 5)).toEqual(['exec', '--json', '--skip-git-repo-check', '-C', workspace]);
    expect(call?.argv.at(-1)).toBe(PROMPT);
    expect(call?.stdin).toBe('');
    expect(result.ok && result.value.sessionId).toBe('0199a213-81c0-7800-8aa1-bbab2a035a53');
  });

  it('codex: turn.failed fails the task with its message', async () => {
    const { result } = await runFake('codex', { output: `${FIXTURES}codex-error.jsonl`, exit: 1 });
    expect(!result.ok && result.error).toMatchObject({
      reason: 'agent-error',
      message: expect.stringMatching(/exceeds the context window/),
      sessionId: '0199a213-81c0-7800-8aa1-cccc2a035a54',
    });
  });

  it('gemini: prompt in -p, workspace trusted through the environment', async () => {
    const { result, call } = await runFake('gemini', { output: `${FIXTURES}gemini.jsonl` });
    expect(call?.argv.slice(0, 2)).toEqual(['-p', PROMPT]);
    expect(call?.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('true');
    expect(call?.stdin).toBe('');
    expect(result.ok && result.value.usage).toEqual({ inputTokens: 12800, outputTokens: 450, cacheReadTokens: 9000 });
    const failed = await runFake('gemini', { output: `${FIXTURES}gemini-error.jsonl`, exit: 1 });
    expect(!failed.result.ok && failed.result.error.reason).toBe('agent-error');
  });

  it('opencode: the prompt on stdin, not in argv', async () => {
    const { result, call } = await runFake('opencode', { output: `${FIXTURES}opencode.jsonl` });
    expect(call?.argv).toEqual(['run', '--format', 'json']);
    expect(call?.stdin).toBe(PROMPT);
    expect(result.ok && result.value.sessionId).toBe('ses_5f1a2b3c4d5eXyZ');
    const failed = await runFake('opencode', { output: `${FIXTURES}opencode-error.jsonl`, exit: 1 });
    expect(!failed.result.ok && failed.result.error).toMatchObject({
      reason: 'agent-error',
      message: 'Invalid API key',
    });
  });

  it('cursor: prompt after -p, --force and --trust', async () => {
    const { result, call } = await runFake('cursor', { output: `${FIXTURES}cursor.jsonl` });
    expect(call?.argv.slice(0, 2)).toEqual(['-p', PROMPT]);
    expect(call?.argv).toEqual(expect.arrayContaining(['--force', '--trust']));
    expect(result.ok && result.value.summary).toBe('Created src/greet.ts; the test run timed out.');
    const failed = await runFake('cursor', { output: `${FIXTURES}cursor-error.jsonl` });
    expect(!failed.result.ok && failed.result.error.reason).toBe('agent-error');
  });

  it('aider: --message, not resumable; a model error with a clean exit still fails', async () => {
    const { result, call, adapter } = await runFake('aider', {
      output: `${FIXTURES}aider.txt`,
      req: { resumeSession: 'ignored' },
    });
    expect(adapter.resumable).toBe(false);
    expect(call?.argv.slice(0, 2)).toEqual(['--message', PROMPT]);
    expect(call?.argv).not.toContain('ignored');
    expect(result.ok && result.value.usage?.costUsd).toBe(0.03);
    const failed = await runFake('aider', { output: `${FIXTURES}aider-error.txt` });
    expect(!failed.result.ok && failed.result.error.reason).toBe('agent-error');
  });

  it('a non-zero exit the agent did not explain is agent-exit, with the output tail and its error line', async () => {
    const { result } = await runFake('gemini', { stderr: 'Error: unknown option --approval-mode', exit: 42 });
    expect(result).toEqual({
      ok: false,
      error: {
        reason: 'agent-exit',
        exitCode: 42,
        signal: null,
        outputTail: 'Error: unknown option --approval-mode',
        said: 'Error: unknown option --approval-mode',
      },
    });
    expect(!result.ok && describeTaskError(result.error)).toBe(
      'agent exited with code 42: Error: unknown option --approval-mode',
    );
  });

  it('the error line of an exit is the last that names an error, never a note that does not', async () => {
    // Codex 0.169.0 given an argument it does not know (`agents.codex.args`), as it printed it.
    const clap = [
      'Reading additional input from stdin...',
      "error: unexpected argument '--no-such-flag' found",
      '',
      "  tip: to pass '--no-such-flag' as a value, use '-- --no-such-flag'",
      '',
      'Usage: codex exec [OPTIONS] [PROMPT]',
      '',
      "For more information, try '--help'.",
    ].join('\n');
    const codex = await runFake('codex', { stderr: clap, exit: 2 });
    expect(!codex.result.ok && describeTaskError(codex.result.error)).toBe(
      "agent exited with code 2: error: unexpected argument '--no-such-flag' found",
    );
    const quiet = await runFake('codex', { stderr: 'Reading additional input from stdin...', exit: 1 });
    expect(!quiet.result.ok && quiet.result.error).not.toHaveProperty('said');
    expect(!quiet.result.ok && describeTaskError(quiet.result.error)).toBe('agent exited with code 1');
  });

  it('a missing executable fails the run as spawn-failed, with the check message', async () => {
    const adapter = resolveAgent('claude', { claude: { bin: './no/such/claude' } }, join(dir, 'taskwave.yaml'));
    if (!adapter.ok) throw new Error('unexpected');
    const result = await adapter.value.run(request({ cwd: workspace }));
    expect(!result.ok && result.error).toMatchObject({
      reason: 'spawn-failed',
      message: expect.stringContaining("agents.claude.bin is './no/such/claude'"),
    });
  });
});

describe.runIf(HAVE_SHARED)('conformance through the real spawn path', () => {
  it('claude: the recording of Claude Code 2.1.197', async () => {
    const { result } = await runFake('claude', { output: `${SHARED}claude-code-2.1.197.stream.jsonl` });
    expect(result).toMatchObject({
      ok: true,
      value: { summary: 'Task T007. is implemented.', sessionId: '470c2e90-6d14-4edc-994b-473f35a38714' },
    });
  });

  it('codex: the recording of Codex 0.169.0', async () => {
    const { result } = await runFake('codex', { output: `${SHARED}codex-0.169.0.exec.jsonl` });
    expect(result).toMatchObject({ ok: true, value: { summary: 'Task T012 is implemented.' } });
  });
});

describe('command agent', () => {
  it('gets the prompt on stdin and TASKWAVE_* variables; its last line is the summary', async () => {
    const log = join(dir, 'command.jsonl');
    const agent = commandAgent({
      name: 'mine',
      command: [FAKE_AGENT, '--flag'],
      env: { FAKE_AGENT_LOG: log, FAKE_AGENT_OUTPUT: `${FIXTURES}aider.txt` },
    });
    const activities: AgentActivity[] = [];
    const result = await agent.run(request({ cwd: workspace, onActivity: (a) => activities.push(a) }));
    const call: FakeCall = JSON.parse(readFileSync(log, 'utf8').trim());
    expect(call.argv).toEqual(['--flag']);
    expect(call.stdin).toBe(PROMPT);
    expect(call.env.TASKWAVE_TASK_ID).toBe('T1');
    expect(result).toEqual({
      ok: true,
      value: { summary: 'Tokens: 5.1k sent, 3.3k cache hit, 80 received. Cost: $0.01 message, $0.03 session.' },
    });
    expect(activities).toEqual([]);
  });
});
