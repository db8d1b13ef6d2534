import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * `npm run demo` is one of the two commands the README promises a fresh clone: it runs the bundled
 * quickstart plan with the bundled demo agent in a temporary repository of its own. It once failed
 * every task for months with nothing to notice, so it is run here as a user runs it.
 */

const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DEMO], {
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('npm run demo', () => {
  it('runs the quickstart plan to the end: every task done, ticked, committed, and the result works', async () => {
    const { code, out } = await runDemo();
    const dir = /taskwave demo in (\S+)/.exec(out)?.[1];
    if (dir) made.push(dir);
    expect(out).toMatch(/all selected tasks done: 8 done/);
    expect(code).toBe(0);
    if (!dir) throw new Error(`the demo did not say where it ran:\n${out}`);

    const plan = readFileSync(join(dir, 'tasks.md'), 'utf8');
    expect(plan.match(/- \[x\] T\d{3}/g)).toHaveLength(8);
    expect(plan).not.toMatch(/- \[ \] T\d{3}/);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
    const subjects = git('log', '--format=%s').trim().split('\n');
    expect(subjects.filter((s) => /^T00\d: /.test(s))).toHaveLength(8);
    expect(git('status', '--porcelain').trim()).toBe('');
    // The program the tasks wrote, merged together, runs.
    const greet = (...args: string[]) =>
      execFileSync(process.execPath, [join(dir, 'greet/bin/greet.js'), ...args], { encoding: 'utf8' });
    expect(greet('hello', 'Ada')).toBe('Hello, Ada!\n');
    expect(greet('goodbye', 'Ada')).toBe('Goodbye, Ada.\n');
  }, 120_000);
});
