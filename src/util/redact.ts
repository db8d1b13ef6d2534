import { scanTokenShapes } from '../gates/secrets.js';

/** Names of environment variables whose values are secrets. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE)/i;
/** Shorter values are too likely to occur by chance ("1", "true") to be worth hiding. */
const MIN_LENGTH = 8;
/**
 * `scheme://user:password@`: the password (group 2) of a URL with credentials. The user part stops
 * at the first `:`, so a path like `https://host/a:b@c` is no such URL.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)([^\s/?#@]+)@/gi;

/**
 * Hides the values of secret-looking environment variables wherever they appear in text that is
 * about to be logged or shown: an agent that echoes its API key must not put it in the books.
 *
 * A URL with credentials is a secret whatever its variable is called (`DATABASE_URL`): its password
 * is hidden wherever it appears (as written and percent-decoded), the rest of the URL is not. And
 * the password of any URL in the text is hidden, even one too short to hide on its own.
 *
 * So is a value with a well-known token shape (`ghp_…`, `sk-ant-…`, `AKIA…`, a private key: the
 * secret check's built-in patterns), whatever its variable is called (`GH_PAT`): the token, or the
 * token inside the value, is hidden.
 */
export function makeRedactor(...envs: (Record<string, string | undefined> | undefined)[]): (text: string) => string {
  const values = new Set<string>();
  const add = (value: string) => {
    if (value.length < MIN_LENGTH) return;
    values.add(value);
    // As a JSON string holds it: the agents that print JSON lines (Claude Code's stream-json, Codex's
    // events) print a password with a `"` or a `\` escaped, and a line is masked as it was printed.
    const quoted = JSON.stringify(value).slice(1, -1);
    if (quoted !== value) values.add(quoted);
  };
  for (const env of envs) {
    for (const [name, value] of Object.entries(env ?? {})) {
      if (!value) continue;
      if (SECRET_NAME.test(name)) add(value);
      for (const password of urlPasswords(value)) add(password);
      for (const token of tokens(value)) add(token);
    }
  }
  // Longest first, so a secret that contains another is hidden whole.
  const sorted = [...values].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of sorted) if (out.includes(v)) out = out.split(v).join('***');
    return out.includes('://') ? out.replace(URL_CREDENTIALS, '$1***@') : out;
  };
}

/** The passwords of the URLs with credentials in `value`, as written and percent-decoded. */
function urlPasswords(value: string): string[] {
  if (!value.includes('://')) return [];
  const out: string[] = [];
  for (const m of value.matchAll(URL_CREDENTIALS)) {
    const password = m[2] ?? '';
    out.push(password);
    try {
      const decoded = decodeURIComponent(password);
      if (decoded !== password) out.push(decoded);
    } catch {
      // Not valid percent-encoding: it is used as written.
    }
  }
  return out;
}

/** A PEM armor line (`-----BEGIN RSA PRIVATE KEY-----`): the same in every key, no secret. */
const PEM_ARMOR = /^-----[A-Z0-9 ]+-----$/;

/**
 * The tokens of well-known shapes in `value`. A private key's header is no secret but marks one: the
 * whole value is hidden, and each line of its body too, since output is masked a line at a time. CI
 * settings often hold a key on one line with `\n` escapes: those split it too.
 */
function tokens(value: string): string[] {
  const lines = value.split(/\r?\n|\\n/);
  const found = lines.flatMap((line) => scanTokenShapes(line));
  if (found.some((f) => f.kind === 'private-key')) {
    return [value, ...lines.map((l) => l.trim()).filter((l) => !PEM_ARMOR.test(l))];
  }
  return found.map((f) => f.value);
}
