import pc from 'picocolors';
import type { Colors } from 'picocolors/types.js';
import { formatDuration, type RunSummary, type TaskSummary } from '../events.js';

const MARK: Record<TaskSummary['status'], string> = {
  done: '✔',
  failed: '✖',
  conflict: '✖',
  unverified: '✖',
  blocked: '⊘',
  cancelled: '◌',
  pending: '·',
  skipped: '–',
};

function paint(status: TaskSummary['status'], text: string, c: Colors): string {
  switch (status) {
    case 'done':
      return c.green(text);
    case 'failed':
    case 'conflict':
    case 'unverified':
      return c.red(text);
    case 'blocked':
    case 'cancelled':
      return c.yellow(text);
    default:
      return c.dim(text);
  }
}

/** The table printed at the end of a run: each task's outcome and time, then the totals. */
export function renderSummary(s: RunSummary, opts: { color: boolean; width?: number }): string {
  const colors = pc.createColors(opts.color);
  const rows = s.tasks;
  const idW = Math.max(4, ...rows.map((r) => r.id.length));
  const width = opts.width ?? 100;
  const titleW = Math.max(20, width - idW - 32);
  const lines: string[] = [];
  lines.push(`${'task'.padEnd(idW)}  ${'outcome'.padEnd(10)}${'time'.padStart(8)}  title`);
  for (const r of rows) {
    const title = r.title.length > titleW ? `${r.title.slice(0, titleW - 1)}…` : r.title;
    const outcome = `${MARK[r.status]} ${r.status}`.padEnd(10);
    const time = (r.durationMs !== undefined ? formatDuration(r.durationMs) : '').padStart(8);
    lines.push(`${r.id.padEnd(idW)}  ${paint(r.status, outcome, colors)}${time}  ${title}`);
    if (r.error && r.status !== 'done') lines.push(`${''.padEnd(idW)}    ${paint(r.status, r.error, colors)}`);
  }
  const c = s.counts;
  // A task not finished was stopped while running, or never started (a budget, --fail-fast, Ctrl-C).
  const stopped = rows.filter((r) => r.status === 'cancelled').length;
  const notStarted = c.cancelled - stopped;
  const parts = [`${c.done} done`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.conflict) parts.push(`${c.conflict} conflict`);
  if (c.unverified) parts.push(`${c.unverified} unverified`);
  if (c.blocked) parts.push(`${c.blocked} blocked`);
  if (stopped) parts.push(`${stopped} not finished`);
  if (notStarted) parts.push(`${notStarted} not started`);
  if (c.skipped) parts.push(`${c.skipped} already done`);
  const verdict = verdictOf(s);
  lines.push('');
  lines.push(`${verdict}: ${parts.join(', ')} in ${formatDuration(s.durationMs)}`);
  return lines.join('\n');
}

/** What the run came to, in a few words: the line the totals follow. */
function verdictOf(s: RunSummary): string {
  switch (s.status) {
    case 'done':
      return 'all selected tasks done';
    case 'interrupted':
      return 'interrupted';
    case 'failed':
      if (s.counts.failed > 0) return 'some tasks failed';
      if (s.counts.conflict > 0) return 'some tasks could not be merged';
      if (s.counts.unverified > 0) return 'some tasks changed nothing';
      if (s.gatesFailed !== undefined) {
        const which = s.gatesFailed.scope === 'final' ? 'the final gates' : `the gates of phase ${s.gatesFailed.scope}`;
        return `${which} failed (${s.gatesFailed.detail})`;
      }
      // Nothing failed: it stopped starting tasks (a budget reached), and says why.
      if (s.stoppedBy !== undefined && s.counts.blocked === 0) return `stopped: ${s.stoppedBy}`;
      // Blocked with nothing failed in this run: by a phase's gates.
      if (s.counts.blocked > 0) return 'some tasks are blocked';
      return 'the run failed';
    default: {
      const never: never = s.status;
      return never;
    }
  }
}
