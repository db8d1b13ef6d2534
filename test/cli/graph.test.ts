import { describe, expect, it } from 'vitest';
import { mermaidLabel } from '../../src/cli/graph-command.js';

describe('mermaidLabel', () => {
  it('cuts the text before escaping it, so a quote at the cut is never half an entity', () => {
    const title = `${'x'.repeat(58)}"quoted"`;
    expect(mermaidLabel(title)).toBe(`${'x'.repeat(58)}#quot;q`);
    expect(mermaidLabel('say "hi"')).toBe('say #quot;hi#quot;');
  });
});
