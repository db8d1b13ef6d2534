import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/config.js';
import { formatDiagnostic } from '../../src/plan/diagnostic.js';

/** The diagnostics of a config that must be refused, as the user sees them. */
function refused(text: string): string[] {
  const r = parseConfig(text, 'taskwave.yaml');
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.value.config)}`);
  return r.error.map(formatDiagnostic);
}

describe('parseConfig: YAML the parser accepts but cannot turn into values', () => {
  it('refuses an alias bomb at the alias that tripped the guard, without throwing', () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      '',
    ].join('\n');
    const [first, ...rest] = refused(bomb);
    expect(rest).toEqual([]);
    expect(first).toMatch(/^taskwave\.yaml:3:\d+: error: invalid YAML: aliases expand to too many values/);
  });

  it('refuses an alias whose anchor is never set, where the alias is', () => {
    expect(refused('concurrency: 2\nagent: *nobody\n')).toEqual([
      'taskwave.yaml:2:8: error: invalid YAML: Unresolved alias (the anchor must be set before the alias): nobody',
    ]);
  });

  it('still reads ordinary anchors and aliases', () => {
    const r = parseConfig('agents:\n  a: &cmd { command: ["node", "a.mjs"] }\n  b: *cmd\nagent: b\n', 'taskwave.yaml');
    expect(r.ok && r.value.config.agents?.b?.command).toEqual(['node', 'a.mjs']);
  });
});

describe('parseConfig: values that name nothing real, at their line', () => {
  const fake = 'agents:\n  fake:\n    command: ["node", "agent.mjs"]\n';

  it('an agent or routing rule naming an agent that does not exist, or none', () => {
    expect(refused(`${fake}agent: ghost\n`)).toEqual([
      "taskwave.yaml:4:8: error: agent: unknown agent 'ghost': no built-in adapter and no agents.ghost.command; configured agents: fake",
    ]);
    expect(refused(`${fake}agent: ""\n`)).toEqual(['taskwave.yaml:4:8: error: agent: an agent name cannot be empty']);
    expect(refused(`${fake}routing:\n  - words: docs\n    agent: nobody\n`)).toEqual([
      expect.stringMatching(/^taskwave\.yaml:6:12: error: routing\.0\.agent: unknown agent 'nobody'/),
    ]);
    expect(refused('agent: ghost\nagents:\n  ghost:\n    model: x\n')).toEqual([
      expect.stringMatching(
        /^taskwave\.yaml:1:8: error: agent: agent 'ghost' has no agents\.ghost\.command and is not a built-in adapter/,
      ),
      expect.stringMatching(/^taskwave\.yaml:3:3: error: agents\.ghost: not a built-in adapter/),
    ]);
    // A built-in adapter needs no entry.
    expect(parseConfig('agent: codex\nrouting:\n  - words: docs\n    agent: claude\n', 'taskwave.yaml').ok).toBe(true);
  });

  it('an agents entry that is neither a built-in adapter nor a command agent, though nothing names it', () => {
    expect(refused('agents:\n  claude:\n    model: sonnet\n  claud:\n    model: opus\n')).toEqual([
      'taskwave.yaml:4:3: error: agents.claud: not a built-in adapter (claude, codex, gemini, opencode, aider, cursor) and no command: a typo?',
    ]);
    expect(parseConfig(`${fake}  codex:\n    model: o3\n`, 'taskwave.yaml').ok).toBe(true);
  });

  it('commands that run nothing: gate entries and an agent command', () => {
    for (const entry of ['""', '"   "', '[""]', '{run: []}', '{run: " "}']) {
      expect(refused(`gates:\n  task:\n    - ${entry}\n`)).toEqual([
        'taskwave.yaml:3:7: error: gates.task.0: the command is empty',
      ]);
    }
    expect(refused('agents:\n  fake:\n    command: [""]\n')).toEqual([
      'taskwave.yaml:3:14: error: agents.fake.command: the command is empty: its first item must name the program to run',
    ]);
  });

  it('workspace.copy paths that leave the repository', () => {
    expect(refused('workspace:\n  copy: [".env", "../x", "/etc/hosts", "a/../../b", "."]\n')).toEqual([
      expect.stringMatching(/^taskwave\.yaml:2:18: error: workspace\.copy\.1: '\.\.\/x' leaves the repository/),
      expect.stringMatching(/^taskwave\.yaml:2:26: error: workspace\.copy\.2: '\/etc\/hosts' is an absolute path/),
      expect.stringMatching(
        /^taskwave\.yaml:2:40: error: workspace\.copy\.3: 'a\/\.\.\/\.\.\/b' leaves the repository/,
      ),
      expect.stringMatching(/^taskwave\.yaml:2:53: error: workspace\.copy\.4: '\.' is the repository root itself/),
    ]);
    expect(refused('workspace:\n  copy: [".git/config", ".git"]\n')).toEqual([
      expect.stringMatching(
        /^taskwave\.yaml:2:10: error: workspace\.copy\.0: '\.git\/config' is inside git's own folder/,
      ),
      expect.stringMatching(/^taskwave\.yaml:2:25: error: workspace\.copy\.1: '\.git' is inside git's own folder/),
    ]);
    expect(
      parseConfig('workspace:\n  copy: [".env", "config/local.json", "a/../b", ".github/x"]\n', 'taskwave.yaml').ok,
    ).toBe(true);
  });
});

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

describe('parseConfig: concurrency, bounded as --concurrency is', () => {
  it('refuses 0, more than 1000 and fractions at their line, for the run, an agent and the gates', () => {
    const bound = 'expected a whole number from 1 to 1000';
    expect(refused('concurrency: 5000\n')).toEqual([`taskwave.yaml:1:14: error: concurrency: ${bound}`]);
    expect(refused('concurrency: 0\n')).toEqual([`taskwave.yaml:1:14: error: concurrency: ${bound}`]);
    expect(refused('concurrency: 2.5\n')).toEqual([`taskwave.yaml:1:14: error: concurrency: ${bound}`]);
    expect(refused('agents:\n  claude:\n    concurrency: 1001\n')).toEqual([
      `taskwave.yaml:3:18: error: agents.claude.concurrency: ${bound}`,
    ]);
    expect(refused('gates:\n  concurrency: 5000\n')).toEqual([
      `taskwave.yaml:2:16: error: gates.concurrency: ${bound}`,
    ]);
    expect(parseConfig('concurrency: 1000\ngates:\n  concurrency: 1\n', 'taskwave.yaml').ok).toBe(true);
  });
});

describe('parseConfig: usageLimit', () => {
  it('takes a duration or 0 for usageLimit.wait, and refuses anything else at its line', () => {
    expect(parseConfig('usageLimit:\n  wait: 8h\n', 'taskwave.yaml').ok).toBe(true);
    expect(parseConfig('usageLimit:\n  wait: 0\n', 'taskwave.yaml').ok).toBe(true);
    const [soon] = refused('usageLimit:\n  wait: soon\n');
    expect(soon).toMatch(/^taskwave\.yaml:2:9: error: usageLimit\.wait: /);
    expect(refused('usageLimit:\n  wiat: 1h\n')[0]).toMatch(/^taskwave\.yaml:2:\d+: error: .*wiat/);
    // Not a duration, whatever its type: the same message, which says what is (0 too).
    const said = 'expected a duration such as 6h, 90m, or 0 to stop at once instead of waiting';
    for (const wait of ['true', '~', '-1', '"5 minutes"']) {
      expect(refused(`usageLimit:\n  wait: ${wait}\n`)).toEqual([`taskwave.yaml:2:9: error: usageLimit.wait: ${said}`]);
    }
  });
});
