import { err, ok, type Result } from '../result.js';

/*
 * What looks like a secret in a line of text: well-known token shapes (each provider's prefix and
 * length), private key blocks, JWTs, and `password = "…"` style assignments. A false positive stops a
 * task from merging until someone looks, so the generic rules lean towards silence: placeholders,
 * environment lookups, URLs and identifiers are not secrets. `gates.allowSecrets` covers the rest.
 */

export interface SecretPattern {
  kind: string;
  /** Global; the secret is capture group `group` (default: the whole match). */
  re: RegExp;
  group?: number;
  /** Real tokens of this kind are random: a value without both a letter and a digit is prose or a name. */
  random?: boolean;
  /** The config's own patterns: every match counts, placeholder or not (the user said what they want). */
  exact?: boolean;
}

/** Specific shapes first: where two patterns match the same text, the first one names it. */
export const BUILTIN_SECRET_PATTERNS: readonly SecretPattern[] = [
  { kind: 'private-key', re: /-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----/g },
  { kind: 'aws-access-key-id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  {
    kind: 'aws-secret-access-key',
    re: /aws_?secret_?(?:access_?)?key["']?\s{0,8}(?::=|=>|[:=])\s{0,8}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  { kind: 'github-token', re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g, random: true },
  { kind: 'github-token', re: /\bgithub_pat_[A-Za-z0-9_]{22,}/g, random: true },
  { kind: 'slack-token', re: /\bxox[baprs]-[A-Za-z0-9-]{10,}/g, random: true },
  { kind: 'anthropic-api-key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, random: true },
  { kind: 'openai-api-key', re: /\bsk-(?!ant-)[A-Za-z0-9_-]{20,}/g, random: true },
  { kind: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, random: true },
  { kind: 'stripe-key', re: /\b[rs]k_live_[0-9A-Za-z]{20,}/g, random: true },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
];

export interface SecretRules {
  patterns: readonly SecretPattern[];
  /** A finding is dropped when one of these matches its value, its line or its file's path. */
  allow: readonly RegExp[];
}

/** The built-in rules plus the config's `gates.secrets` and `gates.allowSecrets`. */
export function compileSecretRules(
  extra: readonly string[] = [],
  allow: readonly string[] = [],
): Result<SecretRules, string[]> {
  const problems: string[] = [];
  const compile = (source: string, where: string): RegExp | undefined => {
    try {
      return new RegExp(source, 'g');
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const patterns: SecretPattern[] = [...BUILTIN_SECRET_PATTERNS];
  extra.forEach((source, i) => {
    const re = compile(source, `gates.secrets[${i}]`);
    if (re) patterns.push({ kind: `secret pattern /${source}/`, re, exact: true });
  });
  const allowed: RegExp[] = [];
  allow.forEach((source, i) => {
    const re = compile(source, `gates.allowSecrets[${i}]`);
    // Tested with .test() on several strings: a global regex would carry lastIndex between them.
    if (re) allowed.push(new RegExp(re.source));
  });
  return problems.length > 0 ? err(problems) : ok({ patterns, allow: allowed });
}

export interface LineSecret {
  kind: string;
  value: string;
  /** Offset of the value in the line. */
  index: number;
}

/**
 * Text people put where a secret goes in examples, templates and tests: words, masks, counting runs
 * (`sk-ant-123456789`), template and environment lookups. `EXAMPLE` also covers AWS's own
 * documentation keys (`AKIAIOSFODNN7EXAMPLE`). A random key holds none of these but by rare chance.
 */
const PLACEHOLDER =
  /x{3,}|\*{3,}|\.{3}|…|0123456|1234567|abcdefg|change[_-]?me|example|dummy|placeholder|redacted|your[_-]?|sample|fake|test|<[^>]*>|\$\{|\{\{|%\(|process\.env|import\.meta\.env|os\.environ|getenv|env\(|secrets\./i;

export function isPlaceholder(value: string): boolean {
  if (PLACEHOLDER.test(value)) return true;
  // `0000000000000000`, `abababababab`: too few distinct characters to be a key.
  return new Set(value).size <= 4;
}

const MAX_PER_LINE = 10;

/** Every secret-looking value in one line (at most MAX_PER_LINE), each span reported once. */
export function scanLine(line: string, rules: SecretRules): LineSecret[] {
  return scan(line, rules, true);
}

const BUILTIN_RULES: SecretRules = { patterns: BUILTIN_SECRET_PATTERNS, allow: [] };

/**
 * The well-known token shapes (BUILTIN_SECRET_PATTERNS) in one line, found as the secret check finds
 * them, without the generic `password = "…"` rule: a value that has such a shape is a secret
 * wherever it is, while the generic rule needs the name and the code around it to tell.
 */
export function scanTokenShapes(line: string): LineSecret[] {
  return scan(line, BUILTIN_RULES, false);
}

function scan(line: string, rules: SecretRules, withAssignments: boolean): LineSecret[] {
  const found: LineSecret[] = [];
  const taken: [number, number][] = [];
  const overlaps = (start: number, end: number) => taken.some(([s, e]) => start < e && s < end);
  const add = (kind: string, value: string, index: number) => {
    // A line with this many is a blob (a key dump, a test vector); more findings tell no more.
    if (found.length >= MAX_PER_LINE) return;
    if (!value || overlaps(index, index + value.length)) return;
    taken.push([index, index + value.length]);
    found.push({ kind, value, index });
  };
  for (const p of rules.patterns) {
    p.re.lastIndex = 0;
    for (let m = p.re.exec(line); m; m = p.re.exec(line)) {
      if (m[0] === '') {
        // A config pattern that matches the empty string would loop forever.
        p.re.lastIndex++;
        continue;
      }
      const value = (p.group ? m[p.group] : m[0]) ?? m[0];
      const index = m.index + (p.group ? m[0].indexOf(value) : 0);
      if (!p.exact && p.kind !== 'private-key' && isPlaceholder(value)) continue;
      // Documentation shows a key block as `-----BEGIN PRIVATE KEY-----\nXXXX…`.
      if (p.kind === 'private-key' && PLACEHOLDER.test(line.slice(m.index + m[0].length))) continue;
      if (p.random && !randomBody(value)) continue;
      add(p.kind, value, index);
    }
  }
  if (withAssignments) for (const a of assignments(line)) add('secret-assignment', a.value, a.index);
  found.sort((a, b) => a.index - b.index);
  return found;
}

/**
 * The random part of a token after its prefixes (`sk-ant-api03-`, `ghp_`, `sk_live_`) has a letter
 * and a digit and is no placeholder: `sk_live_000…` and `sk-your-key-here` are not keys.
 */
function randomBody(value: string): boolean {
  const body = value.replace(/^(?:[A-Za-z0-9]{1,6}[_-]){1,3}/, '');
  return /[A-Za-z]/.test(body) && /\d/.test(body) && !isPlaceholder(body);
}

/** Names that hold a secret. Matched case-insensitively; what follows the word is checked apart. */
const SECRET_WORD = /password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|credentials?/gi;
/**
 * Parts of a name (split at `_`, `-`, `.` and camelCase humps) that make a secret-word name hold
 * something else: `token_url`, `PASSWORD_MIN_LENGTH`, `secretName`, `max_tokens`.
 */
const NOT_A_SECRET_PART = new Set(
  (
    'hash hashed digest checksum length len count max min url uri endpoint path file dir type name header field ' +
    'format prefix suffix regex pattern label placeholder policy expiry expires expiration ttl timeout limit id ' +
    'env var size usage budget cost mode version'
  ).split(' '),
);

function notASecretName(name: string): boolean {
  return name.split(/[_.-]+|(?<=[a-z0-9])(?=[A-Z])/).some((part) => NOT_A_SECRET_PART.has(part.toLowerCase()));
}

/**
 * After the secret word: the rest of the name, an optional closing quote (a JSON or YAML key), `=`,
 * `:`, `:=` or `=>`, then the value, quoted or not. Bounded repeats: a minified line must not make
 * this backtrack for long.
 */
const ASSIGNMENT =
  /([\w.-]{0,40})["'\]]?\s{0,4}(?::=|=>|[:=])\s{0,4}(["'`]?)([^\s"'`,;(){}[\]<>=\\][^\s"'`,;(){}[\]<>\\]{11,255})/y;

/** What may stand between the start of a line and the name of an unquoted assignment. */
const LINE_START = /^\s*(?:export\s+|set\s+|-\s+|\$env:)?["']?$/i;

/**
 * The name starts a config line (`.env`, YAML, INI, `export`) or is a `--flag`. Only the text just
 * before it is looked at: a long minified line has many names.
 */
function unquotedContext(line: string, start: number): boolean {
  const before = line.slice(Math.max(0, start - 64), start);
  if (/\s--?$/.test(before)) return true;
  return start <= 64 && (LINE_START.test(before) || /^--?$/.test(before));
}

function assignments(line: string): { value: string; index: number }[] {
  const out: { value: string; index: number }[] = [];
  SECRET_WORD.lastIndex = 0;
  for (let m = SECRET_WORD.exec(line); m; m = SECRET_WORD.exec(line)) {
    const end = m.index + m[0].length;
    // `tokenizer`, `secretary`: the word runs on in lower case, so it is another word. `tokens`,
    // `githubTokenValue` and `API_TOKEN_V2` are fine.
    const rest = line.slice(end, end + 2);
    if (/^[a-z]/.test(rest) && !/^s(?![a-z])/.test(rest)) continue;
    ASSIGNMENT.lastIndex = end;
    const a = ASSIGNMENT.exec(line);
    if (!a) continue;
    const [whole, nameRest = '', quote = '', value = ''] = a;
    const start = nameStart(line, m.index);
    const name = line.slice(start, end) + nameRest;
    if (notASecretName(name)) continue;
    if (quote && line[end + whole.length] !== quote) continue;
    // An unquoted value is a config line (`.env`, YAML, INI, `export`) or a `--flag=value`; elsewhere
    // it is prose ("the secret: see config/aws.ts") or code.
    if (!quote && !unquotedContext(line, start)) continue;
    // `secret = keypair[:32]`, `credentials = b64encode(credentials)`: code goes on after the value.
    if (!quote && !/^(?:$|[\s,;&#])/.test(line.slice(end + whole.length))) continue;
    if (!secretLikeValue(value, quote !== '')) continue;
    out.push({ value, index: end + whole.length - value.length });
    SECRET_WORD.lastIndex = end + whole.length;
  }
  return out;
}

/** Where the name holding the secret word starts; looks back a bounded way (minified lines). */
function nameStart(line: string, from: number): number {
  let i = from;
  const limit = Math.max(0, from - 80);
  while (i > limit && /[\w.-]/.test(line[i - 1] ?? '')) i--;
  // A name does not start with `-` or `.`: those are a flag's dashes, a member access.
  while (i < from && /[.-]/.test(line[i] ?? '')) i++;
  return i;
}

function secretLikeValue(value: string, quoted: boolean): boolean {
  if (isPlaceholder(value)) return false;
  // `$TOKEN`, `$2b$12$…` (a hash): a variable or a digest, not the secret itself.
  if (value.startsWith('$')) return false;
  // A URL without credentials, a path.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !/:[^/@]*@/.test(value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''))) {
    return false;
  }
  if (/^(?:\.{0,2}\/|~\/)/.test(value)) return false;
  const classes =
    Number(/[a-z]/.test(value)) +
    Number(/[A-Z]/.test(value)) +
    Number(/\d/.test(value)) +
    Number(/[^A-Za-z0-9_.-]/.test(value));
  // Generated secrets and most passwords hold a digit; a value without one is a word or a name
  // (`"?NonExpressionParenEnd"`, a lexer's token) unless it mixes every kind of character.
  if (quoted) return (/\d/.test(value) && classes >= 2) || classes === 4;
  // Unquoted, it may be code: `token = config.apiToken`, `password: passwordFromVault`.
  if (/^[A-Za-z_$][\w$]*(?:\.[\w$]+)+$/.test(value)) return false;
  return /[A-Za-z]/.test(value) && /\d/.test(value) && classes >= 2;
}

/** What a finding shows of a secret: enough to find it, not enough to use it. */
export function maskSecret(value: string): string {
  return `${value.slice(0, 4)}…`;
}

export interface SecretFinding {
  path: string;
  line: number;
  kind: string;
  /** Masked (see maskSecret). */
  masked: string;
}

export function formatFinding(f: SecretFinding): string {
  return `${f.path}:${f.line}: ${f.kind} (${f.masked})`;
}

export interface AddedLine {
  path: string;
  /** 1-based line in the new file. */
  line: number;
  text: string;
}

/** The secrets in lines a diff adds, minus what the allow list lets through. */
export function scanAddedLines(lines: Iterable<AddedLine>, rules: SecretRules): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const l of lines) {
    for (const s of scanLine(l.text, rules)) {
      if (rules.allow.some((re) => re.test(s.value) || re.test(l.text) || re.test(l.path))) continue;
      findings.push({ path: l.path, line: l.line, kind: s.kind, masked: maskSecret(s.value) });
    }
  }
  return findings;
}
