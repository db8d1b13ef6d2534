import { describe, expect, it } from 'vitest';
import { cursorInvocation, cursorParser } from '../../src/agents/cursor.js';
import { fixture, PROMPT, parse, request } from './helpers.js';

describe('cursor argv', () => {
  it('runs print mode with stream-json, allowed to write files in a trusted workspace', () => {
    const inv = cursorInvocation({}, request());
    expect(inv.argv).toEqual(['cursor-agent', '-p', PROMPT, '--output-format', 'stream-json', '--force', '--trust']);
    expect(inv.input).toBeUndefined();
  });

  it('passes model and resume, then extra args', () => {
    const inv = cursorInvocation(
      { model: 'gpt-5', args: ['--sandbox', 'disabled'] },
      request({ resumeSession: 'chat-1' }),
    );
    expect(inv.argv.slice(7)).toEqual(['--model', 'gpt-5', '--resume', 'chat-1', '--sandbox', 'disabled']);
  });

  it('pipes a prompt too large for argv', () => {
    const big = `You are ${'c'.repeat(101 * 1024)}`;
    const inv = cursorInvocation({}, request({ prompt: big }));
    expect(inv.argv[2]).toBe('Do the task described in this message.');
    expect(inv.input).toBe(big);
  });
});

describe('cursor output', () => {
  it('reads messages, tool calls, failed tool calls, the result and the session', () => {
    const { activities, outcome } = parse(cursorParser, fixture('cursor.jsonl'));
    expect(activities).toEqual([
      { kind: 'text', text: "I'll create the greeting module." },
      { kind: 'tool', text: 'Write src/greet.ts' },
      { kind: 'tool', text: 'Bash npm test' },
      { kind: 'error', text: 'Bash npm test: Command timed out' },
      { kind: 'text', text: 'Created src/greet.ts; the test run timed out.' },
    ]);
    expect(outcome).toEqual({
      sessionId: '7e0c5b1a-3f2d-4e6c-8a9b-1c2d3e4f5a6b',
      summary: 'Created src/greet.ts; the test run timed out.',
    });
  });

  it('fails on is_error, and on a run that ended without a result', () => {
    const { outcome } = parse(cursorParser, fixture('cursor-error.jsonl'));
    expect(outcome.error).toBe('Usage limit reached for GPT-5. Switch models or try again later.');
    expect(outcome.sessionId).toBe('8f1d6c2b-4a3e-4f7d-9b0c-2d3e4f5a6b7c');
    const cut = fixture('cursor.jsonl').split('\n').slice(0, 4).join('\n');
    expect(parse(cursorParser, cut).outcome.incomplete).toBe('Cursor agent ended without a result event');
  });

  it('reads token counts when the result carries them', () => {
    const line =
      '{"type":"result","is_error":false,"result":"ok","session_id":"s","usage":{"inputTokens":10,"outputTokens":2}}';
    expect(parse(cursorParser, line).outcome.usage).toEqual({ inputTokens: 10, outputTokens: 2 });
  });
});
