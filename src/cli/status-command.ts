import { isAbsolute, join } from 'node:path';
import pc from 'picocolors';
import { formatClock } from '../agents/usage-limit.js';
import { formatDuration } from '../events.js';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { shownPath } from '../plan/shown-path.js';
import { failedGateOf } from '../report/report-md.js';
import { ok, type Result } from '../result.js';
import { type ExecutionState, readExecution, standingLimit } from '../state/execution.js';
import { isAlive, readLock } from '../state/lock.js';
import { statePaths } from '../state/paths.js';
import { shellCommand } from '../util/shell-quote.js';
import { terminalText } from '../util/terminal-text.js';
import { findRoot } from '../workspace/repo.js';
import { EXIT, printDiagnostics } from './output.js';

export interface LastRun {
  state: ExecutionState;
  root: string;
  live: boolean;
}

/**
 * The last run of the repository around `dir`, with its status corrected for a run that died;
 * undefined when there was none. A folder that is no working tree, or books that cannot be read, are
 * problems to show, not "no run".
 */
export function lastRun(dir: string): Result<LastRun | undefined, Diagnostic> {
  const repo = findRoot(dir);
  if (!repo.ok) return repo;
  const { root } = repo.value;
  const paths = statePaths(root);
  const read = readExecution(paths.execution, paths.journal);
  if (!read.ok || !read.value) return read.ok ? ok(undefined) : read;
  const state = read.value;
  const holder = readLock(paths.lock);
  const live = state.status === 'running' && holder !== undefined && isAlive(holder);
  if (state.status === 'running' && !live) state.status = 'interrupted';
  return ok({ state, root, live });
}

export function planPathOf(state: ExecutionState, root: string): string {
  return isAbsolute(state.plan.path) ? state.plan.path : join(root, state.plan.path);
}

/** The plan's path as the books keep it, relative to the root: `run .` kept '', which reads as nothing. */
function recordedPlanPath(state: ExecutionState): string {
  return state.plan.path === '' ? '.' : state.plan.path;
}

/**
 * The counts as the run's summary tells them: a conflict or a task that changed nothing is named as
 * such (when there is one), not counted as failed; `overall.failed` holds them all for the JSON.
 */
function countsLine(o: ExecutionState['overall']): string {
  const failed = o.failed - o.conflict - o.unverified;
  const apart = [
    ...(o.conflict > 0 ? [`${o.conflict} conflict`] : []),
    ...(o.unverified > 0 ? [`${o.unverified} unverified`] : []),
  ];
  return [
    `${o.done} done`,
    `${o.running} running`,
    `${failed} failed`,
    ...apart,
    `${o.blocked} blocked`,
    `${o.pending} pending`,
    `${o.skipped} skipped`,
  ].join(', ');
}

/** `taskwave status`: where the last run stands. */
export function statusCommand(flags: { json?: boolean; color?: boolean }): number {
  const found = lastRun(process.cwd());
  if (!found.ok) {
    printDiagnostics([found.error]);
    return EXIT.usage;
  }
  const last = found.value;
  if (!last) {
    printDiagnostics([
      errorAt(undefined, 'no taskwave run found here (no .taskwave/execution.json); start one with: taskwave run PLAN'),
    ]);
    return EXIT.usage;
  }
  const { state, live } = last;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...state, live }, null, 2)}\n`);
    return EXIT.ok;
  }
  const c = pc.createColors(flags.color ?? false);
  const o = state.overall;
  const out: string[] = [];
  // A run of part of the plan (--only, --phase, or one whose selected tasks were all done already)
  // ends `done` while the rest of the plan waits: not to be read as the plan being done.
  const partial = !live && state.status === 'done' && o.pending > 0;
  const how = live
    ? 'running now'
    : partial
      ? `done with the tasks it selected; ${o.pending} of the plan's ${o.total} tasks not run yet`
      : state.status;
  out.push(
    c.bold(
      `run ${state.runId} of ${terminalText(recordedPlanPath(state), { oneLine: true })} (${state.plan.format}): ${how}`,
    ),
  );
  out.push(`${o.total} tasks: ${countsLine(o)}`);
  // A run can fail with every task done: its phase or final gates said no.
  const gate = failedGateOf(state);
  if (gate) {
    const said = terminalText(gate.gate.message ?? 'failed', { oneLine: true });
    out.push(c.red(`the ${gate.where} gate ${terminalText(gate.gate.name, { oneLine: true })} failed: ${said}`));
  }
  // What stopped it starting tasks (a budget, a usage limit beyond usageLimit.wait: when it resets).
  if (state.stopReason) {
    out.push(c.yellow(`${live ? 'stopping' : 'stopped'}: ${terminalText(state.stopReason, { oneLine: true })}`));
  }
  // An agent at its usage limit that has not reset yet (this run met it, or an earlier one did).
  for (const [agent, limit] of Object.entries(state.agentLimits ?? {})) {
    const until = standingLimit(limit, Date.now());
    if (until === undefined) continue;
    const name = terminalText(agent, { oneLine: true });
    out.push(
      c.yellow(
        live
          ? `waiting for ${name}'s usage limit to reset, until ${formatClock(until)}: nothing starts on it before`
          : `${name}'s usage limit holds until ${formatClock(until)}: a run started before then starts nothing on it until then`,
      ),
    );
  }
  out.push(`started ${state.startedAt}, updated ${state.updatedAt}`);
  const notable = Object.entries(state.tasks).filter(
    ([, t]) => t.status !== 'done' && t.status !== 'pending' && t.status !== 'skipped',
  );
  if (notable.length > 0) {
    out.push('');
    for (const [id, t] of notable) {
      const paint =
        t.status === 'failed' || t.status === 'conflict' ? c.red : t.status === 'running' && live ? c.green : c.yellow;
      // A record left `running` by a run that is gone was stopped mid-task; it runs again next time.
      const label = t.status === 'running' && !live ? 'stopped' : t.status;
      const time = t.durationMs !== undefined ? ` ${formatDuration(t.durationMs)}` : '';
      // Titles and errors are the plan's and the agents' text: escape sequences in them are shown, not obeyed.
      const title = terminalText(t.title, { oneLine: true });
      const until = live && t.waitingUntil ? Date.parse(t.waitingUntil) : Number.NaN;
      const waiting =
        until > Date.now()
          ? c.dim(` — waiting for ${t.agent ?? 'its agent'}'s usage limit to reset, until ${formatClock(until)}`)
          : '';
      const error = t.error ? c.dim(` — ${terminalText(t.error)}`) : waiting;
      out.push(`  ${paint(label.padEnd(9))} ${terminalText(id, { oneLine: true })} ${title}${time}${error}`);
    }
  }
  if (!live && state.status !== 'done') out.push('', 'continue with: taskwave resume');
  // A command to paste: a path with spaces, quotes or `$` in it stays one argument, taken as written.
  const rest = shellCommand(['taskwave', 'run', shownPath(planPathOf(state, last.root))]);
  if (partial) out.push('', `run the rest with: ${terminalText(rest, { oneLine: true })}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}
