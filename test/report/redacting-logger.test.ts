import { describe, expect, it } from 'vitest';
import type { Logger, RunEvent } from '../../src/events.js';
import { redactingLogger } from '../../src/report/redacting-logger.js';
import { makeRedactor } from '../../src/util/redact.js';

const SECRET = 'ghp_qasecret0123456789abcdefXYZ';

function capture(): { logger: Logger; events: RunEvent[] } {
  const events: RunEvent[] = [];
  return { events, logger: { log: (e) => events.push(e), close: () => {} } };
}

describe('redactingLogger', () => {
  const redact = makeRedactor({ GITHUB_TOKEN: SECRET });

  it('masks every string of every event, however deep: errors, warnings, the summary', () => {
    const { logger, events } = capture();
    const log = redactingLogger(logger, redact);
    const message = `could not merge it: git merge failed (exit 1): remote said ${SECRET}`;
    log.log({
      type: 'task-failed',
      taskId: 'T001',
      title: 'first',
      durationMs: 5,
      error: { reason: 'merge-failed', message },
      message,
    });
    log.log({ type: 'warning', message: `setup printed ${SECRET}` });
    log.log({
      type: 'run-finished',
      runId: 'r',
      summary: {
        status: 'failed',
        durationMs: 5,
        counts: { total: 1, done: 0, failed: 1, conflict: 0, unverified: 0, blocked: 0, cancelled: 0, skipped: 0 },
        tasks: [{ id: 'T001', title: 'first', status: 'failed', attempts: 1, error: message }],
      },
    });
    const text = JSON.stringify(events);
    expect(text).not.toContain(SECRET);
    expect(text).toContain('remote said ***');
    expect(text).toContain('setup printed ***');
    const finished = events[2];
    expect(finished?.type === 'run-finished' && finished.summary.counts.failed).toBe(1);
  });

  it('hands on an event with nothing to mask as it is', () => {
    const { logger, events } = capture();
    const e: RunEvent = { type: 'task-started', taskId: 'T001', title: 'first', attempt: 1, agent: 'fake' };
    redactingLogger(logger, redact).log(e);
    expect(events[0]).toBe(e);
  });
});
