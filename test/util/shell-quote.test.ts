import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../src/util/shell-quote.js';

describe('shellQuote', () => {
  it('leaves plain words as they are', () => {
    for (const w of ['T001', '1.2', 'specs/tasks.md', '--only', 'a=b,c:d@e%f+g']) expect(shellQuote(w)).toBe(w);
  });

  it('quotes anything a shell would read, spaces, quotes and empty words included', () => {
    expect(shellQuote('x;touch /tmp/pwned;')).toBe("'x;touch /tmp/pwned;'");
    expect(shellQuote('specs/my feature/tasks.md')).toBe("'specs/my feature/tasks.md'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$(id)')).toBe("'$(id)'");
  });

  it('gives the shell back the very words', () => {
    const argv = ['x;touch /tmp/pwned;', 'a\'b"c', '$HOME `id` \\ \n*', '', 'plain'];
    const r = spawnSync('sh', ['-c', `printf '%s\\0' ${shellCommand(argv)}`], { encoding: 'utf8' });
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(argv);
  });
});
