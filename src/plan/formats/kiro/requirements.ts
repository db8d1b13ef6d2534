/*
 * The requirement references of a Kiro task: a `_Requirements: 1.1, 2.3_` line (the line is metadata,
 * not part of the prompt's body) and `**Validates: Requirements 1.2**` (kept in the body: it says what
 * a property test checks). Lists are split on commas; `1.1-1.15` is a range within requirement 1.
 */

/**
 * `_Requirements: 1.1, 2.3_`, `Requirements: …`, `**Requirements:** …`, `**Requirements**: …`, with a
 * full-width colon too; optionally as a bullet. Group 1 is the list.
 */
const REQUIREMENTS_LINE =
  /^[ \t]*(?:[-*+][ \t]+)?[_*]{0,2}[ \t]*Requirements?[ \t]*[_*]{0,2}[ \t]*[:：][ \t]*[_*]{0,2}(.*?)[_*]{0,2}[ \t]*$/i;
/** The same written at the end of a title: `- [ ] 1. Title _Requirements: 1.1_`. */
const TRAILING_REQUIREMENTS = /[ \t]+_Requirements?[ \t]*[:：][ \t]*([^_]*)_[ \t]*$/i;
/** `**Validates: Requirements 1.2, 1.3**`; group 1 is the list. */
const VALIDATES =
  /(?<![A-Za-z])Validates[ \t]*[*_]{0,2}[ \t]*[:：][ \t]*[*_]{0,2}[ \t]*(?:Requirements?\b[ \t]*[:：]?)?(.*?)[*_]*[ \t]*$/i;
/** `3.2 (Design §4)`: the number, without the annotation. */
const ANNOTATED = /^(\d+(?:\.\d+)*)[ \t]*[(（].*[)）]$/;
const RANGE = /^(\d+)\.(\d+)[ \t]*[-–—][ \t]*(\d+)\.(\d+)$/;
/** More would be a typo (`1.1-1.1500`), not a range anyone means. */
const MAX_RANGE = 200;

/** The requirement list of a `_Requirements: …_` line, or undefined when the line is something else. */
export function requirementsLine(line: string): string[] | undefined {
  const m = REQUIREMENTS_LINE.exec(line);
  return m ? splitRequirements(m[1] as string) : undefined;
}

/** The requirements a `**Validates: Requirements …**` line names; [] when it names none. */
export function validatedRequirements(line: string): string[] {
  if (!/validates/i.test(line)) return [];
  const m = VALIDATES.exec(line);
  return m ? splitRequirements(m[1] as string) : [];
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
