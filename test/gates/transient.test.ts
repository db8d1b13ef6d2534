import { describe, expect, it } from 'vitest';
import { backoffMs, isTransient } from '../../src/gates/transient.js';

describe('isTransient', () => {
  const transient = [
    'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
    'Error: 429 Too Many Requests',
    'HTTP/1.1 503 Service Unavailable',
    'upstream returned 502 Bad Gateway',
    'status code 504',
    'unexpected status 500 Internal Server Error',
    'stream error: stream disconnected before completion: Rate limit reached for gpt-5 in organization org-x on tokens per min',
    'openai.RateLimitError: Error code: 429',
    'error: {"code":"rate_limit_exceeded"}',
    '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}',
    'Error: read ECONNRESET',
    'connect ETIMEDOUT 104.18.0.1:443',
    'FetchError: request to https://api.anthropic.com failed, reason: socket hang up',
    'Overloaded',
    'The server is currently overloaded. Please try again later.',
    'getaddrinfo EAI_AGAIN api.openai.com',
    'You exceeded your current rate limit.',
    // Codex 0.169 on a 500, on an overloaded model, and on a connection that dropped mid-answer.
    'We’re currently experiencing high demand, which may cause temporary errors.',
    '{"type":"turn.failed","error":{"message":"We’re currently experiencing high demand, which may cause temporary errors."}}',
    'Selected model is at capacity. Please try a different model.',
    'stream disconnected before completion: error sending request',
    'stream disconnected before completion: idle timeout waiting for SSE',
  ];
  for (const text of transient) {
    it(`retries on: ${text.slice(0, 60)}`, () => {
      expect(isTransient(`some earlier output\n${text}\n`, { reason: 'agent-exit', exitCode: 1 })).toBe(true);
    });
  }

  const ordinary = [
    'Error: Cannot find module ./foo',
    'FAIL src/api.test.ts > returns 502 when upstream is down: expected 200 to be 502',
    'I implemented the rate limit middleware in src/middleware/rate-limit.ts.',
    'Added a rate_limit option to the config.',
    "error: call of overloaded 'max(int, long)' is ambiguous",
    'Overloaded functions are now documented.',
    'line 429: unexpected token',
    'Listening on port 5000',
    'The agent stopped: max turns reached',
    // Codex when the model stopped on purpose: running it again ends the same way.
    'stream disconnected before completion: Incomplete response returned, reason: content_filter',
    'stream disconnected before completion: Your input exceeds the context window of this model.',
    'Quota exceeded. Check your plan and billing details.',
  ];
  for (const text of ordinary) {
    it(`does not retry on: ${text.slice(0, 60)}`, () => {
      expect(isTransient(text, { reason: 'agent-exit', exitCode: 1 })).toBe(false);
    });
  }

  it('counts crashes by signal or exit code', () => {
    expect(isTransient('', { signal: 'SIGSEGV', exitCode: null })).toBe(true);
    expect(isTransient('', { signal: 'SIGBUS' })).toBe(true);
    expect(isTransient('', { signal: 'SIGABRT' })).toBe(true);
    expect(isTransient('', { exitCode: 139 })).toBe(true);
    expect(isTransient('', { exitCode: 134 })).toBe(true);
    expect(isTransient('', { exitCode: 1 })).toBe(false);
    expect(isTransient('', { signal: 'SIGTERM' })).toBe(false);
    expect(isTransient('', {})).toBe(false);
  });

  it('never retries a timeout or a cancel, whatever the output says', () => {
    expect(isTransient('Error: 429 Too Many Requests', { reason: 'timeout' })).toBe(false);
    expect(isTransient('ECONNRESET', { reason: 'cancelled', signal: 'SIGSEGV' })).toBe(false);
  });
});

describe('backoffMs', () => {
  it('doubles the ceiling each retry up to the cap, with full jitter', () => {
    const top = () => 0.999999;
    expect(backoffMs(1, 2000, 60_000, top)).toBe(1999);
    expect(backoffMs(2, 2000, 60_000, top)).toBe(3999);
    expect(backoffMs(3, 2000, 60_000, top)).toBe(7999);
    expect(backoffMs(6, 2000, 60_000, top)).toBe(59_999);
    expect(backoffMs(500, 2000, 60_000, top)).toBe(59_999);
    expect(backoffMs(3, 2000, 60_000, () => 0.5)).toBe(4000);
    expect(backoffMs(3, 2000, 60_000, () => 0)).toBe(0);
  });

  it('uses the defaults and Math.random', () => {
    for (let i = 0; i < 50; i++) {
      const ms = backoffMs(2);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(4000);
    }
    expect(backoffMs(0, 1000, 60_000, () => 0.5)).toBe(500);
  });
});
