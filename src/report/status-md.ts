/**
 * `status.md`: where a run stands, rewritten as it goes, for someone who looks in from another
 * terminal or an editor. Kept short: it is rendered on (debounced) events of runs of thousands of tasks.
 */
import { type ExecutionState, standingLimit } from '../state/execution.js';
import {
  attentionText,
  clip,
  code,
  formatSpan,
  formatTime,
  NEEDS_ATTENTION,
  oneLine,
  type ReportPlan,
  scopedTasks,
} from './report-md.js';

const BAR_WIDTH = 20;
const NEXT_UP = 10;
const ATTENTION_MAX = 20;

/** `[#####...............] 5/20`: done tasks over the tasks of this run. */
export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

export function renderStatus(state: ExecutionState, plan: ReportPlan, now: Date): string {
  const tasks = scopedTasks(state, plan);
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.rec.status, (counts.get(t.rec.status) ?? 0) + 1);
  const count = (s: string) => counts.get(s) ?? 0;
  const done = count('done');
  const lines = [`# taskwave run ${state.runId}: ${state.status}`, ''];
  lines.push(`- Plan: ${code(plan.path)} (${plan.format})`);
  lines.push(`- Started: ${formatTime(state.startedAt)}`);
  lines.push(`- Updated: ${formatTime(now.toISOString())}`);
  if (state.stopReason) lines.push(`- Stopping: ${oneLine(state.stopReason)}`);
  // An agent at its usage limit (this run met it, or an earlier one did): nothing starts on it before.
  for (const [agent, limit] of Object.entries(state.status === 'running' ? (state.agentLimits ?? {}) : {})) {
    const until = standingLimit(limit, now.getTime());
    if (until === undefined) continue;
    lines.push(
      `- Waiting: for ${oneLine(agent)}'s usage limit to reset, until ${formatTime(new Date(until).toISOString())} (${formatSpan(until - now.getTime())} from now); nothing starts on it before`,
    );
  }
  lines.push('', `Progress: ${progressBar(done, tasks.length)} done`, '');
  const parts = (['running', 'pending', 'failed', 'conflict', 'unverified', 'blocked', 'cancelled'] as const).flatMap(
    (s) => (count(s) ? [`${count(s)} ${s}`] : []),
  );
  if (parts.length) lines.push(parts.join(', '), '');

  const running = tasks.filter((t) => t.rec.status === 'running');
  if (running.length) {
    lines.push('## Running', '');
    for (const t of running) {
      const since = t.rec.startedAt ? Date.parse(t.rec.startedAt) : Number.NaN;
      const elapsed = Number.isFinite(since) ? formatSpan(Math.max(0, now.getTime() - since)) : '?';
      const agent = t.rec.agent ? `, ${t.rec.agent}` : '';
      const until = t.rec.waitingUntil ? Date.parse(t.rec.waitingUntil) : Number.NaN;
      // Waiting out its agent's usage limit: when it goes on, not how long it has run.
      const waiting =
        Number.isFinite(until) && until > now.getTime()
          ? `; waiting for ${t.rec.agent ?? 'its agent'}'s usage limit to reset, until ${formatTime(t.rec.waitingUntil as string)} (${formatSpan(until - now.getTime())} from now)`
          : '';
      lines.push(
        `- ${code(t.id)} ${clip(oneLine(t.title), 80)}: ${elapsed}, attempt ${t.rec.attempts}${agent}${waiting}`,
      );
    }
    lines.push('');
  }

  const attention = tasks.filter((t) => NEEDS_ATTENTION.has(t.rec.status));
  if (attention.length) {
    lines.push('## Needs attention', '');
    for (const t of attention.slice(0, ATTENTION_MAX)) {
      lines.push(`- ${code(t.id)} ${clip(oneLine(t.title), 80)}: ${clip(attentionText(t.rec), 200)}`);
    }
    if (attention.length > ATTENTION_MAX) lines.push(`- … and ${attention.length - ATTENTION_MAX} more`);
    lines.push('');
  }

  const pending = tasks.filter((t) => t.rec.status === 'pending');
  if (pending.length) {
    // Plan order, not the scheduler's: close enough for a glance, and needs no scheduler state.
    lines.push('## Next up', '');
    for (const t of pending.slice(0, NEXT_UP)) lines.push(`- ${code(t.id)} ${clip(oneLine(t.title), 80)}`);
    if (pending.length > NEXT_UP) lines.push(`- … and ${pending.length - NEXT_UP} more`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
