import { ignoreClosedOutput, isOpen } from './closed-output.js';

/*
 * `JSON.stringify(value, null, 2)` in pieces. A plan's JSON holds every edge: 100 phases of 1,000
 * `[P]` tasks are 99 M of them, more text than one string may hold (V8 stops at about 512 MB) and more
 * memory than a machine should spend on it. Written piece by piece, it needs neither.
 */

/** Arrays and objects down to this depth are taken apart; deeper values are stringified whole. */
const SPLIT_DEPTH = 2;

/** The text of `JSON.stringify(value, null, 2)`, in pieces, the same bytes joined. */
export function* jsonParts(value: unknown, depth = 0): Generator<string> {
  const pad = '  '.repeat(depth);
  if (depth >= SPLIT_DEPTH || value === null || typeof value !== 'object') {
    // Indented as the whole document would have it.
    yield (JSON.stringify(value, null, 2) ?? 'null').replaceAll('\n', `\n${pad}`);
    return;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') {
    yield* jsonParts(toJSON.call(value), depth);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i > 0 ? ',' : ''}\n${pad}  `;
      const item: unknown = value[i];
      // As JSON.stringify: what has no JSON form is null in an array.
      yield* jsonParts(
        item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item,
        depth + 1,
      );
    }
    yield `\n${pad}]`;
    return;
  }
  const entries = Object.entries(value).filter(
    ([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol',
  );
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{';
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i] as [string, unknown];
    yield `${i > 0 ? ',' : ''}\n${pad}  ${JSON.stringify(key)}: `;
    yield* jsonParts(v, depth + 1);
  }
  yield `\n${pad}}`;
}

/** Pieces gathered to about this size before a write: fewer, larger writes. */
const CHUNK = 1 << 16;

/**
 * `JSON.stringify(value, null, 2)` and a newline to `stream`, piece by piece, waiting for the
 * reader when it falls behind; nothing more once the reader is gone (`| head`).
 */
export async function writeJson(stream: NodeJS.WritableStream, value: unknown): Promise<void> {
  ignoreClosedOutput([stream]);
  let buffer = '';
  const flush = async () => {
    if (!isOpen(stream)) return;
    if (!stream.write(buffer)) await roomIn(stream);
    buffer = '';
  };
  for (const piece of jsonParts(value)) {
    buffer += piece;
    if (buffer.length >= CHUNK) await flush();
    if (!isOpen(stream)) return;
  }
  buffer += '\n';
  await flush();
}

/** Resolves when `stream` can take more, or will never (closed, or its reader gone: an error). */
function roomIn(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
