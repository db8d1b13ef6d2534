import { describe, expect, it } from 'vitest';
import { aiderInvocation, aiderParser } from '../../src/agents/aider.js';
import { fixture, PROMPT, parse, request } from './helpers.js';

describe('aider argv', () => {
  it('sends one message, says yes to everything, commits nothing and keeps its files out of the workspace', () => {
    const inv = aiderInvocation({}, request());
    expect(inv.argv).toEqual([
      'aider',
      '--message',
      PROMPT,
      '--yes-always',
      '--no-auto-commits',
      '--no-dirty-commits',
      '--no-gitignore',
      '--no-pretty',
      '--no-stream',
      '--no-check-update',
      '--chat-history-file',
      '/runs/r1/prompts/T1.md.aider.chat.history.md',
      '--input-history-file',
      '/runs/r1/prompts/T1.md.aider.input.history',
    ]);
    expect(inv.input).toBeUndefined();
  });

  it('passes the model and extra args, and ignores resume and turn limits it has no flag for', () => {
    const inv = aiderInvocation(
      { model: 'sonnet', maxTurns: 4, args: ['--map-tokens', '0'] },
      request({ resumeSession: 's' }),
    );
    expect(inv.argv.slice(-4)).toEqual(['--model', 'sonnet', '--map-tokens', '0']);
    expect(inv.argv).not.toContain('s');
  });

  it('reads a prompt too large for argv from the prompt file', () => {
    const inv = aiderInvocation({}, request({ prompt: `You are ${'a'.repeat(110 * 1024)}` }));
    expect(inv.argv.slice(0, 3)).toEqual(['aider', '--message-file', '/runs/r1/prompts/T1.md']);
  });
});

describe('aider output', () => {
  it('reads edits, text, tokens (rounded as printed), cache hits, the session cost and model calls', () => {
    const { activities, outcome } = parse(aiderParser, fixture('aider.txt'));
    expect(activities).toContainEqual({ kind: 'tool', text: 'Edit src/greet.ts' });
    expect(activities).toContainEqual({ kind: 'text', text: "I'll add the greeting module." });
    expect(outcome).toEqual({
      summary: 'Added greet() in src/greet.ts.',
      usage: { inputTokens: 4200 + 5100, outputTokens: 200, cacheReadTokens: 1100 + 3300, costUsd: 0.03, turns: 2 },
    });
  });

  it('fails when a model error left no model call completed (aider still exits 0)', () => {
    const { activities, outcome } = parse(aiderParser, fixture('aider-error.txt'));
    expect(outcome.error).toMatch(/^litellm\.AuthenticationError: AnthropicException/);
    expect(outcome.usage).toBeUndefined();
    expect(activities.filter((a) => a.kind === 'error')).toHaveLength(1);
  });
});
