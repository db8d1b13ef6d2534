import { describe, expect, it } from 'vitest';
import { SUBJECT_MAX, taskCommitMessage } from '../../src/workspace/commit.js';

const LONG =
  'Implement the export service in `src/export/service.ts`: stream invoices as CSV or PDF in chunks of ' +
  '1,000 rows, resume an interrupted export from its last chunk, and report progress to the job queue ' +
  'so that the dashboard can show it (see contracts/export.yaml for the endpoints and their errors)';

const subjectOf = (message: string) => message.split('\n')[0] as string;

describe('task commit messages', () => {
  it('keeps a short title whole as the subject, the summary as the body', () => {
    expect(taskCommitMessage('T001', 'Write `a.txt`')).toBe('T001: Write `a.txt`\n');
    expect(taskCommitMessage('T001', 'Write\n  `a.txt` ', 'Wrote it.\n')).toBe('T001: Write `a.txt`\n\nWrote it.\n');
  });

  it('cuts a long title at a word with …, task id first, and gives it whole in the body', () => {
    const message = taskCommitMessage('T012', LONG, 'Done: both formats stream.');
    const subject = subjectOf(message);
    expect(Array.from(subject).length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subject).toBe('T012: Implement the export service in `src/export/service.ts`: stream…');
    expect(message).toBe(`${subject}\n\n${LONG}\n\nDone: both formats stream.\n`);
    // Exactly SUBJECT_MAX is not cut.
    const fits = 'x'.repeat(SUBJECT_MAX - 'T1: '.length);
    expect(taskCommitMessage('T1', fits)).toBe(`T1: ${fits}\n`);
  });

  it('never cuts off the note after the title, and never splits a character', () => {
    const subject = subjectOf(taskCommitMessage('T012', LONG, undefined, 'unfinished: attempt 2 failed'));
    expect(subject).toBe('T012: Implement the export service in… (unfinished: attempt 2 failed)');
    const emoji = `${'🚀'.repeat(80)}`;
    const cut = subjectOf(taskCommitMessage('T1', emoji));
    expect(cut).toBe(`T1: ${'🚀'.repeat(SUBJECT_MAX - 'T1: '.length - 1)}…`);
    // One word longer than the room is cut inside it rather than dropped.
    expect(subjectOf(taskCommitMessage('T1', `Do ${'a'.repeat(100)}`))).toBe(
      `T1: Do ${'a'.repeat(SUBJECT_MAX - 'T1: Do '.length - 1)}…`,
    );
  });
});
