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
