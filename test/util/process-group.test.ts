import { describe, expect, it } from 'vitest';
import { runInProcessGroup } from '../../src/util/process-group.js';

/** What `script` prints, line by line, as runInProcessGroup hands it on. */
async function linesOf(script: string, maxLineChars?: number): Promise<string[]> {
  const lines: string[] = [];
  const r = await runInProcessGroup(['bash', '-c', script], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '' },
    maxLineChars,
    onLine: (line, stream) => {
      if (stream === 'stdout') lines.push(line);
    },
  });
  expect(r).toEqual({ kind: 'exited', exitCode: 0, signal: null });
  return lines;
}

describe('runInProcessGroup output', () => {
  it('joins a line written in several pieces, and drops the \\r of a \\r\\n', async () => {
    expect(await linesOf("printf 'ab'; sleep 0.1; printf 'c\\r\\nd'")).toEqual(['abc', 'd']);
  });

  it('hands on a line that never ends in pieces of the longest line it holds, nothing lost', async () => {
    // A progress bar redrawn with \r all night must not be held in memory whole.
    const pieces = ['y'.repeat(1000), 'y'.repeat(1000), 'y'.repeat(500), 'end'];
    expect(await linesOf("head -c 2500 /dev/zero | tr '\\0' y; printf '\\nend'", 1000)).toEqual(pieces);
    // The same however the output comes in chunks: a line's end in the chunk that takes it past the limit.
    const chunked = `head -c 800 /dev/zero | tr '\\0' y; sleep 0.1; printf '%s\\nend' "$(head -c 1700 /dev/zero | tr '\\0' y)"`;
    expect(await linesOf(chunked, 1000)).toEqual(pieces);
  });
});
