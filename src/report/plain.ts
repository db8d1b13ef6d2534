import { formatClock } from '../agents/usage-limit.js';
import { formatDuration, type Logger, type RunEvent } from '../events.js';
import { formatDiagnostic } from '../plan/diagnostic.js';
import { writeIfOpen } from '../util/closed-output.js';
import { renderSummary } from './summary.js';
import { terminalEvent } from './terminal-event.js';

/** The word a failure's line starts with where the books name it apart from `failed`. */
const PLAIN_FAILURE: Partial<Record<string, string>> = { 'merge-conflict': 'conflict ', unverified: 'unverified ' };

/** One plain line per event, for CI logs and pipes. */
export class PlainLogger implements Logger {
  constructor(private readonly write: (line: string) => void = (l) => writeIfOpen(process.stdout, `${l}\n`)) {}

  log(e: RunEvent): void {
    const line = plainLine(terminalEvent(e));
    if (line !== undefined) this.write(line);
  }

  close(): void {}
}

export function plainLine(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run-started':
      return `taskwave: run ${e.runId}: ${e.toRun} task(s) to run, ${e.alreadyDone} already done, concurrency ${e.concurrency}, agent ${e.agent} (${e.format} plan ${e.plan})${e.resumed ? ', resumed' : ''}`;
    case 'task-started':
      return `start   ${e.taskId} ${e.title}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'task-succeeded':
      return `done    ${e.taskId} ${e.title} (${formatDuration(e.durationMs)})`;
    case 'task-failed':
      // A conflict, or a task that changed nothing, is its own outcome in the books (execution.json,
      // status, report.md): here too.
      return `${PLAIN_FAILURE[e.error.reason] ?? 'failed  '}${e.taskId} ${e.title}: ${e.message}`;
    case 'task-blocked':
      // `blockedBy` is a task's id, or what else blocks it (a phase's gates).
      return /\s/.test(e.blockedBy)
        ? `blocked ${e.taskId} ${e.title}: by ${e.blockedBy}`
        : `blocked ${e.taskId} ${e.title}: depends on ${e.blockedBy}, which did not land`;
    case 'task-cancelled':
      return `stopped ${e.taskId} ${e.title}`;
    case 'task-rebased':
      return `rebased ${e.taskId}: the branch was rebased during the run; its change is there as ${e.commit.slice(0, 12)} (was ${e.was.slice(0, 12)})`;
    case 'interrupt':
      return `taskwave: ${e.message}`;
    case 'warning':
      // As a compiler would: `file:line:col: warning: …` where it is about a place, else `taskwave: warning: …`.
      return formatDiagnostic({ severity: 'warning', location: e.location, message: e.message });
    case 'run-finished':
      return `\n${renderSummary(e.summary, { color: false })}`;
    case 'gate-finished': {
      const where =
        e.scope.kind === 'task' ? e.scope.taskId : e.scope.kind === 'phase' ? `phase ${e.scope.phase}` : 'final';
      const r = e.result;
      if (r.builtin && r.ok) return undefined;
      return `gate    ${where} ${r.name}: ${r.ok ? 'passed' : `FAILED (${r.message ?? 'failed'})`} ${formatDuration(r.durationMs)}`;
    }
    case 'task-retry':
      return `${e.kind === 'repair' ? 'repair ' : 'retry  '} ${e.taskId} attempt ${e.attempt}: ${e.reason}${e.delayMs !== undefined ? ` (in ${formatDuration(e.delayMs)})` : ''}`;
    case 'run-stopping':
      return `taskwave: stopping: ${e.reason}`;
    case 'usage-limit': {
      // Without a task: met by an earlier run, and not reset yet as this one starts.
      const who = e.taskId !== undefined ? `${e.taskId} ${e.agent}` : `${e.agent} (met by an earlier run)`;
      return `limit   ${who}: ${e.message}${e.until !== undefined ? `; waiting until ${formatClock(e.until)} (${formatDuration(Math.max(0, e.until - Date.now()))})` : '; stopping'}`;
    }
    case 'agent-auth-failed':
      return `auth    ${e.taskId} ${e.agent}: ${e.message}; stopping`;
    case 'task-output':
    case 'task-activity':
    case 'agent-finished':
      // In the task's log; a CI log gets one line per task event, not the agents' chatter.
      return undefined;
    default: {
      const never: never = e;
      return never;
    }
  }
}
