import { describe, expect, it } from 'vitest';
import { fenceFor, renderRepairPrompt } from '../../src/gates/repair-prompt.js';
import type { GateResult } from '../../src/gates/types.js';

const PROMPT = '# Task T003: Add the login endpoint\n\nImplement POST /login.\n';

describe('renderRepairPrompt', () => {
  it('adds the failing command, its exit and its output tail after the task', () => {
    const failed: GateResult = {
      name: 'unit tests',
      command: 'npm test -- --run',
      ok: false,
      exitCode: 1,
      durationMs: 1200,
      outputTail: 'FAIL src/login.test.ts\n  expected 401 to be 200',
      message: 'exit 1',
    };
    expect(renderRepairPrompt(PROMPT, failed, 1, 2)).toBe(
      [
        '# Task T003: Add the login endpoint',
        '',
        'Implement POST /login.',
        '',
        '## Verification failed',
        '',
        'Your previous attempt at this task did not pass verification. This is repair attempt 1 of 2.',
        '',
        '- Check: unit tests',
        '- Command: `npm test -- --run`',
        '- Result: exit 1',
        '',
        'The end of its output:',
        '',
        '```',
        'FAIL src/login.test.ts',
        '  expected 401 to be 200',
        '```',
        '',
        'What to do:',
        '',
        '- Find and fix the cause in this worktree; your earlier changes are still here.',
        '- Do not disable, skip, weaken or delete the check, its tests or its configuration to make it pass.',
        '- Do not commit: taskwave takes care of that once the checks pass.',
        '- When you are done, taskwave runs the command again; you may run it yourself first.',
        '',
      ].join('\n'),
    );
  });

  it('fences output that holds backticks with a longer fence, and quotes a command with backticks', () => {
    const out = 'see ```js\ncode\n```` and more';
    expect(fenceFor(out)).toBe('`````');
    const p = renderRepairPrompt(
      PROMPT,
      { name: 'docs', command: 'echo `date`', ok: false, exitCode: 2, durationMs: 1, outputTail: out },
      2,
      2,
    );
    expect(p).toContain('- Command: `` echo `date` ``');
    expect(p).toContain(`\`\`\`\`\`\n${out}\n\`\`\`\`\``);
    expect(p).toContain('repair attempt 2 of 2');
  });

  it('says it timed out', () => {
    const p = renderRepairPrompt(
      PROMPT,
      {
        name: 'e2e',
        command: 'make e2e',
        ok: false,
        exitCode: null,
        timedOut: true,
        durationMs: 120_000,
        outputTail: '',
        message: 'timed out after 2m00s',
      },
      1,
      2,
    );
    expect(p).toContain('- Result: timed out after 2m00s');
    expect(p).toContain('It ran out of time');
    expect(p).not.toContain('The end of its output');
  });

  it('says what a built-in check wants', () => {
    const changed = renderRepairPrompt(
      PROMPT,
      {
        name: 'changed-something',
        command: 'builtin:changed-something',
        builtin: true,
        ok: false,
        durationMs: 3,
        outputTail: '',
        message: 'the agent changed no file',
      },
      1,
      2,
    );
    expect(changed).toContain('- Result: the agent changed no file');
    expect(changed).toContain('You changed no file. Do the task. If it truly needs no change');
    expect(changed).toContain('taskwave runs the check again');

    const secrets = renderRepairPrompt(
      PROMPT,
      {
        name: 'no-secrets',
        command: 'builtin:no-secrets',
        builtin: true,
        ok: false,
        durationMs: 3,
        outputTail: 'src/a.ts:3: aws-access-key-id (AKIA…)',
        message: 'possible secret: src/a.ts:3: aws-access-key-id (AKIA…)',
      },
      1,
      2,
    );
    expect(secrets).toContain('looks like a secret');
    expect(secrets).toContain('Details:\n\n```\nsrc/a.ts:3: aws-access-key-id (AKIA…)\n```');

    const named = renderRepairPrompt(
      PROMPT,
      {
        name: 'named-files-exist',
        command: 'builtin:named-files-exist',
        builtin: true,
        ok: false,
        durationMs: 1,
        outputTail: 'tests/test_login.py',
        message: 'missing after the task: tests/test_login.py',
      },
      1,
      1,
    );
    expect(named).toContain('Create them');
    expect(named).toContain('- Result: missing after the task: tests/test_login.py');
  });
});
