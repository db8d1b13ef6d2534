import { describe, expect, it } from 'vitest';
import { geminiInvocation, geminiParser } from '../../src/agents/gemini.js';
import { fixture, PROMPT, parse, request } from './helpers.js';

describe('gemini argv', () => {
  it('runs -p with stream-json in yolo approval mode, trusting the workspace through its variable', () => {
    const inv = geminiInvocation({}, request());
    expect(inv.argv).toEqual(['gemini', '-p', PROMPT, '--output-format', 'stream-json', '--approval-mode', 'yolo']);
    expect(inv.env).toEqual({ GEMINI_CLI_TRUST_WORKSPACE: 'true' });
    expect(inv.input).toBeUndefined();
  });

  it('passes model and resume, appends extra args, and has no turn limit flag', () => {
    const inv = geminiInvocation(
      { model: 'gemini-2.5-flash', maxTurns: 5, args: ['--include-directories', '../lib'] },
      request({ resumeSession: 'c3a1' }),
    );
    expect(inv.argv.slice(7)).toEqual([
      '-m',
      'gemini-2.5-flash',
      '--resume',
      'c3a1',
      '--include-directories',
      '../lib',
    ]);
  });

  it('pipes a prompt too large for argv, behind a one-line -p', () => {
    const big = `You are ${'z'.repeat(120 * 1024)}`;
    const inv = geminiInvocation({}, request({ prompt: big }));
    expect(inv.argv[2]).toBe('Do the task described in this message.');
    expect(inv.input).toBe(big);
  });
});

describe('gemini output', () => {
  it('joins delta messages, reads tools, tool errors, warnings, stats and the session', () => {
    const { activities, outcome } = parse(geminiParser, fixture('gemini.jsonl'));
    expect(activities).toEqual([
      { kind: 'text', text: "I'll create the greeting module." },
      { kind: 'tool', text: 'Write src/greet.ts' },
      { kind: 'tool', text: 'Bash npm test' },
      { kind: 'error', text: 'Command exited with code 1: 1 failed' },
      { kind: 'error', text: 'Loop detection: repeated tool call' },
      { kind: 'text', text: 'Created src/greet.ts.' },
    ]);
    expect(outcome).toEqual({
      sessionId: 'c3a1f0de-7b21-4c36-9f61-2d0e4a5b6c7d',
      summary: 'Created src/greet.ts.\nOne test still fails; see above.',
      usage: { inputTokens: 12800, outputTokens: 450, cacheReadTokens: 9000 },
    });
  });

  it('fails when the result says error, with its message', () => {
    const { outcome } = parse(geminiParser, fixture('gemini-error.jsonl'));
    expect(outcome.error).toBe("Quota exceeded for quota metric 'Gemini 2.5 Pro Requests' and limit 'per day'.");
    expect(outcome.sessionId).toBe('d4b2e1ef-8c32-4d47-a072-3e1f5b6c7d8e');
  });

  it('does not count a run without a result as done, and passes plain lines on as text', () => {
    const { activities, outcome } = parse(geminiParser, 'Loaded cached credentials.\n{"type":"init","session_id":"s"}');
    expect(activities).toEqual([{ kind: 'text', text: 'Loaded cached credentials.' }]);
    expect(outcome.incomplete).toBe('Gemini CLI ended without a result event');
  });
});
