import type { RunEvent } from '../events.js';
import { mapStrings } from '../util/map-strings.js';
import { terminalText } from '../util/terminal-text.js';
import { stripAnsi } from './report-md.js';

/** Fields that name one thing on one line: a newline in one would fake a line of the view. */
const ONE_LINE = new Set(['taskId', 'id', 'title', 'runId', 'plan', 'agent', 'blockedBy', 'name', 'command', 'gate']);
/** An agent's own output: its colours and cursor moves are dropped, not shown as codes. */
const AGENT_TEXT = new Set(['line', 'text']);

/**
 * An event as the terminal views may print it: task titles come from the plan and lines from the
 * agents, and either may hold escape sequences (retitle the window, erase the line, move the
 * cursor). Control characters are shown as `\xNN` (see `terminalText`); the books keep the text as it was.
 */
export function terminalEvent(e: RunEvent): RunEvent {
  return mapStrings(e, (text, field) => {
    if (field !== undefined && AGENT_TEXT.has(field)) return terminalText(stripAnsi(text), { oneLine: true });
    return terminalText(text, { oneLine: field !== undefined && ONE_LINE.has(field) });
  });
}
