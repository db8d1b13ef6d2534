import { describe, expect, it } from 'vitest';
import { authFailureIn, authFailureOf } from '../../src/agents/auth-failure.js';
import { claudeParser } from '../../src/agents/claude.js';
import { codexParser } from '../../src/agents/codex.js';
import { fixture, parse } from './helpers.js';

/*
 * An agent that cannot authenticate is read from its own final error only, and only where the words
 * are the message: a task's test run that prints "401 Unauthorized" is not the agent's failure.
 */

/** The error the adapter makes of a recording of the real CLI, as the runner gets it. */
const parsedError = (factory: typeof claudeParser, name: string): string => {
  const { error } = parse(factory, fixture(name)).outcome;
  if (error === undefined) throw new Error(`${name}: no error parsed`);
  return error;
};

describe('authFailureIn', () => {
  it("reads the real CLIs' final errors (recorded offline against a server answering 401, or with no key)", () => {
    expect(authFailureIn(parsedError(claudeParser, 'recorded-claude-invalid-key.jsonl'))).toEqual({
      message: 'Invalid API key · Fix external API key',
    });
    expect(authFailureIn(parsedError(claudeParser, 'recorded-claude-not-logged-in.jsonl'))).toEqual({
      message: 'Not logged in · Please run /login',
    });
    expect(authFailureIn(parsedError(codexParser, 'recorded-codex-invalid-key.jsonl'))?.message).toMatch(
      /^unexpected status 401 Unauthorized: invalid x-api-key/,
    );
    expect(authFailureIn(parsedError(codexParser, 'recorded-codex-missing-key.jsonl'))).toEqual({
      message: 'Missing environment variable: `SCRIPTED_API_KEY`.',
    });
  });

  it.each([
    // Claude Code's other words for it (from its own strings), and an API's body passed on as it came.
    'Invalid API key · Please run /login',
    'OAuth token revoked · Please run /login',
    'Please run /login · API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"OAuth token has expired. Please obtain a new token or refresh your existing token."}}',
    'Failed to authenticate. API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}',
    'Your organization has disabled API key authentication · Unset ANTHROPIC_API_KEY to use your claude.ai account instead',
    // Codex, with the OpenAI key or logged in with ChatGPT.
    'Missing environment variable: `OPENAI_API_KEY`.',
    'unexpected status 401 Unauthorized: {"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","code":"invalid_api_key"}}',
    'Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.',
    // aider, through litellm.
    'litellm.AuthenticationError: AnthropicException - {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}',
    'Error: Invalid API key',
  ])('a failure: %s', (text) => {
    expect(authFailureIn(text)).toBeDefined();
  });

  it('gives an API body as its type and message, on one line', () => {
    expect(
      authFailureIn(
        'API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}',
      ),
    ).toEqual({ message: 'API Error: 401 authentication_error: invalid x-api-key' });
  });

  it.each([
    // A task's own test run and talk, quoted in its last words.
    '✗ returns 401 Unauthorized for a bad token (12 ms)',
    'AssertionError: expected 200 to equal 401 Unauthorized',
    "The login page now shows 'Invalid API key' when the key is wrong.",
    'logger.warn("user is not logged in, redirecting")',
    'Implemented the handler: it answers "Unauthorized" with status 401.',
    'expected status 401 but got 200',
    // Claude Code's words for a network blip, which it says may be temporary.
    'Authentication error · This may be a temporary network issue, please try again',
    // Other failures.
    'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
    'unexpected status 403 Forbidden: model not allowed',
  ])('not a failure: %s', (text) => {
    expect(authFailureIn(text)).toBeUndefined();
  });
});

describe('authFailureOf', () => {
  it("reads the adapter's parsed error, or the last stderr line that names an error, never the output", () => {
    expect(authFailureOf({ reason: 'agent-error', message: 'Not logged in · Please run /login' })).toBeDefined();
    expect(
      authFailureOf({
        reason: 'agent-exit',
        exitCode: 1,
        signal: null,
        outputTail: 'Error: Invalid API key',
        said: 'Error: Invalid API key',
      }),
    ).toBeDefined();
    // The same words in the output of an agent that did not say them as its error.
    expect(
      authFailureOf({ reason: 'agent-exit', exitCode: 1, signal: null, outputTail: 'Error: Invalid API key' }),
    ).toBeUndefined();
    // Timed out while Claude Code retried a 401 (it does, for minutes): it got nowhere for that.
    expect(
      authFailureOf({
        reason: 'timeout',
        timeoutMs: 1000,
        retrying: 'API error 401 (authentication_failed), retry 3 of 10',
      }),
    ).toEqual({ message: 'API error 401 (authentication_failed), retry 3 of 10' });
    expect(
      authFailureOf({ reason: 'timeout', timeoutMs: 1000, retrying: 'API error 529 (overloaded), retry 3 of 10' }),
    ).toBeUndefined();
  });
});
