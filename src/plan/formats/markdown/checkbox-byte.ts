import { err, ok, type Result } from '../../../result.js';
import { splitLines } from './line-pass.js';
import type { CheckboxPosition } from './types.js';

/*
 * Ticking a checkbox changes one byte of the file, so CRLF endings, a BOM, trailing spaces and the
 * rest of the file stay exactly as the person wrote them. The scanners give positions in the decoded,
 * BOM-less text; this turns one into a byte offset and checks the bytes there still are a checkbox.
 */

/** Why a box was not ticked: its line is gone, or the bytes at its position are not `[ ]`, `[~]` or `[-]`. */
export type CheckboxMiss = 'no-line' | 'not-a-checkbox';

const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const X = 0x78; // x
const UNTICKED_STATES = new Set([0x20, 0x7e, 0x2d]); // space, ~, -

/** Byte offset where each line of `buf` starts. */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let pos = buf.indexOf(0x0a); pos >= 0; pos = buf.indexOf(0x0a, pos + 1)) starts.push(pos + 1);
  return starts;
}

/**
 * A copy of `buf` with the state byte of every box set to `x`; when a box is not found (the file
 * changed since it was scanned, or its line is not valid UTF-8), the index of the first such box and
 * why, and no box is ticked.
 */
export function tickCheckboxBytes(
  buf: Buffer,
  boxes: readonly CheckboxPosition[],
): Result<Buffer, { index: number; reason: CheckboxMiss }> {
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const lines = splitLines(buf.toString('utf8'));
  const starts = lineStarts(buf);
  const out = Buffer.from(buf);
  for (const [index, { line, column }] of boxes.entries()) {
    const start = starts[line];
    const lineText = lines[line];
    if (start === undefined || lineText === undefined) return err({ index, reason: 'no-line' });
    const offset = start + (line === 0 ? bom : 0) + Buffer.byteLength(lineText.slice(0, column), 'utf8');
    const state = buf[offset];
    if (buf[offset - 1] !== OPEN || buf[offset + 1] !== CLOSE || state === undefined || !UNTICKED_STATES.has(state)) {
      return err({ index, reason: 'not-a-checkbox' });
    }
    out[offset] = X;
  }
  return ok(out);
}
