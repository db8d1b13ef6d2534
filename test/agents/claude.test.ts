import { describe, expect, it } from 'vitest';
import { CLAUDE_ALLOWED_TOOLS, claudeInvocation, claudeParser } from '../../src/agents/claude.js';
import { fixture, HAVE_SHARED, kinds, PROMPT, parse, request, shared } from './helpers.js';

describe('claude argv', () => {
  it('runs headless with stream-json, accepting edits and the allowed tools, the prompt after -p', () => {
    const inv = claudeInvocation({}, request(), 'claude', false);
    expect(inv.argv).toEqual([
      'claude',
      '-p',
      PROMPT,
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'acceptEdits',
      '--allowedTools',
      'Bash,Edit,Write,Read,Glob,Grep,MultiEdit,TodoWrite',
    ]);
    expect(CLAUDE_ALLOWED_TOOLS).toContain('Bash');
    expect(inv.input).toBeUndefined();
    expect(inv.env).toBeUndefined();
  });

  it('passes model, max turns and resume, and appends the extra args last', () => {
    const inv = claudeInvocation(
      { model: 'sonnet', maxTurns: 30, args: ['--add-dir', '../shared'] },
      request({ resumeSession: 'sess-1' }),
      '/opt/claude',
      false,
    );
    expect(inv.argv.slice(0, 3)).toEqual(['/opt/claude', '-p', PROMPT]);
    const flags = inv.argv.slice(3).join(' ');
    expect(flags).toContain('--model sonnet');
    expect(flags).toContain('--max-turns 30');
    expect(flags).toContain('--resume sess-1');
    expect(inv.argv.slice(-2)).toEqual(['--add-dir', '../shared']);
  });

  it('skips permissions when asked, and says it is a sandbox only when running as root', () => {
    const asUser = claudeInvocation({ skipPermissions: true }, request(), 'claude', false);
    expect(asUser.argv).toContain('--dangerously-skip-permissions');
    expect(asUser.argv).not.toContain('--permission-mode');
    expect(asUser.argv).not.toContain('--allowedTools');
    expect(asUser.env).toBeUndefined();
    const asRoot = claudeInvocation({ skipPermissions: true }, request(), 'claude', true);
    expect(asRoot.env).toEqual({ IS_SANDBOX: '1' });
    // Root without skipPermissions does not need it.
    expect(claudeInvocation({}, request(), 'claude', true).env).toBeUndefined();
  });

  it('sends a prompt too large for argv on stdin instead', () => {
    const big = `You are ${'x'.repeat(200 * 1024)}`;
    const inv = claudeInvocation({}, request({ prompt: big }), 'claude', false);
    expect(inv.argv).not.toContain(big);
    expect(inv.argv.slice(0, 3)).toEqual(['claude', '-p', '--output-format']);
    expect(inv.input).toBe(big);
  });
});

describe('claude output', () => {
  it.runIf(HAVE_SHARED)('conformance: reads the recording of Claude Code 2.1.197', () => {
    const { activities, outcome } = parse(claudeParser, shared('claude-code-2.1.197.stream.jsonl'));
    expect(outcome.error).toBeUndefined();
    expect(outcome.incomplete).toBeUndefined();
    expect(outcome.sessionId).toBe('470c2e90-6d14-4edc-994b-473f35a38714');
    expect(outcome.summary).toBe('Task T007. is implemented.');
    expect(outcome.usage).toEqual({
      inputTokens: 3000,
      outputTokens: 150,
      cacheReadTokens: 0,
      costUsd: 0.018750000000000003,
      turns: 3,
    });
    expect(kinds(activities, 'tool')).toEqual(['Write agent-out/T007..txt', 'Bash ls agent-out']);
    expect(kinds(activities, 'text')).toEqual(['Task T007. is implemented.']);
    expect(kinds(activities, 'error')).toEqual([]);
  });

  it('reads text, tool use, tool errors, usage with cache reads, cost, turns and the session', () => {
    const { activities, outcome } = parse(claudeParser, fixture('claude.jsonl'));
    expect(activities).toEqual([
      { kind: 'text', text: "I'll add the greeting function." },
      { kind: 'tool', text: 'Read src/greet.ts' },
      { kind: 'error', text: 'File does not exist.' },
      { kind: 'tool', text: 'Write src/greet.ts' },
      { kind: 'tool', text: 'Bash npm test' },
      { kind: 'text', text: 'Some plugin printed a plain line to stdout' },
      { kind: 'text', text: 'Added greet() in src/greet.ts; the tests pass.' },
    ]);
    expect(outcome).toEqual({
      sessionId: '5d1c9f7e-2b1a-4c7e-9a51-0f3e6c2d8b10',
      summary: 'Added greet() in src/greet.ts; the tests pass.',
      usage: { inputTokens: 960 + 9000 + 2000, outputTokens: 150, cacheReadTokens: 9000, costUsd: 0.0421, turns: 4 },
    });
  });

  it('fails on is_error even when the subtype says success (an API error)', () => {
    const { outcome } = parse(claudeParser, fixture('claude-error.jsonl'));
    expect(outcome.error).toMatch(/^API Error: 529/);
    expect(outcome.sessionId).toBe('9a8b7c6d-1111-4222-8333-444455556666');
    expect(outcome.usage?.costUsd).toBe(0.0003);
  });

  it('recorded: an API error after some work is the failure, with what the run cost until then', () => {
    // Claude Code 2.1.197: a Write, then the scripted model server answered 400.
    const { outcome } = parse(claudeParser, fixture('recorded-claude-api-error.jsonl'));
    expect(outcome).toEqual({
      sessionId: 'e0c578ce-3d84-4603-b71f-c54f6e07f59a',
      summary: 'API Error: 400 messages.2.content.0: unexpected tool_use_id found in tool_result blocks',
      error: 'API Error: 400 messages.2.content.0: unexpected tool_use_id found in tool_result blocks',
      usage: { inputTokens: 1000, outputTokens: 50, cacheReadTokens: 0, costUsd: 0.00625, turns: 2 },
    });
  });

  it('recorded: says which API error it is retrying, as it goes and when the run is stopped meanwhile', () => {
    // Claude Code 2.1.197 retrying a 500 until taskwave stopped it (SIGINT) at the task's timeout.
    const { activities, outcome } = parse(claudeParser, fixture('recorded-claude-api-retry.jsonl'));
    expect(kinds(activities, 'error')).toEqual(
      [1, 2, 3, 4].map((n) => `API error 500 (server_error), retry ${n} of 10`),
    );
    expect(outcome.retrying).toBe('API error 500 (server_error), retry 4 of 10');
    // Claude Code 2.1.197 when the connection is refused: no HTTP status.
    const refused =
      '{"type":"system","subtype":"api_retry","attempt":2,"max_retries":10,"retry_delay_ms":1003,"error_status":null,"error":"unknown","session_id":"s"}';
    expect(parse(claudeParser, refused).outcome.retrying).toBe('a failed API call (unknown), retry 2 of 10');
    // A model call that answers (the other recording's Write) ends the retrying.
    const retried = fixture('recorded-claude-api-retry.jsonl').split('\n').slice(0, 3);
    const answer = fixture('recorded-claude-api-error.jsonl').split('\n')[1] ?? '';
    expect(parse(claudeParser, [...retried, answer].join('\n')).outcome.retrying).toBeUndefined();
  });

  it('names the subtype of other failures, and fails a run with no result event', () => {
    const maxTurns = '{"type":"result","subtype":"error_max_turns","is_error":true,"num_turns":30,"session_id":"s"}';
    expect(parse(claudeParser, maxTurns).outcome.error).toBe('Claude Code reported error_max_turns');
    const noResult = fixture('claude.jsonl').split('\n').slice(0, 3).join('\n');
    const { outcome } = parse(claudeParser, noResult);
    expect(outcome.incomplete).toBe('Claude Code ended without a result event');
    expect(outcome.sessionId).toBe('5d1c9f7e-2b1a-4c7e-9a51-0f3e6c2d8b10');
  });
});
