import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/config.js';

describe('parseConfig: command agents', () => {
  it('refuses the keys only built-in adapters read, at the line of each key', () => {
    const text = [
      'agents:',
      '  fake:',
      '    command: ["node", "agent.mjs"]',
      '    model: opus',
      '    args:',
      '      - --fast',
      '    bin: ./other',
      '    maxTurns: 3',
      '    skipPermissions: true',
      '',
    ].join('\n');
    const r = parseConfig(text, '/repo/taskwave.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const shown = r.error.map((d) => `${d.location?.line}:${d.location?.column}: ${d.message}`);
    const why = (key: string) =>
      `agents.fake.${key}: a command agent takes its whole argv from \`command\`; ${key} applies to the built-in adapters (claude, codex, …)`;
    expect(shown).toEqual([
      `7:5: ${why('bin')}`,
      `5:5: ${why('args')}`,
      `4:5: ${why('model')}`,
      `8:5: ${why('maxTurns')}`,
      `9:5: ${why('skipPermissions')}`,
    ]);
  });

  it('keeps env, timeout and concurrency for command agents, and every key for built-in ones', () => {
    const r = parseConfig(
      [
        'agents:',
        '  fake:',
        '    command: ["node", "agent.mjs"]',
        '    env: { A: "1" }',
        '    timeout: 5m',
        '    concurrency: 2',
        '  claude: { bin: ./claude, args: ["--x"], model: opus, maxTurns: 3, skipPermissions: true }',
        '',
      ].join('\n'),
      '/repo/taskwave.yaml',
    );
    expect(r.ok).toBe(true);
  });
});
