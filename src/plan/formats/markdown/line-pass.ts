import { closesFence, type Fence, fenceOpen } from './lines.js';

/*
 * What every line pass over a markdown-like file starts from: the file's text as lines, and the parts
 * that hold no plan content (YAML front matter, HTML comments, code fences). Each format decides what
 * its pass does with the rest.
 */

/** The text's lines, without a BOM and without the `\r` of CRLF endings. */
export function splitLines(input: string): string[] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/**
 * The first line after YAML front matter (`---` on the first line up to the next `---` or `...`), or 0
 * when there is none: an unclosed `---` is a thematic break, not front matter.
 */
export function frontMatterEnd(lines: readonly string[]): number {
  if ((lines[0] ?? '').trimEnd() !== '---') return 0;
  for (let j = 1; j < lines.length; j++) {
    const l = (lines[j] as string).trimEnd();
    if (l === '---' || l === '...') return j + 1;
  }
  return 0;
}

export interface BlankedLine {
  /**
   * The line with each closed comment replaced by spaces, so columns stay right, and cut where a
   * comment runs on past its end ('' for a line wholly inside one).
   */
  text: string;
  /** A comment is still open at the end of the line. */
  open: boolean;
  /** That open comment started on this line (for the warning when it is never closed). */
  opensHere: boolean;
}

/** Blanks the HTML comments of `line`; `inComment` says whether a comment was open before it. */
export function blankComments(line: string, inComment: boolean): BlankedLine {
  let out = '';
  let pos = 0;
  if (inComment) {
    const end = line.indexOf('-->');
    if (end < 0) return { text: '', open: true, opensHere: false };
    out = ' '.repeat(end + 3);
    pos = end + 3;
  }
  for (;;) {
    const start = line.indexOf('<!--', pos);
    if (start < 0) return { text: out + line.slice(pos), open: false, opensHere: false };
    out += line.slice(pos, start);
    const end = line.indexOf('-->', start + 4);
    if (end < 0) return { text: out, open: true, opensHere: true };
    out += ' '.repeat(end + 3 - start);
    pos = end + 3;
  }
}

/** Follows code fences through a pass that reads nothing inside them. */
export class CodeFences {
  private fence: Fence | undefined;

  /** Whether 0-based line `lineNo` opens, closes or is inside a fence. Give it the lines in order. */
  isCode(line: string, lineNo: number): boolean {
    if (this.fence) {
      if (closesFence(line, this.fence)) this.fence = undefined;
      return true;
    }
    this.fence = fenceOpen(line, lineNo);
    return this.fence !== undefined;
  }
}

/** Each line outside code fences, with its 0-based number. */
export function* outsideCode(lines: readonly string[]): Generator<[number, string]> {
  const code = new CodeFences();
  for (const [i, line] of lines.entries()) if (!code.isCode(line, i)) yield [i, line];
}
