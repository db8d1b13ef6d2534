import { isAbsolute, join } from 'node:path';
import pc from 'picocolors';
import { formatDuration } from '../events.js';
import { errorAt } from '../plan/diagnostic.js';
import { type ExecutionState, loadExecution } from '../state/execution.js';
import { isAlive, readLock } from '../state/lock.js';
import { statePaths } from '../state/paths.js';
import { terminalText } from '../util/terminal-text.js';
import { findRoot } from '../workspace/repo.js';
import { EXIT, printDiagnostics } from './output.js';

/** The last run of the repository around `dir`, with its status corrected for a run that died. */
export function lastRun(dir: string): { state: ExecutionState; root: string; live: boolean } | undefined {
  const { root } = findRoot(dir);
  const paths = statePaths(root);
  const state = loadExecution(paths.execution, paths.journal);
  if (!state) return undefined;
  const holder = readLock(paths.lock);
  const live = state.status === 'running' && holder !== undefined && isAlive(holder);
  if (state.status === 'running' && !live) state.status = 'interrupted';
  return { state, root, live };
}

export function planPathOf(state: ExecutionState, root: string): string {
  return isAbsolute(state.plan.path) ? state.plan.path : join(root, state.plan.path);
}

/** `taskwave status`: where the last run stands. */
export function statusCommand(flags: { json?: boolean; color?: boolean }): number {
  const last = lastRun(process.cwd());
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
  const how = live ? 'running now' : state.status;
  out.push(
    c.bold(`run ${state.runId} of ${terminalText(state.plan.path, { oneLine: true })} (${state.plan.format}): ${how}`),
  );
  out.push(
    `${o.total} tasks: ${o.done} done, ${o.running} running, ${o.failed} failed, ${o.blocked} blocked, ${o.pending} pending, ${o.skipped} skipped`,
  );
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
      const error = t.error ? c.dim(` — ${terminalText(t.error)}`) : '';
      out.push(`  ${paint(label.padEnd(9))} ${terminalText(id, { oneLine: true })} ${title}${time}${error}`);
    }
  }
  if (!live && state.status !== 'done') out.push('', 'continue with: taskwave resume');
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}
