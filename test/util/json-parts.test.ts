import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonParts, writeJson } from '../../src/util/json-parts.js';

describe('jsonParts', () => {
  it('joins to the very text of JSON.stringify(value, null, 2), for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect([...jsonParts(value)].join('')).toBe(JSON.stringify(value, null, 2));
      }),
      { numRuns: 500 },
    );
  });

  it('drops what JSON drops, and takes toJSON as JSON.stringify does', () => {
    const value = {
      a: undefined,
      f: () => 1,
      list: [undefined, () => 1, 1],
      when: new Date(0),
      nested: { deep: [{ x: [1, { y: 2 }] }] },
    };
    expect([...jsonParts(value)].join('')).toBe(JSON.stringify(value, null, 2));
  });
});

describe('writeJson', () => {
  it('writes the document and a newline, waiting for a slow reader', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    const value = { tasks: Array.from({ length: 2000 }, (_, i) => ({ id: `T${i}`, deps: [`T${i - 1}`] })) };
    // Nobody reads yet: the writer waits for room rather than pile the document up in memory.
    let finished = false;
    const writing = writeJson(out, value).then(() => {
      finished = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(finished).toBe(false);
    const reading = (async () => {
      let text = '';
      for await (const chunk of out) text += String(chunk);
      return text;
    })();
    await writing;
    out.end();
    expect(await reading).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });
});
