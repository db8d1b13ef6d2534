import { describe, expect, it } from 'vitest';
import { readableError } from '../../src/util/readable-error.js';

describe('readableError', () => {
  it("turns OpenAI's pretty-printed error body, as Codex passes it on, into its type and message", () => {
    const body = JSON.stringify(
      {
        error: {
          message: 'messages.2: unexpected tool_use_id',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
      null,
      4,
    );
    expect(body.split('\n')[0]).toBe('{');
    expect(readableError(body)).toBe('invalid_request_error: messages.2: unexpected tool_use_id');
  });

  it("keeps the agent's own words before an Anthropic error body", () => {
    expect(
      readableError('API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'),
    ).toBe('API Error: 529 overloaded_error: Overloaded');
  });

  it('names the code where the body has no type, and does not repeat what the message says', () => {
    expect(readableError('{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}')).toBe(
      'invalid_api_key: Incorrect API key provided',
    );
    expect(readableError('{"error":{"message":"rate_limit_exceeded: slow down","type":"rate_limit_exceeded"}}')).toBe(
      'rate_limit_exceeded: slow down',
    );
  });

  it('leaves anything else as its first line that is not blank', () => {
    expect(readableError('\n  Invalid API key · Fix external API key\nmore')).toBe(
      'Invalid API key · Fix external API key',
    );
    expect(readableError('expected { but found }')).toBe('expected { but found }');
    expect(readableError('{"type":"result","is_error":true}')).toBe('{"type":"result","is_error":true}');
    expect(readableError('')).toBe('');
  });
});
