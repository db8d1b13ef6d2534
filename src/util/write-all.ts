import { writeSync } from 'node:fs';

/**
 * Write all of `data` at the file's current position. One `write` can store less than it was given
 * and still succeed (the disk filled up part way): the next one then says why (`ENOSPC`), rather
 * than leave a file cut short that looks whole.
 */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  while (done < buf.length) {
    const n = writeSync(fd, buf, done, buf.length - done);
    if (n <= 0) throw Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
    done += n;
  }
}
