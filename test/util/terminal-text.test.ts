import { describe, expect, it } from 'vitest';
import { terminalText } from '../../src/util/terminal-text.js';

describe('terminalText', () => {
  const evil = 'evil \x1b]0;PWNED\x07 \x1b[2K\r fake';

  it('shows control characters as \\xNN instead of sending them', () => {
    expect(terminalText(evil)).toBe('evil \\x1b]0;PWNED\\x07 \\x1b[2K\\x0d fake');
    expect(terminalText('8-bit CSI \u009b2J, DEL \x7f, NUL \0')).toBe('8-bit CSI \\x9b2J, DEL \\x7f, NUL \\x00');
  });

  it('keeps tabs, newlines and CRLF line ends of a block; one line escapes newlines too', () => {
    expect(terminalText('a\tb\nc\r\nd')).toBe('a\tb\nc\r\nd');
    expect(terminalText('title\n✔ T002 done', { oneLine: true })).toBe('title\\x0a✔ T002 done');
  });

  it('leaves ordinary text, accents and emoji alone', () => {
    const text = 'Write `src/a.ts` — naïve café 😀 «quotes»';
    expect(terminalText(text)).toBe(text);
    expect(terminalText(text, { oneLine: true })).toBe(text);
  });
});
