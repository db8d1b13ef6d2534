import { describe, expect, it } from 'vitest';
import { opencodeInvocation, opencodeParser } from '../../src/agents/opencode.js';
import { fixture, PROMPT, parse, request } from './helpers.js';

describe('opencode argv', () => {
  it('runs `run --format json` with the prompt on stdin', () => {
    const inv = opencodeInvocation({}, request());
    expect(inv.argv).toEqual(['opencode', 'run', '--format', 'json']);
    expect(inv.input).toBe(PROMPT);
  });

  it('passes the model, --auto when permissions are skipped, the session to continue, then extra args', () => {
    const inv = opencodeInvocation(
      { model: 'anthropic/claude-sonnet-4-5', skipPermissions: true, maxTurns: 3, args: ['--agent', 'build'] },
      request({ resumeSession: 'ses_1' }),
    );
    expect(inv.argv.slice(4)).toEqual([
      '-m',
      'anthropic/claude-sonnet-4-5',
      '--auto',
      '--session',
      'ses_1',
      '--agent',
      'build',
    ]);
  });
});

describe('opencode output', () => {
  it('reads text, tools, tool errors, per-step tokens and cost, and the session', () => {
    const { activities, outcome } = parse(opencodeParser, fixture('opencode.jsonl'));
    expect(activities).toEqual([
      { kind: 'text', text: "I'll add the greeting module and run the tests." },
      { kind: 'tool', text: 'Write src/greet.ts' },
      { kind: 'tool', text: 'Bash npm test' },
      { kind: 'error', text: 'Command failed with exit code 1' },
      { kind: 'text', text: 'Added src/greet.ts.' },
    ]);
    expect(outcome).toEqual({
      sessionId: 'ses_5f1a2b3c4d5eXyZ',
      summary: 'Added src/greet.ts.\nThe failing test is unrelated.',
      usage: {
        inputTokens: 1200 + 8000 + 500 + 100 + 9000,
        outputTokens: 300 + 50 + 40,
        cacheReadTokens: 17000,
        costUsd: 0.0125 + 0.0031,
        turns: 2,
      },
    });
  });

  it('fails on an error event, and shows rejected permissions', () => {
    const { activities, outcome } = parse(opencodeParser, fixture('opencode-error.jsonl'));
    expect(outcome.error).toBe('Invalid API key');
    expect(outcome.sessionId).toBe('ses_6a2b3c4d5e6fAbC');
    expect(activities).toContainEqual({ kind: 'error', text: 'permission rejected: external_directory' });
  });
});
