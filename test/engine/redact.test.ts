import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/util/redact.js';

describe('makeRedactor', () => {
  it('hides the values of secret-looking variables, longest first', () => {
    const redact = makeRedactor(
      { ANTHROPIC_API_KEY: 'sk-ant-123456789', HOME: '/home/someone-long', SHORT_TOKEN: 'abc' },
      { GITHUB_TOKEN: 'ghp_abcdefgh', DB_PASSWORD: 'ghp_abcdefgh-and-more' },
    );
    expect(redact('key=sk-ant-123456789 twice sk-ant-123456789')).toBe('key=*** twice ***');
    expect(redact('pw ghp_abcdefgh-and-more token ghp_abcdefgh')).toBe('pw *** token ***');
    expect(redact('home is /home/someone-long and abc stays')).toBe('home is /home/someone-long and abc stays');
  });
});

describe('makeRedactor and URLs with credentials', () => {
  it("hides the password of a URL in any variable, whatever the variable's name, and nothing else of it", () => {
    const redact = makeRedactor({ DATABASE_URL: 'postgres://u:dbpassqa777@h/db', HOME: '/home/someone-long' });
    expect(redact('connecting to postgres://u:dbpassqa777@h/db')).toBe('connecting to postgres://u:***@h/db');
    // The password alone is a secret too: a tool may print it apart from its URL.
    expect(redact('password dbpassqa777 rejected')).toBe('password *** rejected');
    expect(redact('host h, user u, db db')).toBe('host h, user u, db db');
  });

  it('hides a percent-encoded password as written and as decoded', () => {
    const redact = makeRedactor({ REDIS: 'redis://:p%40ss-w0rd-long@cache:6379/0' });
    expect(redact('redis://:p%40ss-w0rd-long@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redact('auth p@ss-w0rd-long failed')).toBe('auth *** failed');
  });

  it('hides the password of any URL in the text, even one too short to hide elsewhere', () => {
    const redact = makeRedactor({});
    expect(redact('git fetch https://x-access-token:ghs_abc@github.com/o/r.git failed')).toBe(
      'git fetch https://x-access-token:***@github.com/o/r.git failed',
    );
    expect(redact('see https://example.com/a:b@c and ssh://git@host:22/x')).toBe(
      'see https://example.com/a:b@c and ssh://git@host:22/x',
    );
  });
});
