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
