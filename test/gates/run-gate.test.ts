import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGate } from '../../src/gates/run-gate.js';
import { makeRedactor } from '../../src/util/redact.js';

const cwd = mkdtempSync(join(tmpdir(), 'taskwave-gate-'));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('runGate', () => {
  it('runs a string through sh in cwd and passes on exit 0', async () => {
    writeFileSync(join(cwd, 'marker.txt'), 'here\n');
    const r = await runGate({ name: 'cat', command: 'cat marker.txt | tr a-z A-Z' }, { cwd, env });
    expect(r).toMatchObject({
      name: 'cat',
      command: 'cat marker.txt | tr a-z A-Z',
      ok: true,
      exitCode: 0,
      outputTail: 'HERE',
    });
    expect(r.message).toBeUndefined();
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs an argv without a shell and shows it quoted', async () => {
    const r = await runGate({ name: 'echo', command: ['echo', 'a  b', '$HOME'] }, { cwd, env });
    expect(r).toMatchObject({ ok: true, command: `echo 'a  b' '$HOME'`, outputTail: 'a  b $HOME' });
  });

  it('fails on a non-zero exit with stdout and stderr interleaved in the tail', async () => {
    const r = await runGate(
      { name: 'test', command: 'echo one; echo two >&2; sleep 0.05; echo three; exit 3' },
      { cwd, env },
    );
    expect(r).toMatchObject({ ok: false, exitCode: 3, message: 'exit 3' });
    expect(r.outputTail.split('\n').sort()).toEqual(['one', 'three', 'two']);
    expect(r.outputTail.endsWith('three')).toBe(true);
  });

  it('keeps only the last lines, each redacted', async () => {
    const redact = makeRedactor({ API_TOKEN: 'supersecretvalue' });
    const r = await runGate(
      { name: 'many', command: 'for i in $(seq 1 100); do echo "line $i supersecretvalue"; done' },
      { cwd, env, redact, tailLines: 3 },
    );
    expect(r.outputTail).toBe('line 98 ***\nline 99 ***\nline 100 ***');
  });

  it('cuts a very long line', async () => {
    const r = await runGate({ name: 'long', command: ['node', '-e', 'console.log("x".repeat(5000))'] }, { cwd, env });
    expect(r.outputTail).toBe(`${'x'.repeat(2000)}… (3000 more characters)`);
  });

  it('times out, killing what the command started', async () => {
    const started = Date.now();
    const r = await runGate(
      { name: 'hang', command: 'sleep 30 & sleep 30; echo never', timeoutMs: 200 },
      { cwd, env, killGraceMs: 100 },
    );
    expect(r).toMatchObject({ ok: false, timedOut: true, exitCode: null, message: 'timed out after 200ms' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a command that cannot start as a failed result', async () => {
    const r = await runGate({ name: 'nope', command: ['definitely-not-a-command-taskwave'] }, { cwd, env });
    expect(r.ok).toBe(false);
    expect(r.exitCode).toBeNull();
    expect(r.message).toMatch(/^could not start: .*ENOENT/);
  });

  it('stops when the run is cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runGate({ name: 'slow', command: 'sleep 30' }, { cwd, env, signal: ac.signal, killGraceMs: 100 });
    expect(r).toMatchObject({ ok: false, message: 'cancelled' });
  });

  it('says which signal killed it', async () => {
    const r = await runGate({ name: 'segv', command: ['sh', '-c', 'kill -SEGV $$'] }, { cwd, env });
    expect(r).toMatchObject({ ok: false, exitCode: null, message: 'killed by SIGSEGV' });
  });

  it('passes the environment it is given', async () => {
    const r = await runGate(
      { name: 'env', command: 'echo "$GATE_VAR"' },
      { cwd, env: { ...env, GATE_VAR: 'from-env' } },
    );
    expect(r.outputTail).toBe('from-env');
  });

  it('streams lines to onLine', async () => {
    const seen: string[] = [];
    await runGate({ name: 'echo', command: 'echo a; echo b' }, { cwd, env, onLine: (l) => seen.push(l) });
    expect(seen).toEqual(['a', 'b']);
  });
});
