import { describe, expect, it } from 'vitest';
import { codexInvocation, codexParser } from '../../src/agents/codex.js';
import { describeTaskError } from '../../src/events.js';
import { fixture, HAVE_SHARED, kinds, PROMPT, parse, request, shared } from './helpers.js';

describe('codex argv', () => {
  it('runs exec --json in the workspace, sandboxed to it, never asking, the prompt last', () => {
    const inv = codexInvocation({}, request({ cwd: '/w/T1' }));
    expect(inv.argv).toEqual([
      'codex',
      'exec',
      '--json',
      '--skip-git-repo-check',
      '-C',
      '/w/T1',
      '--sandbox',
      'workspace-write',
      '-c',
      'approval_policy=never',
      PROMPT,
    ]);
    expect(inv.argv).not.toContain('--full-auto');
    // stdin is empty and closed: a piped stdin would be appended to the prompt.
    expect(inv.input).toBeUndefined();
  });

  it('passes the model and extra args before the prompt, and resumes with the exec resume subcommand', () => {
    const inv = codexInvocation(
      { model: 'gpt-5-codex', maxTurns: 9, args: ['--add-dir', '/tmp/x'] },
      request({ resumeSession: 'th-1' }),
    );
    expect(inv.argv.slice(-7)).toEqual(['-m', 'gpt-5-codex', '--add-dir', '/tmp/x', 'resume', 'th-1', PROMPT]);
    // Codex has no turn limit on its command line.
    expect(inv.argv.join(' ')).not.toContain('9');
  });

  it('drops the sandbox when permissions are skipped', () => {
    const inv = codexInvocation({ skipPermissions: true }, request());
    expect(inv.argv).toContain('--dangerously-bypass-approvals-and-sandbox');
    expect(inv.argv).not.toContain('--sandbox');
  });

  it('reads a prompt too large for argv from stdin, as -', () => {
    const big = `You are ${'y'.repeat(150 * 1024)}`;
    const inv = codexInvocation({}, request({ prompt: big, resumeSession: 'th-2' }));
    expect(inv.argv.slice(-3)).toEqual(['resume', 'th-2', '-']);
    expect(inv.input).toBe(big);
  });
});

describe('codex output', () => {
  it.runIf(HAVE_SHARED)('conformance: reads the recording of Codex 0.169.0, whose error item is harmless', () => {
    const { activities, outcome } = parse(codexParser, shared('codex-0.169.0.exec.jsonl'));
    expect(outcome.error).toBeUndefined();
    expect(outcome.incomplete).toBeUndefined();
    expect(outcome.sessionId).toBe('01a1ff92-bb7a-7f80-ac79-0f2c21768790');
    expect(outcome.summary).toBe('Task T012 is implemented.');
    expect(outcome.usage).toEqual({ inputTokens: 3000, outputTokens: 150, cacheReadTokens: 0, turns: 1 });
    expect(kinds(activities, 'tool')).toEqual([
      "Bash mkdir -p agent-out && printf 'written by the scripted model for T012\\\\n' > agent-out/T012.txt",
      'Bash ls agent-out',
    ]);
    expect(kinds(activities, 'error')[0]).toMatch(/^Model metadata for `fake-model` not found/);
    expect(kinds(activities, 'text')).toEqual(['Task T012 is implemented.']);
  });

  it('reads commands, file changes, warnings, the final message, usage and the thread id', () => {
    const { activities, outcome } = parse(codexParser, fixture('codex.jsonl'));
    expect(activities).toEqual([
      { kind: 'error', text: expect.stringMatching(/^Model metadata for `local-model`/) },
      { kind: 'tool', text: 'Bash cat src/greet.ts' },
      { kind: 'tool', text: 'Write src/greet.ts (+1 more)' },
      { kind: 'tool', text: 'Bash npm test' },
      { kind: 'text', text: 'Added greet() in src/greet.ts and exported it from src/index.ts.' },
    ]);
    expect(outcome).toEqual({
      sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53',
      summary: 'Added greet() in src/greet.ts and exported it from src/index.ts.\nTests pass.',
      usage: { inputTokens: 24500, outputTokens: 820, cacheReadTokens: 18000, turns: 1 },
    });
  });

  it('fails on turn.failed, keeping the thread for a resume', () => {
    const { activities, outcome } = parse(codexParser, fixture('codex-error.jsonl'));
    expect(outcome.error).toBe(
      'stream disconnected before completion: Your input exceeds the context window of this model.',
    );
    expect(outcome.sessionId).toBe('0199a213-81c0-7800-8aa1-cccc2a035a54');
    expect(kinds(activities, 'error')).toHaveLength(2);
  });

  it('fails on a top-level error the turn did not get past, not on one it outlived', () => {
    const start = '{"type":"thread.started","thread_id":"t"}\n{"type":"turn.started"}';
    const error = '{"type":"error","message":"Reconnecting... 1/5"}';
    const done = '{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":2}}';
    expect(parse(codexParser, [start, error].join('\n')).outcome.error).toBe('Reconnecting... 1/5');
    expect(parse(codexParser, [start, error, done].join('\n')).outcome.error).toBeUndefined();
  });

  it("recorded: keeps an API's error body whole for the task's error, and shows it as one line", () => {
    // Codex 0.169.0 passing on a pretty-printed 400 body from the scripted model server.
    const { activities, outcome } = parse(codexParser, fixture('recorded-codex-api-error.jsonl'));
    expect(outcome.error).toMatch(/^\{\n {4}"error": \{\n/);
    expect(JSON.parse(outcome.error ?? '')).toMatchObject({ error: { type: 'invalid_request_error' } });
    const line = 'invalid_request_error: messages.2.content.0: unexpected tool_use_id found in tool_result blocks';
    expect(kinds(activities, 'error')).toEqual([line, line]);
    expect(describeTaskError({ reason: 'agent-error', message: outcome.error ?? '' })).toBe(
      `the agent reported an error: ${line}`,
    );
  });

  it('recorded: says what it was reconnecting after when the run is stopped meanwhile', () => {
    // Codex 0.169.0 retrying a 500 three times (request_max_retries = 3), cut where a timeout would.
    const lines = fixture('recorded-codex-reconnecting.jsonl').split('\n');
    const { outcome } = parse(codexParser, lines.slice(0, 4).join('\n'));
    expect(outcome.retrying).toBe(
      'Reconnecting... 2/3 (We’re currently experiencing high demand, which may cause temporary errors.)',
    );
    const after =
      '{"type":"item.started","item":{"id":"i","type":"command_execution","command":"ls","status":"in_progress"}}';
    expect(parse(codexParser, [...lines.slice(0, 4), after].join('\n')).outcome.retrying).toBeUndefined();
  });

  it('does not count a run without a completed turn as done, and ignores unknown events', () => {
    const text = '{"type":"thread.started","thread_id":"t"}\n{"type":"turn.started"}\n{"type":"something.new","x":1}';
    expect(parse(codexParser, text).outcome.incomplete).toBe('Codex ended without completing its turn');
  });
});
