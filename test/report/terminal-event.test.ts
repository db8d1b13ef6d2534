import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events.js';
import { terminalEvent } from '../../src/report/terminal-event.js';

describe('terminalEvent', () => {
  it('escapes control characters in titles and ids, newlines included', () => {
    const e = terminalEvent({
      type: 'task-started',
      taskId: 'T\x1b[2K1',
      title: 'evil \x1b]0;PWNED\x07\n✔ T002 done',
      attempt: 1,
      agent: 'fake',
    });
    expect(e).toMatchObject({ taskId: 'T\\x1b[2K1', title: 'evil \\x1b]0;PWNED\\x07\\x0a✔ T002 done' });
  });

  it("drops an agent's colours and cursor moves from its output, and escapes what is left", () => {
    const e = terminalEvent({ type: 'task-output', taskId: 'T001', stream: 'stdout', line: '\x1b[32mok\x1b[0m\r 50%' });
    expect(e).toMatchObject({ line: 'ok\\x0d 50%' });
  });

  it("keeps the lines of a failure's message, and hands on a clean event as it is", () => {
    const message = 'setup failed (exit 1):\nline one\x1b[2K\nline two';
    const e = terminalEvent({ type: 'warning', message });
    expect(e).toMatchObject({ message: 'setup failed (exit 1):\nline one\\x1b[2K\nline two' });
    const clean: RunEvent = { type: 'warning', message: 'plain\nlines' };
    expect(terminalEvent(clean)).toBe(clean);
  });
});
