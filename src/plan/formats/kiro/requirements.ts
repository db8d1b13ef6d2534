/*
 * The requirement references of a Kiro task: a `_Requirements: 1.1, 2.3_` line (the line is metadata,
 * not part of the prompt's body) and `**Validates: Requirements 1.2**` (kept in the body: it says what
 * a property test checks). Lists are split on commas; `1.1-1.15` is a range within requirement 1.
 */

/*
 * The regexes stop at the colon and the code trims what is around the list: a lazy `(.*?)` before
 * optional markup and `[ \t]*$`, or two `[ \t]*` with only optional markup between them, backtrack in
 * quadratic time over a long run of spaces, and a plan line can be as long as anyone likes.
 */

/**
 * `_Requirements: 1.1, 2.3_`, `Requirements: …`, `**Requirements:** …`, `**Requirements**: …`, with a
 * full-width colon too; optionally as a bullet. Group 1 is what follows the colon.
 */
const REQUIREMENTS_LINE =
  /^[ \t]*(?:[-*+][ \t]+)?(?:[_*]{1,2}[ \t]*)?Requirements?(?:[ \t]*[_*]{1,2})?[ \t]*[:：](.*)$/is;
/**
 * The same written at the end of a title: `- [ ] 1. Title _Requirements: 1.1_`. The lookbehind lets a
 * match start only where a run of spaces does, not at each space of it.
 */
const TRAILING_REQUIREMENTS = /(?<![ \t])[ \t]+_Requirements?[ \t]*[:：]([^_]*)_[ \t]*$/i;
/** `**Validates: Requirements 1.2, 1.3**`; group 1 is what follows the colon. */
const VALIDATES = /(?<![A-Za-z])Validates(?:[ \t]*[*_]{1,2})?[ \t]*[:：](.*)$/is;
const VALIDATES_LEAD = /^[ \t]*[*_]{0,2}[ \t]*(?:Requirements?\b[ \t]*[:：]?)?/i;
/** `3.2 (Design §4)`: the number, without the annotation. */
const ANNOTATED = /^(\d+(?:\.\d+)*)[ \t]*[(（].*[)）]$/;
const RANGE = /^(\d+)\.(\d+)[ \t]*[-–—][ \t]*(\d+)\.(\d+)$/;
/** More would be a typo (`1.1-1.1500`), not a range anyone means. */
const MAX_RANGE = 200;

/** `text` without trailing spaces and tabs, then without up to `max` trailing `_` or `*`. */
function trimMarkupEnd(text: string, max: number): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  for (let n = 0; n < max && end > 0 && (text[end - 1] === '_' || text[end - 1] === '*'); n++) end--;
  return text.slice(0, end);
}

/** The requirement list of a `_Requirements: …_` line, or undefined when the line is something else. */
export function requirementsLine(line: string): string[] | undefined {
  const m = REQUIREMENTS_LINE.exec(line);
  if (!m) return undefined;
  const list = (m[1] as string).replace(/^[ \t]*[_*]{0,2}/, '');
  return splitRequirements(trimMarkupEnd(list, 2));
}

/** The requirements a `**Validates: Requirements …**` line names; [] when it names none. */
export function validatedRequirements(line: string): string[] {
  if (!/validates/i.test(line)) return [];
  const m = VALIDATES.exec(line);
  if (!m) return [];
  const list = (m[1] as string).replace(VALIDATES_LEAD, '');
  return splitRequirements(trimMarkupEnd(list, Number.POSITIVE_INFINITY));
}

/** A title without a trailing `_Requirements: …_`, and what that named. */
export function splitTitleRequirements(title: string): { title: string; requirements: string[] } {
  const m = TRAILING_REQUIREMENTS.exec(title);
  if (!m) return { title, requirements: [] };
  return { title: title.slice(0, m.index), requirements: splitRequirements(m[1] as string) };
}

/** Commas (ASCII or full-width) outside parentheses separate items. */
function splitOnCommas(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '（') depth++;
    else if ((c === ')' || c === '）') && depth > 0) depth--;
    else if ((c === ',' || c === '，' || c === '、') && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

export function splitRequirements(text: string): string[] {
  const out: string[] = [];
  for (const raw of splitOnCommas(text)) {
    const item = raw
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/^Requirements? (?=\d)/i, '');
    if (item === '') continue;
    const annotated = ANNOTATED.exec(item);
    if (annotated) {
      out.push(annotated[1] as string);
      continue;
    }
    const range = RANGE.exec(item);
    if (range && range[1] === range[3]) {
      const from = Number(range[2]);
      const to = Number(range[4]);
      if (from <= to && to - from < MAX_RANGE) {
        for (let n = from; n <= to; n++) out.push(`${range[1]}.${n}`);
        continue;
      }
    }
    out.push(item);
  }
  return out;
}
