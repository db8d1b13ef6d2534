import { describe, expect, it } from 'vitest';
import {
  compileSecretRules,
  formatFinding,
  isPlaceholder,
  maskSecret,
  type SecretRules,
  scanAddedLines,
  scanLine,
  scanTokenShapes,
} from '../../src/gates/secrets.js';

/*
 * The samples are fake but well formed. They are put together from pieces so this file itself holds
 * no string a secret scanner (GitHub push protection, taskwave's own check) would stop.
 */
const j = (...parts: string[]) => parts.join('');
const AWS_ID = j('AKIA', 'Z7Q3M2XK4B9RT1PL');
const AWS_SECRET = j('q8Zr3kV1pX9sW2mN7bT4', 'yH6jL0cF5gD8eA1uQ3oR');
const GHP = j('ghp_', 'a1B2c3D4e5F6g7H8i9J0', 'k1L2m3N4o5P6q7R8');
const GH_PAT = j(
  'github_pat_',
  '11AQ7XK2M0e9Rt4Wz8Lp3c',
  '_',
  'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jj1Ih0Gg9Ff8Ee7Dd6Cc5Bb4Aa3Zz2Yy1Xx0Ww9Vv8',
);
const SLACK = j('xox', 'b-', '7309418265-5820913746281-', 'Qm8ZpL2vXr7TnW4kYs9HdC1f');
const OPENAI = j('sk-', 'proj-', 'Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9z0X1c2V3b4');
const OPENAI_LEGACY = j('sk-', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4');
const ANTHROPIC = j('sk-', 'ant-', 'api03-', 'Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Jj1Ih0Gg9Ff8Ee7Dd6Cc5Bb4Aa3-_Zz2Yy1Xx0');
const GOOGLE = j('AI', 'za', 'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY');
const STRIPE = j('sk', '_live_', '51HqLyjWDarjtT1zdp7dc4aBc');
const STRIPE_RESTRICTED = j('rk', '_live_', '51HqLyjWDarjtT1zdp7dc4aBc');
const PRIVATE_KEY = j('-----BEGIN ', 'RSA PRIVATE KEY-----');
const OPENSSH_KEY = j('-----BEGIN ', 'OPENSSH PRIVATE KEY-----');
const JWT = j(
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  '.',
  'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ',
  '.',
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
);

function rules(extra?: string[], allow?: string[]): SecretRules {
  const r = compileSecretRules(extra, allow);
  if (!r.ok) throw new Error(r.error.join('\n'));
  return r.value;
}
const builtin = rules();
const kinds = (line: string, r = builtin) => scanLine(line, r).map((s) => s.kind);

describe('scanLine: the built-in shapes', () => {
  const cases: [string, string, string][] = [
    [`aws_access_key_id = ${AWS_ID}`, 'aws-access-key-id', AWS_ID],
    [`AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, 'aws-secret-access-key', AWS_SECRET],
    [`aws_secret_access_key: "${AWS_SECRET}"`, 'aws-secret-access-key', AWS_SECRET],
    [`git clone https://${GHP}@github.com/o/r.git`, 'github-token', GHP],
    [`GITHUB_PAT=${GH_PAT}`, 'github-token', GH_PAT],
    [`slack.token("${SLACK}")`, 'slack-token', SLACK],
    [`client = OpenAI(api_key="${OPENAI}")`, 'openai-api-key', OPENAI],
    [`OPENAI_API_KEY=${OPENAI_LEGACY}`, 'openai-api-key', OPENAI_LEGACY],
    [`export ANTHROPIC_API_KEY=${ANTHROPIC}`, 'anthropic-api-key', ANTHROPIC],
    [`const maps = "https://maps.googleapis.com/maps/api/js?key=${GOOGLE}";`, 'google-api-key', GOOGLE],
    [`Stripe.apiKey = '${STRIPE}';`, 'stripe-key', STRIPE],
    [`STRIPE_RESTRICTED=${STRIPE_RESTRICTED}`, 'stripe-key', STRIPE_RESTRICTED],
    [PRIVATE_KEY, 'private-key', PRIVATE_KEY],
    [`  "key": "${OPENSSH_KEY}\\nb3BlbnNzaC1rZXktdjEAAAAA"`, 'private-key', OPENSSH_KEY],
    [`Authorization: Bearer ${JWT}`, 'jwt', JWT],
  ];
  for (const [line, kind, value] of cases) {
    it(`finds ${kind} in ${line.slice(0, 40)}`, () => {
      expect(scanLine(line, builtin)).toEqual([{ kind, value, index: line.indexOf(value) }]);
    });
  }

  it('names a span once, by its most specific shape', () => {
    expect(kinds(`token = "${JWT}"`)).toEqual(['jwt']);
    expect(kinds(`ANTHROPIC_API_KEY="${ANTHROPIC}"`)).toEqual(['anthropic-api-key']);
    expect(kinds(`a=${AWS_ID} b=${GHP}`)).toEqual(['aws-access-key-id', 'github-token']);
  });
});

describe('scanLine: password = "…" assignments', () => {
  const secretLines = [
    'DB_PASSWORD = "Tr0ub4dor&3xyzq"',
    '  "api_key": "a8f5f167f44f4964e6c998dee827110c",',
    'STRIPE_TOKEN=9f8e7d6c5b4a39281706',
    "config.secret = 'N7#kP2$wQ9!mZ4vB';",
    'githubToken: `ZXlKaGJHY2lPaUpJVXpJMU5pSjk`',
    'auth_token := "e3b0c44298fc1c149afbf4c8996fb924"',
    'CLIENT_SECRET: q2w3e4r5t6y7u8i9o0p1',
    ':password => "s3cr3tP4ssw0rd!!"',
    'apiKey = "MzQ1Njc4OTAxMjM0NTY3ODkw"',
    'export GITLAB_TOKEN=glp9x8w7v6u5t4s3r2q1',
    'mysql --user=app --password=Hq4zP9wL2xV7 db',
    'REDIS_PASSWORD=redis://:Pa55w0rd2024@cache:6379',
  ];
  for (const line of secretLines) {
    it(`finds ${line}`, () => {
      expect(kinds(line)).toEqual(['secret-assignment']);
    });
  }

  it('gives the value alone', () => {
    expect(scanLine('DB_PASSWORD = "Tr0ub4dor&3xyzq"', builtin)).toEqual([
      { kind: 'secret-assignment', value: 'Tr0ub4dor&3xyzq', index: 15 },
    ]);
  });
});

describe('scanTokenShapes', () => {
  it('finds the built-in shapes as scanLine does', () => {
    expect(scanTokenShapes(`a=${AWS_ID} b=${GHP}`)).toEqual(scanLine(`a=${AWS_ID} b=${GHP}`, builtin));
  });

  it('leaves out the password = "…" rule: it needs a name, a token shape does not', () => {
    expect(scanTokenShapes('DB_PASSWORD = "Tr0ub4dor&3xyzq"')).toEqual([]);
  });
});

describe('scanLine: what is not a secret', () => {
  const quiet = [
    // Documentation and template values.
    j('aws_access_key_id = ', 'AKIA', 'IOSFODNN7EXAMPLE'),
    j('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY'),
    j('GITHUB_TOKEN=ghp_', 'x'.repeat(36)),
    j('OPENAI_API_KEY=sk-', 'your-key-here-please-replace'),
    j('ANTHROPIC_API_KEY=sk-', 'ant-', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'),
    j('STRIPE_KEY=sk', '_live_', '0000000000000000000000000'),
    'password = "changeme"',
    'password = "<your-password-here>"',
    j('api_key = "$', '{API_KEY}"'),
    'API_TOKEN={{ secrets.API_TOKEN }}',
    'token = process.env.GITHUB_TOKEN',
    'const apiKey = import.meta.env.VITE_API_KEY_2',
    'secret = os.environ["SECRET_KEY"]',
    'SECRET_KEY = os.getenv("DJANGO_SECRET_KEY1")',
    'secret: "dummy-secret-value-123"',
    'password: "example-password-1"',
    'client_secret = "***REDACTED***"',
    'token: "fake-token-for-tests-123"',
    // Code, not values.
    'const apiKey = config.secrets.apiKey2;',
    'if (token === "abcdef1234567890") {',
    'password: string;',
    '        statetokens = tokendefs[ctx.stack[-1]]',
    '    credentials = standard_b64encode(credentials).decode("ascii")',
    j('key="-----BEGIN ', 'PRIVATE KEY-----\\nXXXX\\nXXXX\\n-----END PRIVATE KEY-----"'),
    'const accessToken = createAccessToken(user);',
    'return { token: signedJwtFor(user.id) };',
    // Names with a secret word that hold something else.
    'token_url = "https://oauth2.googleapis.com/token"',
    'tokenizer = "bert-base-uncased-v2"',
    'PASSWORD_MIN_LENGTH = 12345678901234',
    'const TOKEN_HEADER = "x-authorization-token"',
    'max_tokens: 4096000000000',
    'secretName: "prod/db/credentials-v2"',
    'password_hash = "$2b$12$KIXQJv4fQn7Zt9xR1bq0uOa9"',
    'CREDENTIALS_PATH=/etc/app/creds-2024.json',
    // Words that contain `sk-` or look like keys without being ones.
    'the risk-assessment-framework-2024 doc',
    'npm install task-management-system-for-teams',
    '"integrity": "sha512-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jj1Ih0Gg9Ff8Ee7Dd6Cc5Bb4Aa3"',
    'the sk-learn-style-api-is-used-here-for-fitting',
  ];
  for (const line of quiet) {
    it(`stays quiet on ${line}`, () => {
      expect(scanLine(line, builtin)).toEqual([]);
    });
  }

  it('does not take long on a minified line', () => {
    for (const line of [
      `${'tokenpasswordsecret_'.repeat(20_000)}=`,
      'token=q1w2e3r4t5y6u7'.repeat(50_000),
      `${'a'.repeat(79)}token`.repeat(10_000),
      'AKIA'.repeat(250_000),
    ]) {
      const started = performance.now();
      scanLine(line, builtin);
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });
});

describe('config patterns', () => {
  it('adds the config secrets and drops what the allow list names', () => {
    const r = rules(['INTERNAL-[0-9]{8}'], ['^test/fixtures/', STRIPE]);
    expect(kinds('id: INTERNAL-12345678', r)).toEqual(['secret pattern /INTERNAL-[0-9]{8}/']);
    const findings = scanAddedLines(
      [
        { path: 'src/a.ts', line: 3, text: `const k = "${AWS_ID}";` },
        { path: 'test/fixtures/keys.txt', line: 1, text: AWS_ID },
        { path: 'src/pay.ts', line: 9, text: `key = '${STRIPE}'` },
        { path: 'src/b.ts', line: 7, text: 'x INTERNAL-87654321 y' },
      ],
      r,
    );
    expect(findings.map(formatFinding)).toEqual([
      'src/a.ts:3: aws-access-key-id (AKIA…)',
      'src/b.ts:7: secret pattern /INTERNAL-[0-9]{8}/ (INTE…)',
    ]);
  });

  it('reports a bad regular expression, and survives one that matches nothing', () => {
    expect(compileSecretRules(['('], ['[z-a]'])).toEqual({
      ok: false,
      error: [expect.stringMatching(/^gates\.secrets\[0\]: /), expect.stringMatching(/^gates\.allowSecrets\[0\]: /)],
    });
    expect(kinds('anything', rules(['x*']))).toEqual([]);
  });
});

describe('masking and placeholders', () => {
  it('shows four characters of a secret', () => {
    expect(maskSecret(AWS_ID)).toBe('AKIA…');
    expect(maskSecret('abc')).toBe('abc…');
  });

  it('recognises placeholder values', () => {
    for (const v of ['xxxx', '<token>', j('$', '{TOKEN}'), 'your-api-key', 'CHANGE_ME', '0000000000000', 'sample123'])
      expect(isPlaceholder(v), v).toBe(true);
    expect(isPlaceholder(AWS_SECRET)).toBe(false);
  });
});
