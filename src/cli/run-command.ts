import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createTaskRunner } from '../engine/run-task.js';
import { Scheduler } from '../engine/scheduler.js';
import type { Logger } from '../events.js';
import { buildGraph, FileLocks, makePriority, planOrder, remainingPath, selectTasks } from '../graph/index.js';
import { errorAt } from '../plan/diagnostic.js';
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
import { TaskLogs } from '../state/task-logs.js';
import { parseDuration } from '../util/duration.js';
import { killAllProcessGroups } from '../util/process-group.js';
import { makeRedactor } from '../util/redact.js';
import { loadPlanContext, parsePositiveInt, pickAgent } from './context.js';
import { displayPath, EXIT, printDiagnostics } from './output.js';

export interface RunFlags {
  concurrency?: string;
  agent?: string;
  phase?: string[];
  only?: string[];
  withDeps?: boolean;
  includeOptional?: boolean;
  dryRun?: boolean;
  json?: boolean;
  format?: string;
  config?: string;
  timeout?: string;
  shuffleTies?: string;
}

/** `taskwave run` and `taskwave resume`: select, schedule, execute, keep the books. Returns the exit code. */
export async function runCommand(planPath: string, flags: RunFlags, resume?: ExecutionState): Promise<number> {
  const ctxR = await loadPlanContext(planPath, { format: flags.format, config: flags.config });
  if (!ctxR.ok) {
    printDiagnostics(ctxR.error);
    return EXIT.usage;
  }
  const ctx = ctxR.value;
  const { plan, format, root, config } = ctx;

  const agentR = pickAgent(ctx, flags.agent);
  if (!agentR.ok) {
    printDiagnostics(agentR.error);
    return EXIT.usage;
  }
  const agent = agentR.value;
  let concurrency = config.concurrency ?? 4;
  if (flags.concurrency !== undefined) {
    const c = parsePositiveInt(flags.concurrency, '--concurrency');
    if (!c.ok) {
      printDiagnostics(c.error);
      return EXIT.usage;
    }
    concurrency = c.value;
  }
  const agentConfig = config.agents?.[agent.name];
  const timeoutText = flags.timeout ?? agentConfig?.timeout;
  const timeoutMs = timeoutText !== undefined ? parseDuration(timeoutText) : undefined;
  if (timeoutText !== undefined && timeoutMs === undefined) {
    printDiagnostics([errorAt(undefined, `--timeout expects a duration such as 30m or 90s, got '${timeoutText}'`)]);
    return EXIT.usage;
  }
  const shuffleSeed = flags.shuffleTies !== undefined ? Number(flags.shuffleTies) : undefined;
  if (shuffleSeed !== undefined && !Number.isInteger(shuffleSeed)) {
    printDiagnostics([errorAt(undefined, `--shuffle-ties expects an integer seed, got '${flags.shuffleTies}'`)]);
    return EXIT.usage;
  }

  const graph = buildGraph(plan.tasks);
  const selR = selectTasks(
    plan,
    { phases: flags.phase, only: flags.only, withDeps: flags.withDeps, includeOptional: flags.includeOptional },
    graph,
  );
  if (!selR.ok) {
    printDiagnostics(selR.error);
    return EXIT.usage;
  }
  const sel = selR.value;
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const toRun = sel.run.map((id) => byId.get(id) as Task);
  const remaining = remainingPath(graph, sel.run);
  const compare = makePriority(remaining, planOrder(graph), shuffleSeed);

  if (flags.dryRun) {
    const order = [...sel.run].sort(compare);
    const out = flags.json
      ? JSON.stringify({ run: order, done: sel.done, unrunnable: sel.unrunnable, concurrency, agent: agent.name })
      : [
          `would run ${order.length} task(s) with agent ${agent.name}, concurrency ${concurrency} (${sel.done.length} already done):`,
          ...order.map((id) => `  ${id} ${byId.get(id)?.title ?? ''}`),
          ...sel.unrunnable.map((u) => `  cannot run ${u.id}: ${u.reason}`),
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
      agent: agent.name,
      phases: flags.phase,
      only: flags.only,
      withDeps: flags.withDeps,
      includeOptional: flags.includeOptional,
      format: flags.format,
      config: flags.config,
    };
    const state = initialState(runId, planRel, format.name, options, plan.tasks, previous);
    const runDir = join(paths.runs, runId);
    mkdirSync(runDir, { recursive: true });

    const view: Logger = flags.json
      ? new JsonLogger()
      : process.stdout.isTTY && !process.env.CI
        ? new TtyLogger()
        : new PlainLogger();
    const books = new Books(paths, state);
    const logs = new TaskLogs(paths.logs, runId);
    // Books first: an event is on disk before anyone is shown it.
    const log = fanout(books, logs, view);

    if (last && last.status === 'running' && !resume) {
      log.log({
        type: 'warning',
        message: `run ${last.runId} did not finish (the process was stopped or crashed); its unfinished tasks run again`,
      });
    }

    const runner = createTaskRunner({
      plan,
      format,
      agent,
      root,
      runId,
      runDir,
      timeoutMs,
      killGraceMs: config.killGrace !== undefined ? parseDuration(config.killGrace) : undefined,
      redact: makeRedactor(process.env, agentConfig?.env),
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
      agent: agent.name,
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
      const summary = await scheduler.run();
      log.log({ type: 'run-finished', runId, summary });
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
): ExecutionState {
  const now = new Date().toISOString();
  const records: Record<string, TaskRecord> = {};
  for (const t of tasks) {
    const before = previous?.tasks[t.id];
    const done = t.status === 'done';
    const skipped = t.status === 'skipped' || t.status === 'cancelled' || t.status === 'deferred';
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
