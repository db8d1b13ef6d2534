import { readFileSync } from 'node:fs';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';

/*
 * A text file as lines that can be edited one at a time and joined back into exactly the bytes that
 * were read: each line keeps its own ending (`\n`, `\r\n`, or none on the last line) and a BOM stays.
 */

export interface TextLines {
  bom: boolean;
  /** The lines without their endings. */
  lines: string[];
  /** `eols[i]` is the ending of `lines[i]`: `\n`, `\r\n`, or `` for a last line without one. */
  eols: string[];
}

export function splitText(input: string): TextLines {
  const bom = input.charCodeAt(0) === 0xfeff;
  const text = bom ? input.slice(1) : input;
  const lines: string[] = [];
  const eols: string[] = [];
  let pos = 0;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) {
      lines.push(text.slice(pos));
      eols.push('');
      return { bom, lines, eols };
    }
    const cr = nl > pos && text.charCodeAt(nl - 1) === 13;
    lines.push(text.slice(pos, cr ? nl - 1 : nl));
    eols.push(cr ? '\r\n' : '\n');
    pos = nl + 1;
  }
}

export function joinText(t: TextLines): string {
  let out = t.bom ? '\ufeff' : '';
  for (let i = 0; i < t.lines.length; i++) out += (t.lines[i] as string) + (t.eols[i] as string);
  return out;
}

/** The line ending the file mostly uses, for lines we add. */
export function dominantEol(t: TextLines): string {
  let crlf = 0;
  let lf = 0;
  for (const e of t.eols) {
    if (e === '\r\n') crlf++;
    else if (e === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** The lines of a file with BOM and `\r` removed, for reading only; undefined when it cannot be read. */
export function readLines(path: string): string[] | undefined {
  try {
    return splitText(readFileSync(path, 'utf8')).lines;
  } catch {
    return undefined;
  }
}

/**
 * Re-reads `path`, lets `edit` change its lines (returning whether it did) and writes the result
 * atomically when something changed. A missing file is left alone. A file that is not valid UTF-8 is
 * refused rather than rewritten with replacement characters.
 */
export function editTextFile(path: string, edit: (t: TextLines) => boolean): Result<void, Diagnostic> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(undefined);
    return err(errorAt(undefined, `cannot read ${path}: ${errorMessage(e)}`));
  }
  const text = buf.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buf)) {
    return err(errorAt({ file: path, line: 1, column: 1 }, 'file is not valid UTF-8; not changing it'));
  }
  const t = splitText(text);
  if (!edit(t)) return ok(undefined);
  return writeText(path, joinText(t));
}

export function writeText(path: string, text: string): Result<void, Diagnostic> {
  try {
    writeFileAtomic(path, text);
    return ok(undefined);
  } catch (e) {
    return err(errorAt(undefined, `cannot write ${path}: ${errorMessage(e)}`));
  }
}
