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

  it('hides a value as a JSON line holds it, its quotes and backslashes escaped', () => {
    const value = 'pa"ss\\w0rd\ttab';
    const redact = makeRedactor({ DB_PASSWORD: value });
    const line = JSON.stringify({ type: 'tool_result', content: `echo ${value}` });
    expect(redact(line)).toBe('{"type":"tool_result","content":"echo ***"}');
    expect(redact(`plain ${value}`)).toBe('plain ***');
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

describe('makeRedactor and token shapes', () => {
  // Random-looking, so the secret check's placeholder rules do not take them for examples; put
  // together from pieces so this file holds no string a secret scanner would stop.
  const j = (...parts: string[]) => parts.join('');
  const gh = j('ghp_', 'u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d');
  const anthropic = j('sk-', 'ant-', 'api03-Qm7vR2kP9xLw4NbT8cZs1yHd');
  const aws = j('AKIA', '5QZ3NB7KX2M4HWPD');

  it("hides a value with a known token shape whatever its variable's name", () => {
    const redact = makeRedactor({ GH_PAT: gh, CLAUDE: anthropic, DEPLOY_ID: aws });
    expect(redact(`pat ${gh}, claude ${anthropic}, id ${aws}`)).toBe('pat ***, claude ***, id ***');
  });

  it('hides the token inside a longer value', () => {
    const redact = makeRedactor({ EXTRA_HEADER: `Authorization: Bearer ${gh}` });
    expect(redact(`curl -H "Bearer ${gh}"`)).toBe('curl -H "Bearer ***"');
  });

  it('hides a private key whole and line by line', () => {
    const body = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'BKcwggSjAgEAAoIBAQC7k3Jm9Qx2Zp1L'];
    const header = j('-----BEGIN ', 'PRIVATE KEY-----');
    const key = [header, ...body, '-----END PRIVATE KEY-----'].join('\n');
    const redact = makeRedactor({ DEPLOY_PEM: key, ONE_LINE_PEM: key.replaceAll('\n', '\\n') });
    expect(redact(`key ${key}`)).toBe('key ***');
    expect(redact(`key ${key.replaceAll('\n', '\\n')}`)).toBe('key ***');
    expect(redact(body[1] ?? '')).toBe('***');
    expect(redact(header)).toBe(header);
  });

  it('leaves ordinary values alone: paths, words, numbers, placeholders', () => {
    const env = {
      PROJECT_DIR: '/home/someone/projects/taskwave',
      GREETING: 'hello-world-and-more',
      BUILD_NUMBER: '1234567890123',
      SAMPLE: j('sk-', 'ant-your-key-here-xxxxxxxx'),
    };
    const redact = makeRedactor(env);
    const text = Object.values(env).join(' ');
    expect(redact(text)).toBe(text);
  });
});
