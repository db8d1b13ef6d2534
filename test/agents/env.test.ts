import { describe, expect, it } from 'vitest';
import { capEnvText, ENV_TEXT_MAX } from '../../src/agents/stream.js';

describe('capEnvText', () => {
  it('leaves a title of ordinary length as it is', () => {
    expect(capEnvText('T001 write the parser')).toBe('T001 write the parser');
    expect(capEnvText('a'.repeat(ENV_TEXT_MAX))).toBe('a'.repeat(ENV_TEXT_MAX));
  });

  it('cuts a long one to the limit with an ellipsis, never through a surrogate pair', () => {
    const cut = capEnvText('a'.repeat(150_000));
    expect(cut.length).toBe(ENV_TEXT_MAX);
    expect(cut.endsWith('a…')).toBe(true);
    // An emoji straddling the cut goes whole.
    const emoji = capEnvText(`${'a'.repeat(ENV_TEXT_MAX - 2)}😀${'b'.repeat(10)}`);
    expect(emoji).toBe(`${'a'.repeat(ENV_TEXT_MAX - 2)}…`);
    expect(Buffer.from(emoji, 'utf8').toString('utf8')).toBe(emoji);
  });
});
