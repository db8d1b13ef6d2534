import type { RunEvent } from '../events.js';
import { compileSecretRules, type SecretRules } from '../gates/secrets.js';
import { Semaphore } from '../gates/semaphore.js';
import { type GateSets, gatesFromConfig } from '../gates/specs.js';
import { describeGateFailure, type GateResult, type GateScope } from '../gates/types.js';
import { createVerifier, runGates, type Verifier } from '../gates/verifier.js';
import { at, type TaskGraph } from '../graph/dag.js';
import type { Selection } from '../graph/index.js';
import type { OtherNamer } from '../graph/shared-names.js';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import type { Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { type ExecutionState, inheritedPhaseGates } from '../state/execution.js';
import { parseDuration } from '../util/duration.js';
import { commitAll, commitAllAt, taskCommitMessage } from '../workspace/commit.js';
import { git } from '../workspace/git.js';
import type { StagedIndex } from '../workspace/staged-index.js';
import { pathsOfStatus, statusPaths } from '../workspace/status-paths.js';
import type { TaskWorkspaces } from '../workspace/task-workspaces.js';
import type { Config } from './config.js';
import type { ScopeFlags } from './selection.js';

/** The gates a run uses, read from the config once (bad entries are usage errors). */
export interface RunGates {
  sets: GateSets;
  secrets: SecretRules;
  semaphore: Semaphore;
}

export function readGates(config: Config): Result<RunGates, Diagnostic[]> {
  const sets = gatesFromConfig(config.gates);
  const secrets = compileSecretRules(config.gates?.secrets, config.gates?.allowSecrets);
  const problems = [...(sets.ok ? [] : sets.error), ...(secrets.ok ? [] : secrets.error)];
  if (!sets.ok || !secrets.ok) return err(problems.map((p) => errorAt(undefined, `config: ${p}`)));
  return ok({ sets: sets.value, secrets: secrets.value, semaphore: new Semaphore(sets.value.concurrency) });
}

export interface GateContext {
  gates: RunGates;
  config: Config;
  env: Record<string, string>;
  redact: (text: string) => string;
  killGraceMs?: number;
  allowEmpty?: boolean;
  /** The plan's own files relative to the root, guarded in worktrees. */
  planFiles?: readonly string[];
  /** Who else names a file a task names (`otherNamers` of the run's graph), for named-files-exist. */
  namedByOther?: OtherNamer;
  /** In place: the files taskwave itself writes as the run goes (see `VerifierOptions.runsOwnFiles`). */
  runsOwnFiles?: () => readonly string[];
  /** Stops the gate commands under way (a phase's, the owed ones) when the run is interrupted. */
  signal?: AbortSignal;
  log(e: RunEvent): void;
}

export function makeVerifier(c: GateContext): Verifier {
  return createVerifier({
    taskGates: c.gates.sets.task,
    secrets: c.gates.secrets,
    allowEmpty: c.allowEmpty,
    planFiles: c.planFiles,
    ignore: c.config.workspace?.copy,
    ...(c.runsOwnFiles ? { runsOwnFiles: c.runsOwnFiles } : {}),
    namedByOther: c.namedByOther,
    semaphore: c.gates.semaphore,
    env: c.env,
    redact: c.redact,
    killGraceMs: c.killGraceMs,
    backoffBaseMs: c.config.retry?.backoff !== undefined ? parseDuration(c.config.retry.backoff) : undefined,
    log: c.log,
  });
}

/**
 * Runs `gates` where the integration branch is: a clean checkout of its head between merges (with
 * worktrees), else the working tree. The first failure, if any.
 */
async function gatesAtHead(
  specs: GateSets['phase'],
  scope: GateScope,
  c: GateContext,
  root: string,
  workspaces: TaskWorkspaces | undefined,
): Promise<GateResult | undefined> {
  const run = (dir: string) => runGates(specs, dir, scope, { ...c, semaphore: c.gates.semaphore });
  if (!workspaces) return run(root);
  const r = await workspaces.atHead(run);
  if (r.ok) return r.value;
  return {
    name: 'checkout',
    command: 'git checkout',
    ok: false,
    durationMs: 0,
    outputTail: r.error,
    message: `could not check out the integration branch: ${r.error}`,
  };
}

/**
 * The hook the scheduler runs after each task: when the task is the last of its phase in this run,
 * the phase's gates run on what landed; a failure blocks everything downstream.
 */
export function phaseGateHook(
  tasks: readonly Task[],
  c: GateContext,
  root: string,
  workspaces: TaskWorkspaces | undefined,
  onFailed: (phase: string, result: GateResult) => void,
): ((task: Task) => Promise<string | undefined>) | undefined {
  const specs = c.gates.sets.phase;
  if (specs.length === 0) return undefined;
  const left = new Map<string, number>();
  for (const t of tasks) left.set(t.phase, (left.get(t.phase) ?? 0) + 1);
  return async (task) => {
    const n = (left.get(task.phase) ?? 1) - 1;
    left.set(task.phase, n);
    if (n > 0) return undefined;
    const failed = await gatesAtHead(specs, { kind: 'phase', phase: task.phase }, c, root, workspaces);
    if (!failed) return undefined;
    onFailed(task.phase, failed);
    return phaseGatesReason(task.phase, failed);
  };
}

/** What a phase's failed gates block with: `phase 2 gates (build: exit 1)`. */
function phaseGatesReason(phase: string, failed: GateResult): string {
  return `phase ${phase} gates (${describeGateFailure(failed)})`;
}

/** A finished phase whose gates a run owes before anything else: what the books say of them, who waits. */
export interface OwedPhase {
  phase: string;
  /** The tasks of this run that wait on the phase (maybe none). */
  waiting: string[];
  /** What the last run's books say of these gates: they failed, or nothing (that run did not run them). */
  last: 'failed' | undefined;
}

/**
 * What the books of this plan say of each phase's gates the last time a run ran them: passed,
 * failed, or nothing (no run on record did).
 */
export function lastPhaseResults(
  previous: ExecutionState | undefined,
): (phase: string) => 'passed' | 'failed' | undefined {
  const verdicts = inheritedPhaseGates(previous);
  return (phase) => verdicts[phase];
}

/**
 * The phases a run was asked for by name (`--phase`, or `--only` naming their tasks) whose selected
 * tasks are done already. With nothing of theirs left to run, their owed gates are what the run is
 * for: a failure of them must not end as "nothing to do".
 */
export function phasesNamed(flags: ScopeFlags, selection: Selection, byId: ReadonlyMap<string, Task>): Set<string> {
  if (flags.phase === undefined && flags.only === undefined) return new Set();
  const phases = new Set<string>();
  for (const id of selection.done) {
    const task = byId.get(id);
    if (task) phases.add(task.phase);
  }
  return phases;
}

/**
 * Phase gates owed from earlier runs. A phase whose tasks were all done before this run had its
 * gates run when its last task landed, unless that run stopped first; and gates that failed then
 * blocked the later phases, whose tasks would now start on a phase nobody checked. So before
 * anything starts, each finished phase with tasks of this run right behind it, or named by this run
 * (`named`: `--phase 1` on a finished phase 1), has its gates run again at the head, unless the last
 * run's books say they passed; and a finished phase whose gates the last run saw fail has them run
 * again even with nothing behind it (the plan's last phase). In plan order. Decided without running
 * anything: `--dry-run` lists them.
 */
export function owedPhases(
  graph: TaskGraph,
  toRun: ReadonlySet<string>,
  lastResult: (phase: string) => 'passed' | 'failed' | undefined,
  named: ReadonlySet<string> = new Set(),
): OwedPhase[] {
  const finished = (t: Task) => t.status === 'done' || t.status === 'skipped' || (t.optional && !toRun.has(t.id));
  const open = new Set(graph.tasks.filter((t) => !finished(t)).map((t) => t.phase));
  const waiting = new Map<string, string[]>();
  graph.tasks.forEach((t, i) => {
    if (!toRun.has(t.id)) return;
    const behind = new Set<string>();
    for (const d of at(graph.deps, i)) {
      const phase = at(graph.tasks, d).phase;
      if (phase !== t.phase && !open.has(phase)) behind.add(phase);
    }
    for (const phase of behind) {
      const list = waiting.get(phase);
      if (list) list.push(t.id);
      else waiting.set(phase, [t.id]);
    }
  });
  const owed: OwedPhase[] = [];
  for (const phase of [...new Set(graph.tasks.map((t) => t.phase))]) {
    if (open.has(phase)) continue;
    const tasks = waiting.get(phase) ?? [];
    const last = lastResult(phase);
    if (last === 'passed' || (tasks.length === 0 && !named.has(phase) && last !== 'failed')) continue;
    owed.push({ phase, waiting: tasks, last });
  }
  return owed;
}

/**
 * Runs the owed phase gates (`owedPhases`) at the head, in order. The first failure, with the tasks
 * of this run that wait on that phase (maybe none).
 */
export async function owedPhaseGates(
  owed: readonly OwedPhase[],
  c: GateContext,
  root: string,
  workspaces: TaskWorkspaces | undefined,
): Promise<{ waiting: string[]; phase: string; result: GateResult; reason: string } | undefined> {
  const specs = c.gates.sets.phase;
  if (specs.length === 0) return undefined;
  for (const { phase, waiting } of owed) {
    const failed = await gatesAtHead(specs, { kind: 'phase', phase }, c, root, workspaces);
    if (failed) return { waiting, phase, result: failed, reason: phaseGatesReason(phase, failed) };
  }
  return undefined;
}

/** The final gates, after every task is done. The first failure, if any. */
export function runFinalGates(
  c: GateContext,
  root: string,
  workspaces: TaskWorkspaces | undefined,
): Promise<GateResult | undefined> {
  if (c.gates.sets.final.length === 0) return Promise.resolve(undefined);
  return gatesAtHead(c.gates.sets.final, { kind: 'final' }, c, root, workspaces);
}

/**
 * In place: commit what a task changed (and its tick) once it is verified — unless the tree held
 * changes of the user's own when the run started (they would be swept into the commit) or `--no-commit`.
 * `tickFiles`: all that a tick writes, when known (tracked files): the tree as the verification
 * staged it is then committed with them, without staging the tree again. `redact` masks the message:
 * the body quotes the agent's final message, which may echo a secret.
 */
export async function inPlaceCommitter(
  root: string,
  enabled: boolean,
  redact: (text: string) => string,
  tickFiles?: readonly string[],
  warn?: (message: string) => void,
): Promise<
  | ((task: Task, summary: string | undefined, staged?: StagedIndex) => Promise<Result<string | undefined, string>>)
  | undefined
> {
  if (!enabled) return undefined;
  const head = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  const status = await git(root, ['status', '--porcelain=v1', '-z']);
  if (!head.ok || !status.ok) return undefined;
  const dirty = pathsOfStatus(status.value, { oldPaths: false });
  if (dirty.length > 0) {
    // Said out loud: a failed task's leftovers from the last run would otherwise stop every commit silently.
    const files = dirty.slice(0, 3);
    warn?.(
      `in place, no task is committed this run: the working tree has uncommitted changes (${files.join(', ')}${dirty.length > 3 ? ', …' : ''}) that a commit would sweep in; commit or stash them to have each task committed`,
    );
    return undefined;
  }
  return (task, summary, staged) =>
    commitAllAt(
      root,
      redact(taskCommitMessage(task.id, task.title, summary)),
      staged && tickFiles ? { staged, include: tickFiles } : {},
    );
}

/**
 * In place, once the run has ended: commits what the run's own files (`own`: the plan, the format's
 * books, relative to the root) hold that the last task's commit did not. The books' last word (a
 * platform-mode log's outcome, a specs tree's session) is written after that commit; left in the
 * tree, it would stop the next run in place from committing anything. Only when nothing else has
 * changed: anything else (a failed task's leftovers, a task git could not commit) stopped the
 * commits this run, and stays as it is. False when there was nothing to commit.
 */
export async function commitOwnFilesInPlace(
  root: string,
  own: readonly string[],
  message: string,
): Promise<Result<boolean, string>> {
  const changed = await statusPaths(root);
  const ours = new Set(own);
  if (changed.length === 0 || !changed.every((p) => ours.has(p))) return ok(false);
  return commitAll(root, message);
}
