import { collapse } from './lines.js';

/*
 * What a task's own words say about it besides the title: bracket tags on its first line (`[P]`,
 * `[US1]`) and an estimate anywhere in its text (`Estimate: 2h`, `(est. 30m)`).
 */

/** The inside of a bracket tag: `P`, `US1`, `CRITICAL`, `conditional`, `Story 2`. */
const TAG = /^[A-Za-z][\w -]*$/;
/*
 * No two `[ \t]*` with only optional text between them: on a long run of spaces that ends in no
 * estimate they would backtrack in quadratic time.
 */
const ESTIMATE_LABEL =
  /\bestimate(?:\*\*|__)?[ \t]*:[ \t]*(?:(?:\*\*|__)[ \t]*)?~?(\d+(?:\.\d+)?)[ \t]*(m|mins?|minutes?|h|hrs?|hours?|d|days?)\b/i;
const ESTIMATE_PAREN =
  /\([ \t]*est\.?[ \t]*(?::[ \t]*)?~?(\d+(?:\.\d+)?)[ \t]*(m|mins?|minutes?|h|hrs?|hours?|d|days?)[ \t]*\)/i;

/** Minutes of the first estimate written in `s`; a day counts as a working day of 8 hours. */
export function estimateIn(s: string): number | undefined {
  if (!/est/i.test(s)) return undefined;
  const m = ESTIMATE_LABEL.exec(s) ?? ESTIMATE_PAREN.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] as string).toLowerCase()[0];
  const factor = unit === 'd' ? 8 * 60 : unit === 'h' ? 60 : 1;
  return Math.round(n * factor);
}

/**
 * Splits a task's first line (after checkbox and id) into title and bracket tags. `[P]` sets
 * parallel; other short bracket groups of word characters, spaces and dashes are tags. Links
 * (`[text](url)`, `[text][ref]`), images and code spans are left alone.
 */
export function parseTitle(text: string): { title: string; tags: string[]; parallel: boolean } {
  const tags: string[] = [];
  if (!text.includes('[')) return { title: collapse(text), tags, parallel: false };
  let parallel = false;
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 96 /* ` */) {
      let run = 1;
      while (i + run < n && text.charCodeAt(i + run) === 96) run++;
      const close = text.indexOf('`'.repeat(run), i + run);
      i = close < 0 ? i + run : close + run;
      continue;
    }
    if (c === 91 /* [ */) {
      const close = text.indexOf(']', i + 1);
      if (close > i + 1 && close - i <= 41) {
        const inner = text.slice(i + 1, close);
        const after = text.charCodeAt(close + 1);
        const before = i > 0 ? text.charCodeAt(i - 1) : 0;
        if (
          TAG.test(inner) &&
          after !== 40 /* ( */ &&
          after !== 91 /* [ */ &&
          before !== 33 /* ! */ &&
          before !== 93 /* ] */
        ) {
          const tag = inner.trim();
          if (tag === 'P') parallel = true;
          else if (!tags.includes(tag)) tags.push(tag);
          parts.push(text.slice(from, i));
          i = close + 1;
          from = i;
          continue;
        }
      }
    }
    i++;
  }
  parts.push(text.slice(from));
  return { title: collapse(parts.join(' ')), tags, parallel };
}
