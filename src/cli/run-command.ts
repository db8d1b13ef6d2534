import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AgentAdapter } from '../agents/types.js';
import { createTaskRunner } from '../engine/run-task.js';
import { Scheduler } from '../engine/scheduler.js';
import type { Logger } from '../events.js';
import { FileLocks, makePriority, planOrder, remainingPath } from '../graph/index.js';
import type { Task } from '../plan/types.js';
import { fanout } from '../report/fanout.js';
import { JsonLogger } from '../report/json.js';
import { PlainLogger } from '../report/plain.js';
import { TtyLogger } from '../report/tty.js';
import { Books } from '../state/books.js';
import {
  computeOverall,
  type ExecutionState,
  loadExecution,
  type RunOptions,
  type TaskRecord,
} from '../state/execution.js';
import { acquireLock } from '../state/lock.js';
import { ensureStateDir, statePaths } from '../state/paths.js';
import { PlanBooks } from '../state/plan-books.js';
import { TaskLogs } from '../state/task-logs.js';
import { parseDuration } from '../util/duration.js';
import { killAllProcessGroups } from '../util/process-group.js';
import { makeRedactor } from '../util/redact.js';
import { displayPath, EXIT, printDiagnostics } from './output.js';
import { prepare } from './run-setup.js';
import { type ScopeFlags, selectOptionsOf } from './selection.js';

export interface RunFlags extends ScopeFlags {
  concurrency?: string;
  agent?: string;
  dryRun?: boolean;
  json?: boolean;
  format?: string;
  tag?: string;
  config?: string;
  timeout?: string;
  shuffleTies?: string;
  /** Free-text hints ("use 2 agents in parallel"), mapped onto the options above. */
  hints?: string[];
}

/** `taskwave run` and `taskwave resume`: select, schedule, execute, keep the books. Returns the exit code. */
export async function runCommand(planPath: string, given: RunFlags, resume?: ExecutionState): Promise<number> {
  const readyR = await prepare(planPath, given);
  if (!readyR.ok) {
    printDiagnostics(readyR.error);
    return EXIT.usage;
  }
  const { ctx, flags, concurrency, prepared, agents, routes, timeoutFor, defaultAgent } = readyR.value;
  const { plan, format, root, config } = ctx;
  const shuffleSeed = flags.shuffleTies !== undefined ? Number(flags.shuffleTies) : undefined;
  const { graph, selection: sel, byId } = prepared;
  const toRun = sel.run.map((id) => byId.get(id) as Task);
  const remaining = remainingPath(graph, sel.run);
  const compare = makePriority(remaining, planOrder(graph), shuffleSeed);
  const agentOf = (id: string) => routes.get(id)?.agent ?? defaultAgent;
  const agentNames = [...new Set(sel.run.map(agentOf))];
  const agentLabel = agentNames.join(', ') || defaultAgent;

  if (flags.dryRun) {
    const order = [...sel.run].sort(compare);
    const out = flags.json
      ? JSON.stringify({
          run: order,
          done: sel.done,
          unrunnable: sel.unrunnable,
          passedOver: sel.passedOver,
          concurrency,
          agent: agentLabel,
          agents: Object.fromEntries(order.map((id) => [id, agentOf(id)])),
        })
      : [
          `would run ${order.length} task(s) with agent ${agentLabel}, concurrency ${concurrency} (${sel.done.length} already done):`,
          ...order.map(
            (id) => `  ${id} ${byId.get(id)?.title ?? ''}${agentNames.length > 1 ? `  [${agentOf(id)}]` : ''}`,
          ),
          ...sel.unrunnable.map((u) => `  cannot run ${u.id}: ${u.reason}`),
          ...(sel.passedOver.length > 0
            ? [`  passed over (optional; --include-optional runs them): ${sel.passedOver.join(', ')}`]
            : []),
        ].join('\n');
    process.stdout.write(`${out}\n`);
    return EXIT.ok;
  }

  const paths = statePaths(root);
  ensureStateDir(paths);
  const lock = acquireLock(paths.lock, `taskwave ${resume ? 'resume' : 'run'} ${displayPath(plan.path)}`);
  if (!lock.ok) {
    printDiagnostics([lock.error]);
    return EXIT.usage;
  }
  try {
    const last = resume ?? loadExecution(paths.execution, paths.journal);
    const planRel = relative(root, plan.path);
    // The books of another plan say nothing about this one's tasks (ids like T001 repeat across plans).
    const previous = last?.plan.path === planRel ? last : undefined;
    const runId = resume?.runId ?? newRunId();
    const options: RunOptions = {
      concurrency,
      agent: flags.agent,
      phases: flags.phase,
      only: flags.only,
      from: flags.from,
      specs: flags.spec,
      specKinds: selectOptionsOf(flags).specKinds?.slice(),
      withDeps: flags.withDeps,
      includeOptional: flags.includeOptional,
      format: flags.format,
      tag: plan.tag,
      config: flags.config,
      timeout: flags.timeout,
    };
    const state = initialState(runId, planRel, format.name, options, plan.tasks, previous, new Set(sel.passedOver));
    const runDir = join(paths.runs, runId);
    mkdirSync(runDir, { recursive: true });

    const view: Logger = flags.json
      ? new JsonLogger()
      : process.stdout.isTTY && !process.env.CI
        ? new TtyLogger()
        : new PlainLogger();
    const books = new Books(paths, state);
    const logs = new TaskLogs(paths.logs, runId);
    const planBooks = new PlanBooks(format, plan, state, (message) => view.log({ type: 'warning', message }));
    // Books first: an event is on disk before anyone is shown it.
    const log = fanout(books, planBooks, logs, view);

    if (last && last.status === 'running' && !resume) {
      log.log({
        type: 'warning',
        message: `run ${last.runId} did not finish (the process was stopped or crashed); its unfinished tasks run again`,
      });
    }

    const runner = createTaskRunner({
      plan,
      format,
      agentFor: (t) => agents.get(agentOf(t.id)) as AgentAdapter,
      root,
      runId,
      runDir,
      timeoutFor,
      killGraceMs: config.killGrace !== undefined ? parseDuration(config.killGrace) : undefined,
      redact: makeRedactor(process.env, ...agentNames.map((n) => config.agents?.[n]?.env)),
      previousAttempts: (id) => previous?.tasks[id]?.attempts ?? 0,
      log: (e) => log.log(e),
    });
    const scheduler = new Scheduler({
      tasks: toRun,
      concurrency,
      compare,
      guard: new FileLocks(),
      execute: (t, signal) => runner.execute(t, signal),
      attempts: (id) => runner.attempts(id),
      skipped: sel.done.map((id) => byId.get(id) as Task),
      log: (e) => log.log(e),
    });

    log.log({
      type: 'run-started',
      runId,
      plan: displayPath(plan.path),
      format: format.name,
      toRun: toRun.length,
      alreadyDone: sel.done.length,
      concurrency,
      agent: agentLabel,
      resumed: resume !== undefined,
    });
    for (const u of sel.unrunnable) log.log({ type: 'warning', message: `cannot run ${u.id}: ${u.reason}` });
    if (config.gates) {
      log.log({
        type: 'warning',
        message: 'gates are configured but this version does not run them yet: a task is done when its agent exits 0',
      });
    }

    let interrupts = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      interrupts++;
      if (interrupts === 1) {
        log.log({
          type: 'interrupt',
          message: `${sig}: stopping the running agents and saving state (press Ctrl-C again to stop waiting)`,
        });
        scheduler.cancel();
      } else {
        // The books are written on every event; leaving now loses nothing but the agents' last words.
        killAllProcessGroups();
        books.close();
        lock.value.release();
        process.exit(EXIT.interrupted);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      // The format's own books first name this run (a platform-mode log), before any task writes to them.
      await planBooks.flush();
      const summary = await scheduler.run();
      log.log({ type: 'run-finished', runId, summary });
      await planBooks.flush();
      log.close();
      return summary.status === 'done' ? EXIT.ok : summary.status === 'interrupted' ? EXIT.interrupted : EXIT.failed;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } finally {
    lock.value.release();
  }
}

function newRunId(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${randomBytes(2).toString('hex')}`;
}

/**
 * The snapshot a run starts from. The plan file is the truth for what is done (a ticked box);
 * records of earlier runs keep their attempts, times and usage.
 */
function initialState(
  runId: string,
  planPath: string,
  format: string,
  options: RunOptions,
  tasks: readonly Task[],
  previous: ExecutionState | undefined,
  passedOver: ReadonlySet<string>,
): ExecutionState {
  const now = new Date().toISOString();
  const records: Record<string, TaskRecord> = {};
  for (const t of tasks) {
    const before = previous?.tasks[t.id];
    const done = t.status === 'done';
    const skipped =
      t.status === 'skipped' || t.status === 'cancelled' || t.status === 'deferred' || passedOver.has(t.id);
    records[t.id] = {
      ...(before ?? {}),
      title: t.title,
      attempts: before?.attempts ?? 0,
      status: done ? 'done' : skipped ? 'skipped' : 'pending',
      ...(done ? {} : { error: undefined }),
    };
  }
  const state: ExecutionState = {
    version: 1,
    runId,
    plan: { path: planPath, format },
    status: 'running',
    startedAt: previous?.runId === runId ? previous.startedAt : now,
    updatedAt: now,
    options,
    tasks: records,
    overall: computeOverall(records),
    journalOffset: 0,
  };
  return state;
}
