import type { TaskStatus } from '../../types.js';

/*
 * Taskmaster's own words for a task's fields, in taskwave's terms.
 */

/** A task id as written: a number (`3`) or a string (`"3"`, `"auth-setup"`), as taskwave's id text. */
export function idText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

/** A subtask's full id: numbered within its parent (`3.2`); a subtask that already writes `3.2` keeps it. */
export function subtaskId(parentId: string, ownId: string): string {
  return ownId.startsWith(`${parentId}.`) ? ownId : `${parentId}.${ownId}`;
}

const STATUS: Readonly<Record<string, TaskStatus>> = {
  pending: 'pending',
  'in-progress': 'in-progress',
  done: 'done',
  completed: 'done',
  // The work exists and waits for a person; running it again would redo it.
  review: 'done',
  deferred: 'deferred',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  // taskwave works out for itself what is blocked, from the dependencies.
  blocked: 'pending',
};

/** taskwave's status for a Taskmaster status; `undefined` for a word Taskmaster does not use. */
export function mapStatus(value: string): TaskStatus | undefined {
  return STATUS[value.trim().toLowerCase()];
}

/** Whether a raw `status` value already counts as done (so a write-back leaves it as it is). */
export function isDoneStatus(value: unknown): boolean {
  return typeof value === 'string' && mapStatus(value) === 'done';
}

/** A text field as prompt text: `\r\n` made `\n`, blank lines and trailing spaces at the ends dropped. */
export function promptText(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value
    .replace(/\r\n?/g, '\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
}

/** What goes into the agent's prompt: description, details (info blocks as written), test strategy. */
export function taskBody(description: unknown, details: unknown, testStrategy: unknown): string {
  const parts = [promptText(description), promptText(details)];
  const strategy = promptText(testStrategy);
  if (strategy !== '') parts.push(`Test strategy: ${strategy}`);
  return parts.filter((p) => p !== '').join('\n\n');
}

/**
 * A title on one line. The lookbehind starts a match only where a run of whitespace does: tried from
 * each space of a long run without a newline, `\s*\n` is quadratic.
 */
export function titleText(value: string): string {
  return value.trim().replace(/(?<!\s)\s*\n\s*/g, ' ');
}
