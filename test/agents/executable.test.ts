import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveExecutable } from '../../src/agents/executable.js';
import { resolveAgent } from '../../src/agents/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'taskwave-exe-'));
const binDir = join(dir, 'bin');
mkdirSync(binDir);
mkdirSync(join(dir, 'project', 'tools'), { recursive: true });
const exe = (path: string, mode = 0o755) => {
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
};
exe(join(binDir, 'claude'));
exe(join(binDir, 'plain.txt'), 0o644);
const wrapper = exe(join(dir, 'project', 'tools', 'claude-wrapper'));
const configFile = join(dir, 'project', 'taskwave.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveExecutable', () => {
  it("finds the adapter's default name on PATH", () => {
    const r = resolveExecutable({ agent: 'claude', defaultName: 'claude', key: 'bin', path: `/nonexistent:${binDir}` });
    expect(r).toEqual({ ok: true, value: join(binDir, 'claude') });
  });

  it('names the agent, the executable and the key that would fix a miss', () => {
    const r = resolveExecutable({ agent: 'claude', defaultName: 'claude', key: 'bin', path: '/nonexistent' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe(
      "agent 'claude': cannot find the executable 'claude' on PATH; install it or set agents.claude.bin in taskwave.yaml",
    );
    const configured = resolveExecutable({
      agent: 'fast',
      configured: 'claude-beta',
      key: 'bin',
      configFile,
      path: binDir,
    });
    expect(!configured.ok && configured.error.message).toBe(
      `agent 'fast': cannot find the executable 'claude-beta' on PATH; fix agents.fast.bin in ${configFile}`,
    );
  });

  it('resolves a relative bin path against the config file, and refuses a file that cannot be run', () => {
    const r = resolveExecutable({
      agent: 'claude',
      configured: 'tools/claude-wrapper',
      key: 'bin',
      configFile,
      path: '',
    });
    expect(r).toEqual({ ok: true, value: wrapper });
    const plain = resolveExecutable({ agent: 'claude', configured: join(binDir, 'plain.txt'), key: 'bin', path: '' });
    expect(!plain.ok && plain.error.message).toMatch(
      /agents\.claude\.bin is '.*plain\.txt' \(.*\), which is not an executable file/,
    );
    // Not executable on PATH either: skipped, not returned.
    const onPath = resolveExecutable({ agent: 'x', configured: 'plain.txt', key: 'bin', path: binDir });
    expect(onPath.ok).toBe(false);
  });
});

describe('check() before any task starts', () => {
  it('fails for a built-in agent whose executable is missing, naming agent and key', () => {
    const r = resolveAgent('codex', { codex: { bin: 'codex-does-not-exist' } }, configFile);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const check = r.value.check?.();
    expect(check?.ok).toBe(false);
    expect(check && !check.ok && check.error.message).toBe(
      `agent 'codex': cannot find the executable 'codex-does-not-exist' on PATH; fix agents.codex.bin in ${configFile}`,
    );
  });

  it('passes for a bin path, relative to the config file', () => {
    for (const name of ['claude', 'codex', 'gemini', 'opencode', 'aider', 'cursor']) {
      const r = resolveAgent(name, { [name]: { bin: './tools/claude-wrapper' } }, configFile);
      expect(r.ok && r.value.check?.()).toEqual({ ok: true, value: undefined });
    }
  });

  it('checks a command agent: a name on PATH or an absolute path; a workspace-relative path cannot be checked yet', () => {
    const missing = resolveAgent('mine', { mine: { command: ['no-such-agent-cmd', '--x'] } }, configFile);
    const check = missing.ok ? missing.value.check?.() : undefined;
    expect(check && !check.ok && check.error.message).toBe(
      `agent 'mine': cannot find the executable 'no-such-agent-cmd' on PATH; fix agents.mine.command in ${configFile}`,
    );
    const local = resolveAgent('mine', { mine: { command: ['./tools/claude-wrapper'] } }, configFile);
    expect(local.ok && local.value.check?.()).toEqual({ ok: true, value: undefined });
    const node = resolveAgent('mine', { mine: { command: ['node', 'agent.mjs'] } }, configFile);
    expect(node.ok && node.value.check?.()).toEqual({ ok: true, value: undefined });
    const relative = resolveAgent('mine', { mine: { command: ['scripts/agent.sh'] } }, configFile);
    expect(relative.ok && relative.value.check?.()).toEqual({ ok: true, value: undefined });
  });
});
