import { describe, expect, it } from 'vitest';
import { nextWallTime, usageLimitIn } from '../../src/agents/usage-limit.js';

// 10:00 UTC: 19:00 in Tokyo, 13:00 in Moscow, 05:00 in New York (EST).
const NOW = Date.parse('2026-11-22T10:00:00Z');
const at = (text: string) => {
  const r = usageLimitIn(text, NOW);
  return r?.resetsAt !== undefined ? new Date(r.resetsAt).toISOString() : r;
};

describe('usageLimitIn', () => {
  it("reads Claude Code's limit messages and when they reset", () => {
    expect(at('Claude AI usage limit reached|1764000000')).toBe(new Date(1764000000 * 1000).toISOString());
    // 03:30 in Moscow (UTC+3) is next at 00:30 UTC tomorrow.
    expect(at("You've hit your limit · resets 3:30am (Europe/Moscow)")).toBe('2026-11-23T00:30:00.000Z');
    // 15:50 in Tokyo (UTC+9) has passed today (it is 19:00 there): tomorrow, 06:50 UTC.
    expect(at('You’ve hit your session limit · resets 3:50pm (Asia/Tokyo)')).toBe('2026-11-23T06:50:00.000Z');
    // 2pm in New York (UTC-5 in November) is later today.
    expect(at('Claude usage limit reached. Your limit will reset at 2pm (America/New_York).')).toBe(
      '2026-11-22T19:00:00.000Z',
    );
    expect(at('Opus weekly limit reached ∙ resets Nov 25, 1pm (UTC)')).toBe('2026-11-25T13:00:00.000Z');
  });

  it("reads Codex's limit messages, relative and absolute", () => {
    expect(
      at(
        "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 days 17 hours 14 minutes.",
      ),
    ).toBe(new Date(NOW + ((2 * 24 + 17) * 60 + 14) * 60_000).toISOString());
    expect(
      at(
        '{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_at":1775317531,"resets_in_seconds":602705}}',
      ),
    ).toBe(new Date(1775317531 * 1000).toISOString());
    expect(at('{"type":"usage_limit_reached","resets_in_seconds":90}')).toBe(new Date(NOW + 90_000).toISOString());
    const absolute = usageLimitIn(
      "You've hit your usage limit. Upgrade to Plus to continue using Codex, or try again at Jul 5th, 2027 8:19 PM.",
      NOW,
    );
    expect(absolute?.resetsAt).toBe(new Date(2027, 6, 5, 20, 19).getTime());
  });

  it("reads Gemini CLI's daily quota, which resets at midnight Pacific time", () => {
    // 10:00 UTC is 02:00 in Los Angeles (PST, UTC-8): the next midnight there is 08:00 UTC tomorrow.
    expect(at('[API Error: You have exhausted your daily quota on this model.]')).toBe('2026-11-23T08:00:00.000Z');
    expect(at('You have reached your daily gemini-2.5-pro quota limit.')).toBe('2026-11-23T08:00:00.000Z');
    // A per-minute quota is a rate limit, retried after seconds (transient.ts), not a usage limit.
    expect(usageLimitIn('RESOURCE_EXHAUSTED: Quota exceeded for requests per minute', NOW)).toBeUndefined();
  });

  it('knows a limit whose reset it cannot read', () => {
    expect(usageLimitIn('Usage limit reached', NOW)).toEqual({ message: 'Usage limit reached' });
    // Another language's date: the limit, without a time.
    expect(
      usageLimitIn(
        "You've hit your usage limit. Upgrade your plan to continue, or try again at 10 de jul. de 2026, 11:52.",
        NOW,
      )?.resetsAt,
    ).toBeUndefined();
  });

  it('is not fooled by an agent talking about limits, or by rate limits', () => {
    expect(usageLimitIn('Implemented the usage limit check in src/limits.ts', NOW)).toBeUndefined();
    expect(usageLimitIn('API Error: 429 rate limit reached, retrying', NOW)).toBeUndefined();
    // The error is at the end of the output: a limit quoted long before it is not the failure.
    const long = ['Usage limit reached', ...Array.from({ length: 20 }, (_, i) => `line ${i}`), 'error TS2322'].join(
      '\n',
    );
    expect(usageLimitIn(long, NOW)).toBeUndefined();
  });

  it('is not fooled by the words quoted in a failing test, or said in a sentence', () => {
    for (const said of [
      "FAIL test/banner.test.ts > shows 'You've hit your limit' when the API says so",
      "AssertionError: expected 'Usage limit reached' to equal 'Usage limit exceeded'",
      'Expected: "You\'ve hit your usage limit"',
      'The new tests cover usage limits reached by free accounts',
      '  - expected `usage_limit_reached`, got `rate_limited`',
    ]) {
      expect(usageLimitIn(said, NOW), said).toBeUndefined();
    }
    // The message itself, after the symbols, stamps and labels the CLIs put before it, or as JSON's value.
    for (const said of [
      "ERROR: You've hit your usage limit. Try again later.",
      "[2026-11-22T10:00:00] ERROR You've hit your usage limit.",
      '  ⎿  You’ve hit your limit · resets 3pm',
      'error_during_execution: Claude AI usage limit reached|1764000000',
      '{"type":"error","message":"You\'ve hit your usage limit."}',
      '{"detail":"{\\"type\\":\\"usage_limit_reached\\"}"}',
      'TerminalQuotaError: You have exhausted your daily quota on this model.',
    ]) {
      expect(usageLimitIn(said, NOW), said).toBeDefined();
    }
  });

  it("reads Codex's reset later today, which it gives as a time of day on this machine's clock", () => {
    const later = usageLimitIn("ERROR: You've hit your usage limit. Try again at 8:05 PM.", NOW);
    expect(later?.resetsAt).toBe(nextWallTime(NOW, { hour: 20, minute: 5 }));
    expect(usageLimitIn("You've hit your usage limit. Try again at 12:30 AM.", NOW)?.resetsAt).toBe(
      nextWallTime(NOW, { hour: 0, minute: 30 }),
    );
  });

  it('takes the reset from the line after the limit when the message is split', () => {
    expect(at("You've hit your usage limit.\ntry again in 45 seconds")).toBe(new Date(NOW + 45_000).toISOString());
  });
});

describe('nextWallTime', () => {
  it('crosses a daylight-saving change on the right side', () => {
    // Berlin leaves summer time on 2026-10-25 at 03:00; 09:00 that day is UTC+1.
    const before = Date.parse('2026-10-24T22:00:00Z');
    expect(new Date(nextWallTime(before, { hour: 9, minute: 0 }, 'Europe/Berlin')).toISOString()).toBe(
      '2026-10-25T08:00:00.000Z',
    );
  });

  it("falls back to the machine's zone for a zone it does not know", () => {
    const r = nextWallTime(NOW, { hour: 23, minute: 0 }, 'Not/AZone');
    expect(r).toBe(nextWallTime(NOW, { hour: 23, minute: 0 }));
    expect(r).toBeGreaterThan(NOW);
  });

  it('takes a date long past as next year', () => {
    expect(new Date(nextWallTime(NOW, { month: 0, day: 3, hour: 13, minute: 0 }, 'UTC')).toISOString()).toBe(
      '2027-01-03T13:00:00.000Z',
    );
  });
});
