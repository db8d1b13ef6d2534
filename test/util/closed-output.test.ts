import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ignoreClosedOutput, writeIfOpen } from '../../src/util/closed-output.js';

describe('writeIfOpen', () => {
  it('writes to an open stream and does nothing to an ended or destroyed one (no error event)', async () => {
    const errors: Error[] = [];
    const ended = new PassThrough().on('error', (e) => errors.push(e));
    ended.end();
    writeIfOpen(ended, 'late\n');
    const destroyed = new PassThrough().on('error', (e) => errors.push(e));
    destroyed.destroy();
    writeIfOpen(destroyed, 'late\n');
    const open = new PassThrough();
    writeIfOpen(open, 'hello\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]);
    expect(String(open.read())).toBe('hello\n');
  });
});

describe('ignoreClosedOutput', () => {
  it('swallows EPIPE on a guarded stream and rethrows any other error', () => {
    const stream = new PassThrough();
    ignoreClosedOutput([stream]);
    ignoreClosedOutput([stream]);
    expect(stream.listenerCount('error')).toBe(1);
    expect(() => stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).not.toThrow();
    expect(() => stream.emit('error', Object.assign(new Error('boom'), { code: 'EIO' }))).toThrow('boom');
  });
});
