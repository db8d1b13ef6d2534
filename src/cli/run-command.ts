import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { AgentAdapter } from '../agents/types.js';
import { AgentSlots } from '../engine/agent-slots.js';
import { BudgetWatch } from '../engine/budget.js';
import { DiskFullWatch, freeBytes } from '../engine/disk-full.js';
import { createTaskRunner } from '../engine/run-task.js';
import { Scheduler } from '../engine/scheduler.js';
import { UsageLimits, usageLimitWaitMs } from '../engine/usage-limits.js';
import type { Logger, RunEvent } from '../events.js';
import { findOpenChecklists } from '../gates/checklists.js';
import { gatesFromConfig } from '../gates/specs.js';
import { describeGateFailure } from '../gates/types.js';
import {
  estimateWeight,
  FileLocks,
  makePriority,
  otherNamers,
  pastDurations,
  planOrder,
  referenceDocuments,
  remainingPath,
} from '../graph/index.js';
import { formatDiagnostic } from '../plan/diagnostic.js';
import { shownPath } from '../plan/shown-path.js';
import type { Plan, PlanFormat, Task } from '../plan/types.js';
import { fanout } from '../report/fanout.js';
import { JsonLogger } from '../report/json.js';
import { PlainLogger } from '../report/plain.js';
import { redactingLogger } from '../report/redacting-logger.js';
import { RunFiles } from '../report/run-files.js';
import { TtyLogger } from '../report/tty.js';
import { err, ok, type Result } from '../result.js';
import { Books } from '../state/books.js';
import {
  type AgentLimit,
  computeOverall,
  type ExecutionState,
  inheritedPhaseGates,
  loadExecution,
  type RunOptions,
  standingLimit,
  type TaskRecord,
} from '../state/execution.js';
import { acquireLock } from '../state/lock.js';
import { booksPlanPath, ensureStateDir, sameBooksPlan, statePaths } from '../state/paths.js';
import { PlanBooks } from '../state/plan-books.js';
import { TaskLogs } from '../state/task-logs.js';
import { parseDuration } from '../util/duration.js';
import { folderOf } from '../util/fs-kind.js';
import { killAllProcessGroups } from '../util/process-group.js';
import { makeRedactor } from '../util/redact.js';
import { shellCommand } from '../util/shell-quote.js';
import { terminalText } from '../util/terminal-text.js';
import { maintainOnce } from '../workspace/git.js';
import { branchCheckedOut, checkoutMoved } from '../workspace/in-place-checkout.js';
import { deleteLandedBranches } from '../workspace/landed-branches.js';
import { recoverKilledRun } from '../workspace/recover.js';
import { statusPaths } from '../workspace/status-paths.js';
import { TaskWorkspaces } from '../workspace/task-workspaces.js';
import { hasTree } from '../workspace/tree-snapshot.js';
import { cleanupDeadRun, hasWorktrees, refSafe } from '../workspace/worktrees.js';
import { checkGitStart, type GitStart, planFilesOf } from './git-checks.js';
import { displaySpan, EXIT, formatForUser, printDiagnostics } from './output.js';
import {
  commitOwnFilesInPlace,
  type GateContext,
  inPlaceCommitter,
  lastPhaseResults,
  makeVerifier,
  type OwedPhase,
  owedPhaseGates,
  owedPhases,
  phaseGateHook,
  phasesNamed,
  readGates,
  runFinalGates,
} from './run-gates.js';
import { prepare } from './run-setup.js';
import { type ScopeFlags, selectOptionsOf } from './selection.js';
import { landedTasksOf } from './task-branches.js';

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
  /** Run in the working tree, one task at a time, without worktrees. */
  inPlace?: boolean;
  /** `--no-commit` (commander sets `commit: false`): in place, leave each task uncommitted. */
  commit?: boolean;
  allowEmpty?: boolean;
  ignoreChecklists?: boolean;
  failFast?: boolean;
  junit?: string;
}

/** `taskwave run` and `taskwave resume`: select, schedule, execute, keep the books. Returns the exit code. */
export async function runCommand(planPath: string, given: RunFlags, resume?: ExecutionState): Promise<number> {
  let readyR = await prepare(planPath, given);
  // A run killed inside a git command left git's lock files, or the working tree half way through a
  // fast-forward (the plan's tick among the files, perhaps): repair that, and read the plan again.
  if (readyR.ok && readyR.value.ctx.git && !readyR.value.flags.dryRun) {
    const at = statePaths(readyR.value.ctx.root);
    const fixed = await recoverKilledRun(at.root, at.dir, at.lock);
    for (const note of fixed.notes) process.stderr.write(`taskwave: ${note}\n`);
    if (fixed.moved) readyR = await prepare(planPath, given);
  }
  if (!readyR.ok) {
    printDiagnostics(readyR.error);
    return EXIT.usage;
  }
  const { ctx, flags, concurrency, prepared, agents, routes, timeoutFor, defaultAgent } = readyR.value;
  const { plan, format, root, config } = ctx;
  const shuffleSeed = flags.shuffleTies !== undefined ? Number(flags.shuffleTies) : undefined;
  const { graph, selection: sel, byId } = prepared;
  const toRun = sel.run.map((id) => byId.get(id) as Task);
  // Priorities weigh what tasks took in earlier runs, from the books as they stand before this run
  // starts anything (reading them needs no lock; the run reads them again under it).
  const booksAt = statePaths(root);
  const before = resume ?? loadExecution(booksAt.execution, booksAt.journal);
  const past = pastDurations(before, booksPlanPath(root, plan.path), graph.tasks);
  const remaining = remainingPath(graph, sel.run, estimateWeight(graph.tasks, past));
  const compare = makePriority(remaining, planOrder(graph), shuffleSeed);
  const agentOf = (id: string) => routes.get(id)?.agent ?? defaultAgent;
  const agentNames = [...new Set(sel.run.map(agentOf))];
  const agentLabel = agentNames.join(', ') || defaultAgent;

  if (flags.dryRun) {
    const order = [...sel.run].sort(compare);
    // The phase gates a real run would run first (without running them): by the books of this plan.
    const phaseGates = gatesFromConfig(config.gates);
    const booksOfPlan = sameBooksPlan(before?.plan.path, booksPlanPath(root, plan.path)) ? before : undefined;
    const owed =
      phaseGates.ok && phaseGates.value.phase.length > 0
        ? owedPhases(graph, new Set(sel.run), lastPhaseResults(booksOfPlan), phasesNamed(flags, sel, byId))
        : [];
    const out = flags.json
      ? JSON.stringify({
          run: order,
          done: sel.done,
          unrunnable: sel.unrunnable,
          passedOver: sel.passedOver,
          owedPhaseGates: owed.map((o) => ({ phase: o.phase, lastRun: o.last ?? 'not-run', waiting: o.waiting })),
          concurrency,
          agent: agentLabel,
          agents: Object.fromEntries(order.map((id) => [id, agentOf(id)])),
          warnings: plan.warnings.map(formatForUser),
        })
      : [
          ...owed.map(
            (o) => `would first run the gates of phase ${o.phase} (${owedWhy(o, booksOfPlan !== undefined)})`,
          ),
          `would run ${order.length} task(s) with agent ${agentLabel}, concurrency ${concurrency} (${sel.done.length} already done):`,
          ...order.map(
            (id) => `  ${id} ${byId.get(id)?.title ?? ''}${agentNames.length > 1 ? `  [${agentOf(id)}]` : ''}`,
          ),
          ...sel.unrunnable.map((u) => `  cannot run ${u.id}: ${u.reason}`),
          ...(sel.passedOver.length > 0
            ? [`  passed over (optional; --include-optional runs them): ${sel.passedOver.join(', ')}`]
            : []),
        ].join('\n');
    // As `taskwave plan` shows them: on stderr, or in the JSON.
    if (!flags.json) printDiagnostics(plan.warnings);
    // Titles are the plan's text: escape sequences in them are shown, not obeyed (JSON escapes its own).
    process.stdout.write(`${flags.json ? out : terminalText(out)}\n`);
    return EXIT.ok;
  }

  const gatesR = readGates(config);
  if (!gatesR.ok) {
    printDiagnostics(gatesR.error);
    return EXIT.usage;
  }
  // spec-kit's checklists are the spec's own definition of ready: unticked items stop the run.
  if (!flags.ignoreChecklists) {
    const open = findOpenChecklists(plan.path);
    if (open.some((d) => d.severity === 'error')) {
      printDiagnostics(open);
      return EXIT.usage;
    }
  }

  // Worktrees need a branch to merge into and a committed plan; decided before anything is written.
  const inPlace = flags.inPlace === true || !ctx.git;
  // The files the plan is written in, and every file a tick writes: those and the format's own books
  // (`bookFiles`: a Claudio task's status.md, a specs tree's features.json).
  const writtenIn = planFilesOf(plan);
  const planAndBooks = [...new Set([...writtenIn, ...(format.bookFiles?.(plan) ?? [])])];
  const tickedFiles = inPlace ? [] : planAndBooks;
  let gitStart: GitStart | undefined;
  if (!inPlace) {
    const g = await checkGitStart(root, tickedFiles);
    if (!g.ok) {
      printDiagnostics(g.error);
      return EXIT.usage;
    }
    gitStart = g.value;
  }
  // In place, agents share one working tree: one at a time, unless the plan is outside git.
  const slots = flags.inPlace ? 1 : concurrency;

  const paths = statePaths(root);
  const stateDir = ensureStateDir(paths);
  if (!stateDir.ok) {
    printDiagnostics([stateDir.error]);
    return EXIT.usage;
  }
  const lock = acquireLock(paths.lock, shellCommand(['taskwave', resume ? 'resume' : 'run', shownPath(plan.path)]));
  if (!lock.ok) {
    printDiagnostics([lock.error]);
    return EXIT.usage;
  }
  try {
    const last = resume ?? loadExecution(paths.execution, paths.journal);
    const planRel = booksPlanPath(root, plan.path);
    // The books of another plan say nothing about this one's tasks (ids like T001 repeat across plans).
    const previous = sameBooksPlan(last?.plan.path, planRel) ? last : undefined;
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
    options.inPlace = flags.inPlace || undefined;
    options.commit = flags.commit === false ? false : undefined;
    options.allowEmpty = flags.allowEmpty || undefined;
    options.failFast = flags.failFast || undefined;
    const state = initialState(runId, planRel, format.name, options, plan.tasks, previous, new Set(sel.passedOver));
    // An agent's usage limit is its account's, whatever the plan: the books of another plan's run keep it too.
    const limits = standingLimits(last?.agentLimits);
    if (limits) state.agentLimits = limits;
    const runDir = join(paths.runs, runId);
    mkdirSync(runDir, { recursive: true });

    // Secrets of the environment (and the agents' own) are masked in all that the run writes or shows.
    const redact = makeRedactor(process.env, ...agentNames.map((n) => config.agents?.[n]?.env));
    /** The first phase gates that failed in this run (blocking what waits on the phase, if anything). */
    let phaseGatesFailed: { scope: string; detail: string } | undefined;
    let scheduler: Scheduler | undefined;
    /** Merges waiting for the user's changes to the plan give up (the run is stopping). */
    let stopWaiting: (() => void) | undefined;
    const view: Logger = flags.json
      ? new JsonLogger()
      : process.stdout.isTTY && !process.env.CI
        ? new TtyLogger()
        : new PlainLogger();
    // Warnings go to the view alone (not the books), past the redacting logger: masked here.
    const warn = (message: string) => view.log({ type: 'warning', message: redact(message) });
    // Books that can no longer be written (a full disk) stop the run where they stopped: the agents
    // are stopped and nothing more lands, so what is on disk is what the next run resumes from.
    const books = new Books(paths, state, (e) => {
      queueMicrotask(() => {
        scheduler?.halt(`could not write the run's books (${e.message}); stopping the running agents`, true);
        stopWaiting?.();
      });
    });
    const unwritable = books.failure();
    if (unwritable) {
      process.stderr.write(
        `taskwave: could not write the run's books in ${shownPath(paths.dir)}: ${unwritable.message}\n`,
      );
      return EXIT.failed;
    }
    const logs = new TaskLogs(paths.logs, runId, warn);
    // In worktrees the plan's own books travel with the ticks, through the merge queue; in place they
    // are written as the run goes.
    const planBooks = inPlace ? new PlanBooks(format, plan, state, warn) : undefined;
    const planFiles = writtenIn.map((f) => relative(root, f));
    // Ticks that only edit the (committed) plan files, with no books of the format's own.
    const ticksEditPlanFiles = format.ticksEditOnly === true && !format.recordProgress;
    const workspaces = gitStart
      ? new TaskWorkspaces({
          root,
          stateDir: paths.dir,
          runId,
          integrationBranch: gitStart.branch,
          setup: config.workspace?.setup,
          copy: config.workspace?.copy,
          killGraceMs: config.killGrace !== undefined ? parseDuration(config.killGrace) : undefined,
          tick: (dir, taskId) => tickIn(dir, format, plan, root, taskId, state),
          tickEditsTrackedFiles: ticksEditPlanFiles,
          // A merge waits for the user's edits to any file a tick writes (a Claudio task's status.md too).
          planFiles: tickedFiles.map((f) => relative(root, f)),
          redact,
          onWaiting: (files) =>
            warn(
              `merges are waiting: your uncommitted changes to ${files.join(', ')} are in the way of every task's tick; commit or stash them and the run goes on (Ctrl-C stops it)`,
            ),
          onLost: (lost) => {
            for (const { taskId, commit } of lost) {
              scheduler?.revoke(
                taskId,
                `its commit ${commit.slice(0, 12)} is no longer on ${gitStart.branch}: the branch was moved back or rewritten during the run, and the task's tick went with it; it runs again next time`,
              );
            }
          },
          // Rebased under the run: the change is still there, and the books follow it to its new commit.
          onCopied: (copied) => {
            for (const { taskId, commit, was } of copied) log.log({ type: 'task-rebased', taskId, commit, was });
          },
        })
      : undefined;
    stopWaiting = () => workspaces?.stopWaiting();
    // Books first: an event is on disk before anyone is shown it.
    const runFiles = new RunFiles({
      runDir,
      state,
      plan: { ...plan, path: shownPath(plan.path), selected: new Set(sel.run) },
      ...(flags.junit ? { junitPath: resolve(flags.junit) } : {}),
      // Pasted into a shell: a path with a space or an id with a `;` must stay one word.
      retryCommand: (ids) =>
        shellCommand(['taskwave', 'run', shownPath(plan.path), ...(ids.length > 0 ? ['--only', ...ids] : [])]),
      warn,
    });
    const budget = new BudgetWatch(config.budget ?? {}, (reason) => scheduler?.halt(reason));
    // Last: the failure that made it stop is shown before the stop.
    const diskFull = new DiskFullWatch(
      (reason) => scheduler?.halt(reason),
      () => freeBytes(paths.dir),
    );
    // After the books: status.md and the report read the state the books just updated.
    const log = redactingLogger(
      fanout(books, ...(planBooks ? [planBooks] : []), budget, runFiles, logs, view, diskFull),
      redact,
    );
    const killGraceMs = config.killGrace !== undefined ? parseDuration(config.killGrace) : undefined;
    // In place, the files taskwave itself writes as the run goes, relative to the root: the plan's (its
    // ticks, and the person's edits meanwhile) and the format's own books (a platform-mode run log,
    // new with this run). A change there is never a task's: not its work, nor what a failed one left.
    const runsOwnFiles = (): string[] => {
      return [...new Set([...planAndBooks, ...(planBooks?.files ?? [])].map((f) => relative(root, f)))];
    };
    // Ctrl-C stops the phase's (and owed) gates under way, as the tasks' own are by their signal:
    // they run in process groups of their own, which the terminal's Ctrl-C does not reach.
    const gatesStop = new AbortController();
    const gateCtx: GateContext = {
      signal: gatesStop.signal,
      gates: gatesR.value,
      config,
      env: process.env as Record<string, string>,
      redact,
      killGraceMs,
      allowEmpty: flags.allowEmpty,
      planFiles: workspaces ? planFiles : undefined,
      ...(workspaces ? {} : { runsOwnFiles }),
      namedByOther: otherNamers(graph, (id) => state.tasks[id]?.status === 'done'),
      log: (e) => log.log(e),
    };

    if (last && last.status === 'running' && !resume) {
      log.log({
        type: 'warning',
        message: `run ${last.runId} did not finish (the process was stopped or crashed); its unfinished tasks run again`,
      });
    }
    // We hold the lock, so a run still marked running is dead: clear what it left behind. (A resumed
    // run reuses its id: its worktrees are re-created task by task, and the rest cleared here too.)
    // One killed after journaling its end left its worktrees (the merge one) and its merged tasks'
    // branches (deleted together at the very end): those go, the other branches (failed or
    // interrupted work) stay.
    const ended = last !== undefined && last.status !== 'running';
    if (last && ctx.git && (!ended || hasWorktrees(paths.dir, last.runId))) {
      const keep = new Set(['failed', 'conflict', 'unverified']);
      const safe = new Map(Object.entries(last.tasks).map(([id, t]) => [refSafe(id), t.status]));
      await cleanupDeadRun(root, paths.dir, last.runId, (task) =>
        ended ? safe.get(task) !== 'done' : keep.has(safe.get(task) ?? ''),
      );
    }
    // Branches of any earlier run whose work is on the branch after all (a run killed after a task
    // landed and before it deleted the branch; a failed attempt of a task that landed since).
    if (gitStart) await deleteLandedBranches(root, `refs/heads/${gitStart.branch}`, landedTasksOf(last));

    // Outermost: a task whose agent waits out its usage limit does not start (nor take a slot).
    const usageLimits = new UsageLimits(
      (t) => agentOf(t.id),
      {
        maxWaitMs: usageLimitWaitMs(config),
        onResume: () => scheduler?.poke(),
        onStop: (reason) => scheduler?.halt(reason),
      },
      new AgentSlots(
        (t) => agentOf(t.id),
        new Map(
          agentNames.flatMap((n) => {
            const limit = config.agents?.[n]?.concurrency;
            return limit !== undefined ? [[n, limit] as const] : [];
          }),
        ),
        new FileLocks(referenceDocuments(plan.documents, folderOf(plan.path), root)),
      ),
    );
    const commitInPlace = workspaces
      ? undefined
      : await inPlaceCommitter(
          root,
          ctx.git && flags.commit !== false,
          redact,
          ticksEditPlanFiles ? planFiles : undefined,
          (message) => log.log({ type: 'warning', message }),
        );
    // In place with no commit per task, a task that was the last to start and is not done reads its
    // changes against what its earlier attempt started from, if git still has it.
    // In place in git: the branch the run started on, which an agent must leave checked out.
    const startBranch = !workspaces && ctx.git ? await branchCheckedOut(root) : undefined;
    const lastStart = previous?.inPlaceStart;
    const lastInPlaceStart =
      !workspaces && !commitInPlace && ctx.git && lastStart && (await hasTree(root, lastStart.base))
        ? lastStart
        : undefined;
    const runner = createTaskRunner({
      plan,
      format,
      agentFor: (t) => agents.get(agentOf(t.id)) as AgentAdapter,
      root,
      runId,
      runDir,
      timeoutFor,
      killGraceMs,
      redact,
      previousAttempts: (id) => previous?.tasks[id]?.attempts ?? 0,
      previousSession: (id) => previous?.tasks[id]?.sessionId,
      ...(workspaces ? { workspaces } : {}),
      verifier: makeVerifier(gateCtx),
      repairAttempts: config.repair?.attempts,
      retryAttempts: config.retry?.attempts,
      usageLimits,
      ...(commitInPlace ? { commitInPlace } : {}),
      ...(lastInPlaceStart ? { lastInPlaceStart } : {}),
      inPlaceLeftOf: (id) => state.tasks[id]?.inPlaceLeft,
      ...(commitInPlace
        ? {
            inPlaceLeftovers: async () => {
              const own = new Set(runsOwnFiles());
              return (await statusPaths(root)).filter((p) => !own.has(p));
            },
          }
        : {}),
      ...(startBranch ? { checkoutMoved: (landed) => checkoutMoved(root, startBranch, landed) } : {}),
      ...(workspaces ? {} : { restoreStateFolder: () => ensureStateDir(paths) }),
      ...(workspaces
        ? {}
        : {
            untickedInPlace: async (ids: readonly string[]) => {
              const now = await planIn(root, format, plan, root);
              if (!now.ok) return [];
              const status = new Map(now.value.tasks.map((t) => [t.id, t.status]));
              return ids.filter((id) => status.has(id) && status.get(id) !== 'done');
            },
          }),
      revoke: (id, message) => scheduler?.revoke(id, message),
      halt: (reason) => scheduler?.halt(reason),
      gatesOf: (id) => state.tasks[id]?.gates ?? [],
      log: (e) => log.log(e),
    });
    scheduler = new Scheduler({
      tasks: toRun,
      concurrency: slots,
      compare,
      guard: usageLimits,
      execute: (t, signal, slot) => runner.execute(t, signal, slot),
      attempts: (id) => runner.attempts(id),
      skipped: sel.done.map((id) => byId.get(id) as Task),
      afterDone: phaseGateHook(toRun, gateCtx, root, workspaces, (phase, result) => {
        phaseGatesFailed ??= { scope: phase, detail: describeGateFailure(result) };
      }),
      failFast: flags.failFast,
      log: (e) => {
        // A run that starts nothing more does not wait hours for a limit to run an agent again either.
        if (e.type === 'run-stopping') usageLimits.endWaits();
        log.log(e);
      },
    });
    const sched = scheduler;

    // The run's time as the user reads it: from here to the verdict, the owed phase gates before the
    // tasks and the final gates after them included (the scheduler times only its own loop).
    const runT0 = Date.now();
    log.log({
      type: 'run-started',
      runId,
      plan: shownPath(plan.path),
      format: format.name,
      toRun: toRun.length,
      alreadyDone: sel.done.length,
      concurrency: slots,
      agent: agentLabel,
      resumed: resume !== undefined,
    });
    // What the plan's reader noticed (a task written out of order) goes with the run's other warnings.
    for (const w of plan.warnings) {
      log.log({ type: 'warning', message: w.message, ...(w.location ? { location: displaySpan(w.location) } : {}) });
    }
    if (gitStart && gitStart.dirty.length > 0) {
      log.log({
        type: 'warning',
        message: `${gitStart.dirty.length} file(s) have uncommitted changes (${gitStart.dirty.slice(0, 3).join(', ')}${gitStart.dirty.length > 3 ? ', …' : ''}): tasks start from the last commit and your changes are left alone`,
      });
    }
    // Only when asked for: the default (or the config's, for worktree runs) is no request to explain.
    if (flags.inPlace && flags.concurrency !== undefined && concurrency > 1) {
      log.log({ type: 'warning', message: '--in-place runs one task at a time: agents would share the working tree' });
    }
    for (const u of sel.unrunnable) log.log({ type: 'warning', message: `cannot run ${u.id}: ${u.reason}` });
    // An agent an earlier run left at its usage limit, not reset yet: its tasks wait for the reset (or
    // the run stops) as if this run had met the limit, rather than each meet it again at its start.
    const stoppedByLimit = carryOverLimits(state, agentNames, usageLimits, (e) => log.log(e));

    let interrupts = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      interrupts++;
      if (interrupts === 1) {
        log.log({
          type: 'interrupt',
          message: `${sig}: stopping the running agents and saving state (press Ctrl-C again to stop waiting)`,
        });
        sched.cancel();
        gatesStop.abort();
        stopWaiting?.();
      } else {
        // The books are written on every event; leaving now loses nothing but the agents' last words.
        killAllProcessGroups();
        books.close();
        runFiles.close();
        lock.value.release();
        process.exit(EXIT.interrupted);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      // The format's own books say the run started (a specs tree's session) before any task writes to them.
      await planBooks?.flush();
      // Stopped before it starts (a limit beyond usageLimit.wait): the gates are owed to the next run.
      const owed = stoppedByLimit
        ? undefined
        : await owedPhaseGates(
            owedPhases(graph, new Set(sel.run), lastPhaseResults(previous), phasesNamed(flags, sel, byId)),
            gateCtx,
            root,
            workspaces,
          );
      if (owed) {
        phaseGatesFailed = { scope: owed.phase, detail: describeGateFailure(owed.result) };
        sched.block(owed.waiting, owed.reason);
      }
      let summary = await sched.run();
      usageLimits.dispose();
      if (workspaces) {
        // A move of the branch back after the last merge: the tasks it took off are not done.
        await workspaces.recheck();
        summary = sched.summary(summary.durationMs);
      }
      // Phase gates that failed fail the run, also with nothing left to block (the last phase's).
      if (summary.status !== 'interrupted' && phaseGatesFailed) {
        summary = { ...summary, status: 'failed', gatesFailed: phaseGatesFailed };
      }
      if (summary.status === 'done') {
        // Everything landed: the final gates judge the whole.
        const failed = await runFinalGates(gateCtx, root, workspaces);
        // Stopped by Ctrl-C, they did not fail: the run is interrupted, and the next one runs them.
        if (failed && gatesStop.signal.aborted) summary = { ...summary, status: 'interrupted' };
        else if (failed)
          summary = {
            ...summary,
            status: 'failed',
            gatesFailed: { scope: 'final', detail: describeGateFailure(failed) },
          };
      }
      summary = { ...summary, durationMs: Date.now() - runT0 };
      log.log({ type: 'run-finished', runId, summary });
      await planBooks?.flush();
      if (commitInPlace && format.recordProgress) {
        const r = await commitOwnFilesInPlace(root, runsOwnFiles(), booksCommitMessage(runId));
        if (!r.ok) warn(`could not commit the ${format.name} plan's own books: ${r.error}`);
      }
      if (workspaces) {
        if (format.recordProgress && summary.counts.total > 0) {
          const r = await workspaces.commitBooks(booksCommitMessage(runId), (dir) =>
            recordIn(dir, format, plan, root, state),
          );
          if (!r.ok) warn(`could not commit the ${format.name} plan's own books: ${r.error}`);
        }
        await workspaces.close();
        // The earlier attempts of the tasks that landed now; the other branches were judged at the start.
        const landedNow = new Set(summary.tasks.filter((t) => t.status === 'done').map((t) => refSafe(t.id)));
        await deleteLandedBranches(root, `refs/heads/${workspaces.integrationBranch}`, landedTasksOf(state), landedNow);
      }
      if (ctx.git) await maintainOnce(root);
      log.close();
      const stoppedBy = books.failure();
      if (stoppedBy) {
        process.stderr.write(
          `taskwave: the run stopped because its books could not be written (${stoppedBy.message}); what finished before that is on disk: free some space and run again to go on\n`,
        );
        return EXIT.failed;
      }
      return summary.status === 'done' ? EXIT.ok : summary.status === 'interrupted' ? EXIT.interrupted : EXIT.failed;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } finally {
    lock.value.release();
  }
}

/** Why a dry run says a phase's gates would run first, as the books have it. */
function owedWhy(o: OwedPhase, books: boolean): string {
  const last =
    o.last === 'failed'
      ? 'their last run failed'
      : books
        ? 'the last run did not run them'
        : 'no run of them on record';
  const n = o.waiting.length;
  if (n === 0) return last;
  // A phase of hundreds of tasks behind it: a few names say enough.
  const names = n > 4 ? `${o.waiting.slice(0, 3).join(', ')} and ${n - 3} more` : o.waiting.join(', ');
  return `${last}; ${names} wait${n > 1 ? '' : 's'} on them`;
}

/** The plan as it is in `dir` (a checkout of the integration head), read again by its format. */
async function planIn(dir: string, format: PlanFormat, plan: Plan, root: string): Promise<Result<Plan, string>> {
  const r = await format.read(join(dir, relative(root, plan.path)), plan.tag !== undefined ? { tag: plan.tag } : {});
  return r.ok ? r : err(r.error.map(formatDiagnostic).join('\n'));
}

/** Tick a task in the checkout at `dir`, with the format's own books as they stand once it is done. */
async function tickIn(
  dir: string,
  format: PlanFormat,
  plan: Plan,
  root: string,
  taskId: string,
  state: ExecutionState,
): Promise<Result<void, string>> {
  const there = await planIn(dir, format, plan, root);
  if (!there.ok) return there;
  const w = await format.writeStatus(there.value, taskId, 'done', state.runId);
  if (!w.ok) return err(w.error.message);
  if (!format.recordProgress) return ok(undefined);
  const record = state.tasks[taskId];
  const progress = record
    ? { ...state, tasks: { ...state.tasks, [taskId]: { ...record, status: 'done' as const } } }
    : state;
  const b = await format.recordProgress(there.value, progress);
  return b.ok ? ok(undefined) : err(b.error.message);
}

async function recordIn(
  dir: string,
  format: PlanFormat,
  plan: Plan,
  root: string,
  state: ExecutionState,
): Promise<Result<void, string>> {
  const there = await planIn(dir, format, plan, root);
  if (!there.ok || !format.recordProgress) return there.ok ? ok(undefined) : there;
  const b = await format.recordProgress(there.value, state);
  return b.ok ? ok(undefined) : err(b.error.message);
}

/** The commit of the format's own books as a run left them (worktrees: all of them; in place: their last word). */
function booksCommitMessage(runId: string): string {
  return `taskwave: the plan's books after run ${runId}\n`;
}

/** The recorded usage limits that still stand, for the books of a new run; undefined when none does. */
function standingLimits(limits: Record<string, AgentLimit> | undefined): Record<string, AgentLimit> | undefined {
  const now = Date.now();
  const standing = Object.entries(limits ?? {}).filter(([, l]) => standingLimit(l, now) !== undefined);
  return standing.length > 0 ? Object.fromEntries(standing) : undefined;
}

/**
 * The usage limits earlier runs met that still stand (the books' `agentLimits`), for the agents of
 * this run's tasks: each pauses its agent as if this run had met it, said as a live limit is, or
 * stops the run when its reset is further off than `usageLimit.wait`. True when one stopped it.
 */
function carryOverLimits(
  state: ExecutionState,
  agents: readonly string[],
  limits: UsageLimits,
  log: (e: RunEvent) => void,
): boolean {
  let stopped = false;
  for (const agent of agents) {
    const recorded = state.agentLimits?.[agent];
    const until = recorded ? standingLimit(recorded, Date.now()) : undefined;
    if (!recorded || until === undefined) continue;
    const resetsAt = recorded.resetsAt !== undefined ? Date.parse(recorded.resetsAt) : Number.NaN;
    const limit = { message: recorded.message, ...(Number.isFinite(resetsAt) ? { resetsAt } : {}) };
    const decision = limits.carryOver(agent, limit, until);
    if (!decision) continue;
    log({ type: 'usage-limit', agent, ...limit, ...('until' in decision ? { until: decision.until } : {}) });
    if ('stop' in decision) {
      limits.stopRun(decision.stop);
      stopped = true;
    }
  }
  return stopped;
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
    runs: [...new Set([...(previous?.runs ?? (previous ? [previous.runId] : [])), runId])],
    plan: { path: planPath, format },
    status: 'running',
    startedAt: previous?.runId === runId ? previous.startedAt : now,
    updatedAt: now,
    options,
    tasks: records,
    overall: computeOverall(records),
    journalOffset: 0,
    ...(previous?.inPlaceStart ? { inPlaceStart: previous.inPlaceStart } : {}),
  };
  // A pass of a phase's gates in a run before holds in this one, which may not run them.
  const earlier = inheritedPhaseGates(previous);
  if (Object.keys(earlier).length > 0) state.earlierPhaseGates = earlier;
  return state;
}
