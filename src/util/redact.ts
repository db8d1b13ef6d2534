/** Names of environment variables whose values are secrets. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE)/i;
/** Shorter values are too likely to occur by chance ("1", "true") to be worth hiding. */
const MIN_LENGTH = 8;

/**
 * Hides the values of secret-looking environment variables wherever they appear in text that is
 * about to be logged or shown: an agent that echoes its API key must not put it in the books.
 */
export function makeRedactor(...envs: (Record<string, string | undefined> | undefined)[]): (text: string) => string {
  const values = new Set<string>();
  for (const env of envs) {
    for (const [name, value] of Object.entries(env ?? {})) {
      if (value && value.length >= MIN_LENGTH && SECRET_NAME.test(name)) values.add(value);
    }
  }
  if (values.size === 0) return (text) => text;
  // Longest first, so a secret that contains another is hidden whole.
  const sorted = [...values].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of sorted) if (out.includes(v)) out = out.split(v).join('***');
    return out;
  };
}
