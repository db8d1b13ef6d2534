/**
 * `report.md`: what a run did, for a person reading it afterwards (or a reviewer of the branch).
 * Pure: the run's books and the plan in, markdown out; the caller writes the file.
 */
import { addUsage, type Usage } from '../events.js';
import type { GateResult } from '../gates/types.js';
import type { Phase, Task } from '../plan/types.js';
import type { ExecutionState, TaskRecord, TaskRecordStatus } from '../state/execution.js';

/** What the renderers need of the plan; a `Plan` fits (with `path` made a display path by the caller). */
export interface ReportPlan {
  /** As a person would type it on the command line (relative to where they stand). */
  path: string;
  format: string;
  /** In plan order. */
  tasks: readonly Pick<Task, 'id' | 'title' | 'phase' | 'estimateMinutes'>[];
  phases: readonly Pick<Phase, 'id' | 'title'>[];
  /** The tasks this run was asked to run (`--only`, `--phase`, …): a task outside them is not this run's. */
  selected?: ReadonlySet<string>;
}

export interface ReportInput {
  state: ExecutionState;
  plan: ReportPlan;
  /** The command that runs these tasks again, e.g. `taskwave run tasks.md --only T003 T005`; with none, the whole plan. */
  retryCommand: (ids: string[]) => string;
  /** The command that continues an interrupted run; `taskwave resume` unless told. */
  resumeCommand?: string;
  /**
   * The run's wall time, from the `run-finished` summary. Without it the report uses `updatedAt -
   * startedAt`, which for a resumed run includes the time it stood still.
   */
  durationMs?: number;
}

/** A task of this run, in plan order, with the plan's facts beside the books'. */
export interface ScopedTask {
  id: string;
  title: string;
  phase?: string;
  estimateMinutes?: number;
  rec: TaskRecord;
}

/**
 * The tasks this run is about, in plan order (records the plan no longer names come last).
 *
 * `state.tasks` holds every task of the plan: those the plan skips are `skipped`, those outside the
 * selection (`plan.selected`) are `pending` for a later run, and those done before this run keep
 * their old records. None belongs in this run's report: a task done earlier is recognised by not
 * having started since the run began (a resumed run keeps its `startedAt`, so tasks of its earlier
 * process still count).
 */
export function scopedTasks(state: ExecutionState, plan: ReportPlan): ScopedTask[] {
  const out: ScopedTask[] = [];
  const seen = new Set<string>();
  const add = (id: string, p?: ReportPlan['tasks'][number]) => {
    const rec = state.tasks[id];
    seen.add(id);
    if (!rec || !inThisRun(state, rec) || (plan.selected && !plan.selected.has(id))) return;
    out.push({ id, title: rec.title || p?.title || id, phase: p?.phase, estimateMinutes: p?.estimateMinutes, rec });
  };
  for (const t of plan.tasks) add(t.id, t);
  for (const id of Object.keys(state.tasks).sort()) if (!seen.has(id)) add(id);
  return out;
}

function inThisRun(state: ExecutionState, rec: TaskRecord): boolean {
  if (rec.status === 'skipped') return false;
  if (rec.status === 'done') return rec.startedAt !== undefined && rec.startedAt >= state.startedAt;
  return true;
}

/** Records of the plan that are not part of this run: already done, or not selected / skipped by the plan. */
export function outOfScopeCounts(state: ExecutionState): { alreadyDone: number; skipped: number } {
  let alreadyDone = 0;
  let skipped = 0;
  for (const rec of Object.values(state.tasks)) {
    if (inThisRun(state, rec)) continue;
    if (rec.status === 'done') alreadyDone++;
    else skipped++;
  }
  return { alreadyDone, skipped };
}

export const NEEDS_ATTENTION: ReadonlySet<TaskRecordStatus> = new Set(['failed', 'conflict', 'unverified', 'blocked']);

// ---------------------------------------------------------------------------------------------
// Formatting shared by the report, status.md and JUnit.

/** `12,345`; by hand so the output does not depend on the machine's locale data. */
export function formatTokens(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `$0.0375` below a dollar (agent runs cost cents), `$12.50` above. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) < 1) {
    const s = usd.toFixed(4);
    return s === '0.0000' ? '<$0.0001' : `$${s}`;
  }
  return `$${usd.toFixed(2)}`;
}

/**
 * `45s`, `12m 5s`, `1h 40m`, `2h`: the terms plans write estimates in, so estimate and actual read
 * alike (`formatDuration` of the live views is tuned for ticking clocks instead).
 */
export function formatSpan(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return '<1s';
  const totalS = Math.round(ms / 1000);
  if (totalS < 60) return `${totalS}s`;
  if (totalS < 3600) {
    const m = Math.floor(totalS / 60);
    const s = totalS % 60;
    return s ? `${m}m ${s}s` : `${m}m`;
  }
  const totalM = Math.round(totalS / 60);
  const h = Math.floor(totalM / 60);
  const m = totalM % 60;
  return m ? `${h}h ${m}m` : `${h}h`;
}

/** `2025-01-02 10:11:12 UTC`: the same on every machine, unlike a local time. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Colour and cursor sequences agents and test runners write: noise in a file. */
export function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
  return s.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '');
}

/** Text on one line: newlines and runs of blanks become one space. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Cut to `max` characters with an ellipsis. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s;
}

/** A markdown table cell: one line, `|` escaped so it does not end the cell. */
export function cell(s: string): string {
  return oneLine(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

/** A fenced block whose fence is longer than any run of backticks in the text, so the text cannot close it. */
export function fenced(text: string, lang = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `${fence}${lang}\n${body}${fence}`;
}

/** Inline code that survives backticks inside it. */
export function code(s: string): string {
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = longest > 0 ? ' ' : '';
  return `${ticks}${pad}${s}${pad}${ticks}`;
}

/** The branch a conflict left the task's work on, from the error text (`…; its work is kept on branch X`). */
export function branchOf(error: string | undefined): string | undefined {
  return error?.match(/\bbranch\s+([^\s;,]+)/)?.[1]?.replace(/[.)]+$/, '');
}

// ---------------------------------------------------------------------------------------------

/** Totals over tasks; cost only over those that report one, and how many did not. */
interface Totals {
  usage: Usage | undefined;
  withoutCost: number;
  durationMs: number;
  attempts: number;
  repairs: number;
  retries: number;
}

function totalsOf(tasks: readonly ScopedTask[]): Totals {
  const t: Totals = { usage: undefined, withoutCost: 0, durationMs: 0, attempts: 0, repairs: 0, retries: 0 };
  for (const { rec } of tasks) {
    t.usage = addUsage(t.usage, rec.usage);
    // A task that ran an agent but has no cost was paid for all the same: the total is a lower bound.
    if (rec.usage && rec.usage.costUsd === undefined) t.withoutCost++;
    t.durationMs += rec.durationMs ?? 0;
    t.attempts += rec.attempts;
    t.repairs += rec.repairs ?? 0;
    t.retries += rec.retries ?? 0;
  }
  return t;
}

const DASH = '–';

function timeCell(t: ScopedTask): string {
  const actual = t.rec.durationMs !== undefined ? formatSpan(t.rec.durationMs) : undefined;
  if (t.estimateMinutes === undefined) return actual ?? DASH;
  const est = `${formatSpan(t.estimateMinutes * 60_000)} est`;
  return actual ? `${est} / ${actual}` : est;
}

function phaseLabel(plan: ReportPlan, id: string): string {
  const p = plan.phases.find((x) => x.id === id);
  return p?.title && p.title !== id ? `phase ${id} (${oneLine(p.title)})` : `phase ${id}`;
}

/** The whole report. */
export function renderReport(input: ReportInput): string {
  const { state, plan } = input;
  const tasks = scopedTasks(state, plan);
  const out: string[] = [];
  out.push(...header(input, tasks), '');
  out.push(...outcome(state, tasks), '');
  out.push(...taskTable(tasks), '');
  const est = estimates(tasks);
  if (est.length) out.push(...est, '');
  out.push(...gates(plan, state, tasks), '');
  out.push(...repairs(tasks), '');
  out.push(...limitWaits(tasks), '');
  out.push(...decisions(tasks), '');
  out.push(...nextSteps(input, tasks));
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function header(input: ReportInput, tasks: readonly ScopedTask[]): string[] {
  const { state, plan } = input;
  const lines = [`# taskwave run ${state.runId}`, ''];
  lines.push(`- Plan: ${code(plan.path)} (${plan.format})`);
  const status = state.status === 'running' ? 'running (the run has not finished)' : state.status;
  lines.push(`- Status: **${status}**${state.stopReason ? ` — stopped early: ${oneLine(state.stopReason)}` : ''}`);
  lines.push(`- Started: ${formatTime(state.startedAt)}`);
  if (state.status !== 'running') lines.push(`- Finished: ${formatTime(state.updatedAt)}`);
  const wall = input.durationMs ?? Date.parse(state.updatedAt) - Date.parse(state.startedAt);
  if (Number.isFinite(wall)) lines.push(`- Duration: ${formatSpan(wall)}`);
  const agents = [...new Set(tasks.flatMap((t) => (t.rec.agent ? [t.rec.agent] : [])))].sort();
  if (agents.length === 0 && state.options.agent) agents.push(state.options.agent);
  if (agents.length) lines.push(`- Agent${agents.length > 1 ? 's' : ''}: ${agents.join(', ')}`);
  lines.push(`- Concurrency: ${state.options.concurrency}${state.options.inPlace ? ' (in place)' : ''}`);
  return lines;
}

const ORDER: readonly TaskRecordStatus[] = [
  'done',
  'failed',
  'conflict',
  'unverified',
  'blocked',
  'cancelled',
  'running',
  'pending',
];

function outcome(state: ExecutionState, tasks: readonly ScopedTask[]): string[] {
  const counts = new Map<TaskRecordStatus, number>();
  for (const t of tasks) counts.set(t.rec.status, (counts.get(t.rec.status) ?? 0) + 1);
  const parts = ORDER.flatMap((s) =>
    counts.get(s) ? [`${counts.get(s)} ${s === 'running' ? 'still running' : s}`] : [],
  );
  const lines = ['## Outcome', ''];
  lines.push(
    tasks.length ? `${tasks.length} task(s) in this run: ${parts.join(', ')}.` : 'No task was part of this run.',
  );
  const out = outOfScopeCounts(state);
  const notes: string[] = [];
  if (out.alreadyDone) notes.push(`${out.alreadyDone} already done before this run`);
  if (out.skipped) notes.push(`${out.skipped} not selected or skipped in the plan`);
  if (notes.length) lines.push('', `Not part of this run: ${notes.join(', ')}.`);
  return lines;
}

function usageCells(u: Usage | undefined): [string, string, string] {
  if (!u) return [DASH, DASH, DASH];
  return [
    formatTokens(u.inputTokens),
    formatTokens(u.outputTokens),
    u.costUsd !== undefined ? formatCost(u.costUsd) : DASH,
  ];
}

function taskTable(tasks: readonly ScopedTask[]): string[] {
  const lines = ['## Tasks', ''];
  if (tasks.length === 0) return [...lines, 'None.'];
  lines.push('| task | title | outcome | attempts | repairs | retries | time | tokens in | tokens out | cost |');
  lines.push('| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
  for (const t of tasks) {
    const r = t.rec;
    lines.push(
      row([
        t.id,
        clip(oneLine(t.title), 120),
        r.status,
        String(r.attempts),
        String(r.repairs ?? 0),
        String(r.retries ?? 0),
        timeCell(t),
        ...usageCells(r.usage),
      ]),
    );
  }
  const tot = totalsOf(tasks);
  const [tin, tout, tcost] = usageCells(tot.usage);
  // Some tasks' cost is unknown: what is shown is the least the run cost.
  const costCell = tot.withoutCost && tot.usage?.costUsd !== undefined ? `≥ ${tcost}` : tcost;
  lines.push(
    row([
      '**total**',
      '',
      '',
      String(tot.attempts),
      String(tot.repairs),
      String(tot.retries),
      formatSpan(tot.durationMs),
      tin,
      tout,
      costCell,
    ]),
  );
  const notes: string[] = [];
  if (tot.usage?.cacheReadTokens) {
    notes.push(`Input tokens include ${formatTokens(tot.usage.cacheReadTokens)} read from the prompt cache.`);
  }
  if (tot.withoutCost) {
    notes.push(
      `${tot.withoutCost} task(s) did not report a cost${tot.usage?.costUsd !== undefined ? ': the total leaves them out' : ''}.`,
    );
  }
  notes.push('The total time adds up each task’s own time: with tasks side by side it can exceed the run’s duration.');
  for (const n of notes) lines.push('', n);
  return lines;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function estimates(tasks: readonly ScopedTask[]): string[] {
  const withEst = tasks.filter((t) => t.estimateMinutes !== undefined);
  if (withEst.length === 0) return [];
  const measured = withEst.filter((t) => t.rec.durationMs !== undefined);
  const estMs = measured.reduce((s, t) => s + (t.estimateMinutes ?? 0) * 60_000, 0);
  const actMs = measured.reduce((s, t) => s + (t.rec.durationMs ?? 0), 0);
  const lines = ['## Estimates', ''];
  if (measured.length === 0) {
    lines.push(`${withEst.length} task(s) have an estimate; none of them finished, so there is nothing to compare.`);
    return lines;
  }
  lines.push(
    `${measured.length} task(s) with an estimate ran: ${formatSpan(estMs)} estimated, ${formatSpan(actMs)} actual (${percent(actMs, estMs)}).`,
  );
  const unmeasured = withEst.length - measured.length;
  if (unmeasured) lines.push('', `${unmeasured} more task(s) with an estimate did not run to the end.`);
  const over = measured
    .map((t) => ({ t, over: (t.rec.durationMs ?? 0) - (t.estimateMinutes ?? 0) * 60_000 }))
    .filter((x) => x.over > 0)
    .sort((a, b) => b.over - a.over)
    .slice(0, 5);
  if (over.length) {
    lines.push('', 'Overran most:', '');
    for (const { t, over: o } of over) {
      const est = (t.estimateMinutes ?? 0) * 60_000;
      lines.push(
        `- ${code(t.id)} ${clip(oneLine(t.title), 80)}: ${formatSpan(est)} est / ${formatSpan(t.rec.durationMs ?? 0)} (+${formatSpan(o)}, ${percent(t.rec.durationMs ?? 0, est)})`,
      );
    }
  }
  return lines;
}

/** `+25%` / `-17%` of actual against estimate. */
function percent(actual: number, estimate: number): string {
  if (estimate <= 0) return 'no estimate';
  const p = Math.round(((actual - estimate) / estimate) * 100);
  return `${p >= 0 ? '+' : ''}${p}%`;
}

function gates(plan: ReportPlan, state: ExecutionState, tasks: readonly ScopedTask[]): string[] {
  const all: { where: string; g: GateResult }[] = [];
  for (const t of tasks) for (const g of t.rec.gates ?? []) all.push({ where: t.id, g });
  for (const [phase, list] of Object.entries(state.gates?.phase ?? {})) {
    for (const g of list) all.push({ where: phaseLabel(plan, phase), g });
  }
  for (const g of state.gates?.final ?? []) all.push({ where: 'final', g });
  const lines = ['## Gates', ''];
  if (all.length === 0) return [...lines, 'No gate ran.'];
  const failed = all.filter((x) => !x.g.ok);
  lines.push(`${all.length - failed.length} passed, ${failed.length} failed.`, '');
  lines.push('| where | gate | result | time | message |', '| --- | --- | --- | ---: | --- |');
  for (const { where, g } of all) {
    lines.push(
      row([
        where,
        g.name,
        g.ok ? 'passed' : g.timedOut ? 'timed out' : 'failed',
        formatSpan(g.durationMs),
        g.message ?? (g.ok ? '' : 'failed'),
      ]),
    );
  }
  for (const { where, g } of failed) {
    lines.push('', `### ${oneLine(where)}: ${oneLine(g.name)} failed`, '');
    lines.push(`Command: ${code(g.command)}${g.message ? ` — ${oneLine(g.message)}` : ''}`, '');
    const tail = stripAnsi(g.outputTail).trimEnd();
    lines.push(tail ? fenced(tail) : '(no output)');
  }
  return lines;
}

function repairs(tasks: readonly ScopedTask[]): string[] {
  const lines = ['## Repairs and retries', ''];
  const touched = tasks.filter((t) => (t.rec.repairs ?? 0) > 0 || (t.rec.retries ?? 0) > 0);
  if (touched.length === 0) {
    // "Passed at the first try" only where it is true: a task can fail, or stop, with no repair.
    const ran = tasks.filter((t) => !['pending', 'skipped', 'blocked'].includes(t.rec.status));
    const allPassed = ran.every((t) => t.rec.status === 'done');
    return [
      ...lines,
      allPassed
        ? 'None: every task that ran passed its gates at the first try.'
        : 'None: no task got a repair or a retry.',
    ];
  }
  for (const t of touched) {
    const parts: string[] = [];
    if (t.rec.repairs) parts.push(`${t.rec.repairs} repair${t.rec.repairs > 1 ? 's' : ''} after failed gates`);
    if (t.rec.retries) parts.push(`${t.rec.retries} retr${t.rec.retries > 1 ? 'ies' : 'y'} after agent failures`);
    lines.push(`- ${code(t.id)} ${clip(oneLine(t.title), 80)}: ${parts.join(', ')}; ended ${t.rec.status}.`);
  }
  return lines;
}

/** The tasks that waited for their agent's usage limit to reset: what a task's long time went on. */
function limitWaits(tasks: readonly ScopedTask[]): string[] {
  const waited = tasks.filter((t) => (t.rec.limitWaits ?? 0) > 0);
  if (waited.length === 0) return [];
  const lines = ['## Usage limits', ''];
  for (const t of waited) {
    const n = t.rec.limitWaits ?? 0;
    const agent = t.rec.agent ?? 'its agent';
    lines.push(
      `- ${code(t.id)} ${clip(oneLine(t.title), 80)}: waited ${formatSpan(t.rec.limitWaitMs ?? 0)} for ${agent}'s usage limit to reset${n > 1 ? ` (${n} times)` : ''}; ended ${t.rec.status}.`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Decisions and deviations: agents are asked to report them in their final message; we pick the
// lines that read like one rather than parse a format no agent promises to follow.

const DECISION =
  /\b(?:decid\w*|decision\w*|chose|choos\w*|instead|deviat\w*|assum\w*|skipped|not implemented|workaround\w*|differs?|changed the plan)\b/i;
const TODO = /\bTODO\b/;
const PER_TASK = 8;
const ITEM_MAX = 300;

/** The statements of a final message that report a decision or a deviation. */
export function extractDecisions(summary: string): string[] {
  const found: string[] = [];
  let inFence = false;
  for (const raw of summary.split('\n')) {
    const line = raw.trim();
    if (/^(`{3,}|~{3,})/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence || !line || line.startsWith('#')) continue;
    const bullet = line.match(/^(?:[-*+]|\d+[.)])\s+(.*)$/);
    // A bullet is one statement; a prose line may hold several sentences, only some of them decisions.
    const items = bullet ? [bullet[1] ?? ''] : line.split(/(?<=[.!?])\s+(?=[A-Z`"'(*])/);
    for (const item of items) {
      const text = oneLine(item);
      if (text && (DECISION.test(text) || TODO.test(text))) found.push(clip(text, ITEM_MAX));
    }
  }
  return [...new Set(found)];
}

/** The first paragraph of a final message, on one line. */
export function firstParagraph(summary: string): string {
  const para = summary.trim().split(/\n\s*\n/)[0] ?? '';
  return clip(oneLine(para.replace(/^#+\s*/gm, '')), ITEM_MAX);
}

function decisions(tasks: readonly ScopedTask[]): string[] {
  const lines = ['## Decisions and deviations', ''];
  const withSummary = tasks.filter((t) => t.rec.summary?.trim());
  if (withSummary.length === 0) return [...lines, 'No agent left a final message.'];
  const found: string[] = [];
  for (const t of withSummary) {
    const items = extractDecisions(t.rec.summary ?? '');
    for (const item of items.slice(0, PER_TASK)) found.push(`- ${code(t.id)}: ${item}`);
    if (items.length > PER_TASK)
      found.push(`- ${code(t.id)}: … and ${items.length - PER_TASK} more in its final message`);
  }
  if (found.length) return [...lines, 'As the agents reported them in their final messages:', '', ...found];
  lines.push('No agent reported a decision or deviation in so many words. Their final messages begin:', '');
  for (const t of withSummary) lines.push(`- ${code(t.id)}: ${firstParagraph(t.rec.summary ?? '')}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------

/** The first gate of this run that failed, a phase's before the final ones, with where it ran. */
export function failedGateOf(state: ExecutionState): { where: string; gate: GateResult } | undefined {
  for (const [phase, list] of Object.entries(state.gates?.phase ?? {})) {
    const gate = list.find((g) => !g.ok);
    if (gate) return { where: `phase ${phase}`, gate };
  }
  const gate = (state.gates?.final ?? []).find((g) => !g.ok);
  return gate ? { where: 'final', gate } : undefined;
}

function nextSteps(input: ReportInput, tasks: readonly ScopedTask[]): string[] {
  const lines = ['## Next steps', '', ...uncommitted(tasks)];
  const attention = tasks.filter((t) => NEEDS_ATTENTION.has(t.rec.status));
  const unfinished = tasks.filter(
    (t) => t.rec.status === 'pending' || t.rec.status === 'cancelled' || t.rec.status === 'running',
  );
  if (attention.length === 0 && unfinished.length === 0) {
    // Every task landed, and gates that judge what landed still said no: that is the next step.
    const failedGate = failedGateOf(input.state);
    if (failedGate) {
      // A run with no task left to run (`--phase 1` on a finished phase) ran only gates owed from before.
      const done = tasks.length ? `All ${tasks.length} task(s) of this run are done` : 'No task was left to run';
      return [
        ...lines,
        `${done}, but the ${failedGate.where} gate ${code(failedGate.gate.name)} failed: ${period(failedGate.gate.message ?? 'failed')} Fix what it reports and run ${code(input.retryCommand([]))} again: those gates run again.`,
      ];
    }
    return [
      ...lines,
      tasks.length ? `All ${tasks.length} task(s) of this run are done. Nothing to retry.` : 'Nothing to do.',
    ];
  }
  for (const t of attention) {
    lines.push(`- ${code(t.id)} ${clip(oneLine(t.title), 80)}: ${period(attentionText(t.rec))}${advice(t.rec)}`);
  }
  if (attention.length) {
    lines.push('', 'Run them again with:', '', fenced(input.retryCommand(attention.map((t) => t.id)), 'sh'));
  }
  if (unfinished.length) {
    const ids = unfinished.map((t) => t.id);
    const shown = ids.slice(0, 20).map(code).join(', ') + (ids.length > 20 ? `, … (${ids.length - 20} more)` : '');
    if (attention.length) lines.push('');
    lines.push(
      `${unfinished.length} task(s) did not finish${input.state.stopReason ? ` (the run stopped early: ${oneLine(input.state.stopReason)})` : ''}: ${shown}. Continue the run with:`,
      '',
      fenced(input.resumeCommand ?? 'taskwave resume', 'sh'),
    );
  }
  return lines;
}

/**
 * In place, the tasks done that git could not commit, and why: their changes are in the working
 * tree, for the person to commit (no later task of the run was committed: it would have swept them in).
 */
function uncommitted(tasks: readonly ScopedTask[]): string[] {
  const left = tasks.filter((t) => t.rec.status === 'done' && t.rec.uncommitted);
  if (left.length === 0) return [];
  const lines = left.map(
    (t) =>
      `- ${code(t.id)} ${clip(oneLine(t.title), 80)}: done, but git could not commit it: ${period(clip(oneLine(stripAnsi(t.rec.uncommitted ?? '')), 400))}`,
  );
  lines.push(
    '',
    'Their changes are in the working tree, not staged, and no task after them was committed this run (its commit would have swept them in): fix what stopped the commit, then review and commit the changes yourself.',
    '',
  );
  return lines;
}

/**
 * Why a task needs a person, without repeating its status (the books write `unverified: …` and
 * `blocked by T004` into the error).
 */
export function attentionText(rec: TaskRecord): string {
  const reason = rec.error ? oneLine(stripAnsi(rec.error)) : undefined;
  switch (rec.status) {
    case 'conflict':
      return `**conflict**: ${reason ?? 'its changes conflict with what landed meanwhile'}`;
    case 'unverified':
      return `**unverified**: ${reason?.replace(/^unverified:\s*/, '') || 'the agent reported success but changed nothing'}`;
    case 'blocked': {
      const by = reason?.match(/^blocked by (.+)$/)?.[1];
      return by ? `**blocked** by ${by}` : `**blocked**: ${reason ?? 'a task it depends on did not finish'}`;
    }
    default:
      return `**${rec.status}**: ${reason ?? 'no reason recorded'}`;
  }
}

function period(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** The attention line's advice: what to do about it beyond running it again. */
function advice(rec: TaskRecord): string {
  if (rec.status === 'conflict') {
    const branch = branchOf(rec.error);
    return branch ? ` Inspect branch ${code(branch)}: resolve and merge it by hand, or run the task again.` : '';
  }
  if (rec.status === 'blocked') {
    // Blocked by a phase's gates, not by a task: it runs once they pass.
    return /^blocked by phase \S+ gates/.test(rec.error ?? '')
      ? ' It runs once those gates pass.'
      : ' It runs once that task is done.';
  }
  return '';
}
