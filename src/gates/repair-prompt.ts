import type { GateResult } from './types.js';

/*
 * The prompt for a repair attempt: the task as before, then what failed and how. The agent runs in
 * the same worktree (often in its resumed session), so it only needs the failure, not a fresh start.
 */

/** What each built-in check wants, said to the agent. */
const BUILTIN_ASK: Record<string, string> = {
  'changed-something':
    'You changed no file. Do the task. If it truly needs no change, make no edit and say in your final message why nothing had to change.',
  'named-files-exist':
    'The task names files that do not exist in the worktree after your attempt (listed below). Create them with the content the task asks for, at exactly those paths.',
  'no-secrets':
    'Your changes add something that looks like a secret (an API key, a token, a private key, a password), listed below. Remove it and read it from the environment or the project’s configuration instead; never write real credentials into the repository. If it is a made-up test value, make it look like one (for example `test-…` or `example`).',
};

/** A fence longer than any run of backticks in `text`, so the output cannot close it early. */
export function fenceFor(text: string): string {
  return '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return longest;
}

/** An inline code span that holds `text` whole, backticks included. */
function inlineCode(text: string): string {
  const delim = '`'.repeat(longestBacktickRun(text) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${delim}${pad}${text}${pad}${delim}`;
}

function outcome(failed: GateResult): string {
  if (failed.timedOut) return failed.message ?? 'timed out';
  if (failed.builtin) return failed.message ?? 'failed';
  if (failed.exitCode !== undefined && failed.exitCode !== null) return `exit ${failed.exitCode}`;
  return failed.message ?? 'failed';
}

export function renderRepairPrompt(
  taskPrompt: string,
  failed: GateResult,
  attempt: number,
  maxAttempts: number,
): string {
  const lines: string[] = [taskPrompt.trimEnd(), '', '## Verification failed', ''];
  lines.push(
    `Your previous attempt at this task did not pass verification. This is repair attempt ${attempt} of ${maxAttempts}.`,
    '',
    `- Check: ${failed.name}`,
    `- Command: ${inlineCode(failed.command)}`,
    `- Result: ${outcome(failed)}`,
  );
  if (failed.timedOut) {
    lines.push('', 'It ran out of time: look for a hang, an endless loop, or a test that waits for input or a server.');
  }
  const ask = failed.builtin ? BUILTIN_ASK[failed.name] : undefined;
  if (ask) lines.push('', ask);
  const tail = failed.outputTail.trimEnd();
  if (tail) {
    const fence = fenceFor(tail);
    lines.push('', failed.builtin ? 'Details:' : 'The end of its output:', '', fence, tail, fence);
  }
  lines.push(
    '',
    'What to do:',
    '',
    '- Find and fix the cause in this worktree; your earlier changes are still here.',
    '- Do not disable, skip, weaken or delete the check, its tests or its configuration to make it pass.',
    '- Do not commit: taskwave takes care of that once the checks pass.',
    failed.builtin
      ? '- When you are done, taskwave runs the check again.'
      : '- When you are done, taskwave runs the command again; you may run it yourself first.',
  );
  return `${lines.join('\n')}\n`;
}
