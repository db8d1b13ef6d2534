import { formatDuration } from '../../../events.js';
import type { Plan, PlanProgress, Task, TaskProgress } from '../../types.js';
import { collapse } from '../markdown/lines.js';
import { logFileName } from './layout.js';

/*
 * The execution log a taskwave run writes, in the project's own style (`execution001.execution.md`):
 * a header block, an executive summary, one `#### Story N.M: Title` entry per story with its
 * `**Status**:` line and acceptance criteria, quality gates, the decisions the agents reported, and
 * the deviations. Rendered whole from the run's progress, so the same progress gives the same bytes.
 */

export interface LogInput {
  plan: Plan;
  progress: PlanProgress;
  /** The plan's `# ` heading. */
  planTitle: string;
  /** Link from the log to the plan (`../plans/plan001.plan.md`). */
  planLink: string;
  planName: string;
  number: number;
}

type Outcome = 'earlier' | TaskProgress['status'];

interface Row {
  id: string;
  title: string;
  task: Task | undefined;
  record: TaskProgress | undefined;
  outcome: Outcome;
  /** The record's times belong to this run (not to an earlier one it was carried over from). */
  thisRun: boolean;
}

const STATUS_LABEL: Record<Outcome, string> = {
  earlier: 'COMPLETED (earlier)',
  pending: 'PENDING',
  running: 'IN PROGRESS',
  done: 'COMPLETED',
  failed: 'FAILED',
  conflict: 'MERGE CONFLICT',
  unverified: 'UNVERIFIED',
  blocked: 'BLOCKED',
  cancelled: 'CANCELLED',
  skipped: 'SKIPPED',
};

const RUN_LABEL: Record<PlanProgress['status'], string> = {
  running: 'IN PROGRESS',
  done: 'COMPLETED',
  failed: 'FAILED',
  interrupted: 'INTERRUPTED',
};

export const runStatusLabel = (status: PlanProgress['status']): string => RUN_LABEL[status];

/**
 * The stories the log lists, in plan order: those done before the run, and those the run ran or has
 * still to run (stories it skips are not its work).
 */
function rowsOf(plan: Plan, progress: PlanProgress): Row[] {
  const rows: Row[] = [];
  const row = (id: string, task: Task | undefined, record: TaskProgress | undefined): void => {
    const thisRun = record?.startedAt !== undefined && record.startedAt >= progress.startedAt;
    let outcome: Outcome | undefined;
    if (record?.status === 'done' && thisRun) outcome = 'done';
    else if (task?.status === 'done' || record?.status === 'done') outcome = 'earlier';
    else if (record && record.status !== 'skipped') outcome = record.status;
    if (outcome !== undefined)
      rows.push({ id, title: task?.title ?? record?.title ?? id, task, record, outcome, thisRun });
  };
  const inPlan = new Set<string>();
  for (const t of plan.tasks) {
    inPlan.add(t.id);
    row(t.id, t, progress.tasks[t.id]);
  }
  for (const [id, record] of Object.entries(progress.tasks)) if (!inPlan.has(id)) row(id, undefined, record);
  return rows;
}

/** Whether the run has a story of its own to log: one it started, finished or decided (failed, blocked, cancelled). */
export function hasWorkOfTheRun(plan: Plan, progress: PlanProgress): boolean {
  return rowsOf(plan, progress).some((r) => r.outcome !== 'earlier' && r.outcome !== 'pending');
}

const points = (r: Row): number => (r.task?.estimateMinutes ?? 0) / 60;

function summary(rows: readonly Row[]): string[] {
  const groups: [string, (r: Row) => boolean][] = [
    ['Completed in this run', (r) => r.outcome === 'done'],
    ['Completed earlier', (r) => r.outcome === 'earlier'],
    ['In progress', (r) => r.outcome === 'running'],
    ['Pending', (r) => r.outcome === 'pending'],
    ['Failed', (r) => r.outcome === 'failed' || r.outcome === 'conflict' || r.outcome === 'unverified'],
    ['Blocked', (r) => r.outcome === 'blocked'],
    ['Cancelled', (r) => r.outcome === 'cancelled'],
  ];
  const out = ['| Stories | Count | Story Points |', '|---------|-------|--------------|'];
  for (const [label, match] of groups) {
    const members = rows.filter(match);
    out.push(`| ${label} | ${members.length} | ${members.reduce((s, r) => s + points(r), 0)} |`);
  }
  out.push(`| **Total** | ${rows.length} | ${rows.reduce((s, r) => s + points(r), 0)} |`);
  return out;
}

function dependenciesOf(task: Task | undefined): string {
  if (!task || task.deps.length === 0) return 'None';
  return task.deps.map((d) => `Story ${d.id}${d.kind === 'phase-order' ? ' (previous sprint)' : ''}`).join(', ');
}

function entry(r: Row): string[] {
  const rec = r.record;
  const times = r.thisRun ? rec : undefined;
  const pts = r.task?.estimateMinutes === undefined ? '—' : String(points(r));
  const ticked = r.outcome === 'done' || r.outcome === 'earlier';
  const out = [
    `#### Story ${r.id}: ${r.title}`,
    `**Status**: ${STATUS_LABEL[r.outcome]}`,
    `**Story Points**: ${pts}`,
    `**Agent**: ${(r.outcome !== 'earlier' && rec?.agent) || '—'}`,
    `**Attempts**: ${r.outcome === 'earlier' ? '—' : String(rec?.attempts ?? 0)}`,
    `**Started**: ${times?.startedAt ?? '—'}`,
    `**Finished**: ${times?.endedAt ?? '—'}`,
    `**Duration**: ${times?.durationMs === undefined ? '—' : formatDuration(times.durationMs)}`,
    `**Dependencies**: ${dependenciesOf(r.task)}`,
  ];
  const criteria = r.task?.criteria ?? [];
  if (criteria.length > 0) {
    out.push('', '**Acceptance Criteria Progress**:');
    for (const c of criteria) out.push(`- [${ticked ? 'x' : ' '}] ${collapse(c)}`);
  }
  out.push('', '---', '');
  return out;
}

/** An agent's message as a block quote: its headings and fences cannot break the log's structure. */
function quote(text: string): string[] {
  return text
    .trim()
    .split(/\r?\n/)
    .map((l) => (l.trim() === '' ? '>' : `> ${l.trimEnd()}`));
}

function decisions(rows: readonly Row[]): string[] {
  const out: string[] = [];
  let n = 0;
  for (const r of rows) {
    const text = r.outcome === 'done' ? r.record?.summary?.trim() : undefined;
    if (!text) continue;
    n++;
    out.push(`#### Decision DEC-${String(n).padStart(3, '0')}: Story ${r.id}`, `**Story**: ${r.title}`);
    if (r.record?.agent) out.push(`**Reported by**: ${r.record.agent}`);
    out.push('', ...quote(text), '');
  }
  return n === 0 ? ['No decisions were reported by the agents in this run.', ''] : out;
}

function deviations(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (!['failed', 'conflict', 'unverified', 'blocked', 'cancelled'].includes(r.outcome)) continue;
    const error = collapse(r.record?.error ?? '');
    out.push(`- **Story ${r.id}: ${r.title}** (${STATUS_LABEL[r.outcome]})${error === '' ? '' : `: ${error}`}`);
  }
  return out.length === 0 ? ['No deviations: no story failed, was blocked or was cancelled.', ''] : [...out, ''];
}

export function renderLog(input: LogInput): string {
  const { plan, progress } = input;
  const rows = rowsOf(plan, progress);
  const planRef = `[${input.planName}](${input.planLink})`;
  const out = [
    `# Execution Log ${String(input.number).padStart(3, '0')}: ${input.planTitle} — taskwave run ${progress.runId}`,
    '',
    `**Document ID**: ${logFileName(input.number)}`,
    `**Created**: ${progress.startedAt}`,
    `**Last Updated**: ${progress.updatedAt}`,
    '**Generated by**: taskwave',
    `**Run**: ${progress.runId}`,
    `**Status**: ${RUN_LABEL[progress.status]}`,
    `**References**: ${planRef}`,
    '',
    '---',
    '',
    '## Executive Summary',
    '',
    `This log records taskwave run \`${progress.runId}\` of ${planRef}, started ${progress.startedAt}.`,
    '',
    ...summary(rows),
    '',
    '---',
    '',
    '## Story Implementation Tracking',
    '',
  ];
  const known = new Set(plan.phases.map((p) => p.id));
  const groups = plan.phases.map((p) => ({ title: p.title, members: rows.filter((r) => r.task?.phase === p.id) }));
  groups.push({ title: 'Other stories', members: rows.filter((r) => !r.task || !known.has(r.task.phase)) });
  for (const group of groups) {
    if (group.members.length === 0) continue;
    out.push(`### ${group.title}`, '');
    for (const r of group.members) out.push(...entry(r));
  }
  out.push('## Quality Gates', '', 'No quality gates were configured for this run.', '', '---', '');
  out.push('## Decision Log', '', ...decisions(rows), '---', '');
  out.push('## Deviations', '', ...deviations(rows));
  return `${out.join('\n').trimEnd()}\n`;
}
