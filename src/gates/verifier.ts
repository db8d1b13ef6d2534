import type { RunEvent, TaskError } from '../events.js';
import type { Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { git } from '../workspace/git.js';
import { StagedIndex } from '../workspace/staged-index.js';
import { snapshotTree, treeWithout } from '../workspace/tree-snapshot.js';
import {
  checkChangedSomething,
  checkNamedFilesExist,
  checkNoNestedRepos,
  checkNoSecrets,
  checkNoUnaskedDeletions,
  checkPlanUntouched,
} from './builtin.js';
import { renderRepairPrompt } from './repair-prompt.js';
import { runGate } from './run-gate.js';
import type { SecretRules } from './secrets.js';
import type { Semaphore } from './semaphore.js';
import { backoffMs, isTransient } from './transient.js';
import type { GateResult, GateScope, GateSpec } from './types.js';
import { changesIn, readChanges, type WorktreeChanges } from './worktree-diff.js';

/** Why a task's result is not verified. */
export interface VerifyFailure {
  /** `gate`: a command or check failed (repairable); `unverified`: nothing changed; `secret`: never merged. */
  kind: 'gate' | 'unverified' | 'secret';
  result: GateResult;
  findings?: string[];
}

/** What a passed verification found, for the steps after it. */
export interface Verified {
  /** The paths the task changed since its base (when it had one to compare with). */
  changed?: readonly string[];
  /**
   * The checkout as verified, staged in a copy of its index, when nothing ran in the checkout after
   * it was read (no gate command): the task's commit can be made from it. Whoever receives it disposes
   * of it.
   */
  staged?: StagedIndex;
}

/** What the task runner needs from the gates stage. */
export interface Verifier {
  /** The commit a task starts from in place (worktrees know theirs). */
  baseline(dir: string): Promise<string | undefined>;
  /**
   * The checkout as it is now, as a git tree: what a task starts from in place when no task is
   * committed (the last commit holds neither the earlier tasks' work nor the user's own changes).
   * `without`: what an earlier attempt of the task left in the tree (`treeWithout`), taken out of
   * the snapshot so that it counts as the task's change; where git cannot, the plain snapshot.
   */
  snapshot(dir: string, without?: { base: string; tree: string }): Promise<string | undefined>;
  /**
   * Built-in checks, then the task's gates, in `dir`; each result is logged. The first failure, if any.
   * `signal`: the task's, which stops a gate command under way (Ctrl-C, --fail-fast).
   */
  verify(
    task: Task,
    dir: string,
    base: string | undefined,
    attempt: number,
    signal?: AbortSignal,
  ): Promise<Result<Verified, VerifyFailure>>;
  repairPrompt(taskPrompt: string, failure: VerifyFailure, repair: number, maxRepairs: number): string;
  /** A failure worth running the agent again for, without counting as a repair. */
  isTransient(error: TaskError): boolean;
  backoffMs(retry: number): number;
}

export interface VerifierOptions {
  /** The task gates from the config. */
  taskGates: readonly GateSpec[];
  secrets: SecretRules;
  /** `--allow-empty`. */
  allowEmpty?: boolean;
  /**
   * The plan's own files, relative to the repository root. In a worktree an edit to them can only be
   * the agent's: it is refused (in place a person may be editing the plan, so this is not checked).
   */
  planFiles?: readonly string[];
  /** Paths taskwave itself put in a worktree (`workspace.copy`): not the agent's change. */
  ignore?: readonly string[];
  /**
   * In place, the files taskwave itself writes as the run goes (the plan's ticks, a format's own books
   * such as a platform-mode run log, written as each task starts), relative to the checkout: not the
   * agent's change either. Asked at each verification: a run log is new with the run.
   */
  runsOwnFiles?: () => readonly string[];
  /**
   * Another task that names a file too and may not have run before this one (`otherNamers` of the
   * run's graph): a missing file it names is not held against this task.
   */
  namedByOther?: (taskId: string, file: string) => string | undefined;
  /** Gates that share the machine (a build, a test suite) take turns: `gates.concurrency`. */
  semaphore: Semaphore;
  env: Record<string, string>;
  redact?: (text: string) => string;
  killGraceMs?: number;
  /** First backoff of a transient retry, doubled each time (with jitter). */
  backoffBaseMs?: number;
  signal?: AbortSignal;
  log(e: RunEvent): void;
}

/**
 * The gates stage as the task runner sees it. Order matters: a task that changed nothing or leaks a
 * secret is judged before any command runs (cheap, and a secret is never fed back for repair); then
 * the named files, then the project's own gates, which take turns on the machine.
 */
export function createVerifier(o: VerifierOptions): Verifier {
  const checkAndRunGates = async (
    task: Task,
    dir: string,
    attempt: number,
    read: { base?: string; changes?: Promise<Result<WorktreeChanges, string>> },
    signal: AbortSignal | undefined,
  ): Promise<Result<Verified, VerifyFailure>> => {
    const scope: GateScope = { kind: 'task', taskId: task.id };
    const record = <R extends GateResult>(result: R): R => {
      o.log({ type: 'gate-finished', scope, result, attempt });
      return result;
    };
    let changed: readonly string[] | undefined;
    if (read.base && read.changes) {
      // One reading of what the task changed, for every check below.
      const at = { cwd: dir, base: read.base, changes: read.changes };
      const ignore = [...(o.ignore ?? []), ...(o.runsOwnFiles?.() ?? [])];
      const found = record(await checkChangedSomething({ ...at, task, allowEmpty: o.allowEmpty, ignore }));
      if (!found.ok) return err({ kind: 'unverified', result: found });
      const secrets = record(await checkNoSecrets({ ...at, rules: o.secrets }));
      if (!secrets.ok) return err({ kind: 'secret', result: secrets, findings: secrets.findings });
      if (o.planFiles && o.planFiles.length > 0) {
        const plan = record(await checkPlanUntouched({ ...at, planFiles: o.planFiles }));
        if (!plan.ok) return err({ kind: 'gate', result: plan });
      }
      const deletions = record(await checkNoUnaskedDeletions({ ...at, task }));
      if (!deletions.ok) return err({ kind: 'gate', result: deletions });
      // With planFiles the checkout is a worktree of the task's own (see VerifierOptions).
      const nested = record(await checkNoNestedRepos({ ...at, worktree: o.planFiles !== undefined }));
      if (!nested.ok) return err({ kind: 'gate', result: nested });
      const seen = await at.changes;
      if (seen.ok) changed = seen.value.changed;
    }
    const other = o.namedByOther;
    const namedByOther = other ? (file: string) => other(task.id, file) : undefined;
    const named = record(await checkNamedFilesExist({ cwd: dir, task, changed, namedByOther }));
    if (!named.ok) return err({ kind: 'gate', result: named });
    const failed = await runGates(o.taskGates, dir, scope, { ...o, signal: signal ?? o.signal }, attempt);
    if (failed) return err({ kind: 'gate', result: failed });
    if (read.base && o.taskGates.length > 0) {
      // What the gates wrote (a build's output, a key inlined from the environment) is committed
      // with the task: it is scanned too.
      const after = { cwd: dir, base: read.base, changes: readChanges(dir, read.base) };
      const secrets = record(await checkNoSecrets({ ...after, rules: o.secrets }));
      if (!secrets.ok) return err({ kind: 'secret', result: secrets, findings: secrets.findings });
    }
    return ok(changed ? { changed } : {});
  };

  return {
    async baseline(dir) {
      const head = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
      return head.ok ? head.value.trim() : undefined;
    },

    async snapshot(dir, without) {
      const tree = await snapshotTree(dir);
      if (!tree.ok) return undefined;
      if (!without) return tree.value;
      const less = await treeWithout(dir, tree.value, without);
      return less.ok ? less.value : tree.value;
    },

    async verify(task, dir, base, attempt, signal) {
      if (!base) return checkAndRunGates(task, dir, attempt, {}, signal);
      const staged = await StagedIndex.take(dir);
      if (!staged.ok) {
        // Unreadable checkout: the checks below say so, as they read the changes.
        return checkAndRunGates(task, dir, attempt, { base, changes: Promise.resolve(staged) }, signal);
      }
      let handedOver = false;
      try {
        const r = await checkAndRunGates(task, dir, attempt, { base, changes: changesIn(staged.value, base) }, signal);
        // Gate commands may have changed the checkout since it was staged: the copy is no longer it.
        if (!r.ok || o.taskGates.length > 0) return r;
        handedOver = true;
        return ok({ ...r.value, staged: staged.value });
      } finally {
        if (!handedOver) staged.value.dispose();
      }
    },

    repairPrompt(taskPrompt, failure, repair, maxRepairs) {
      return renderRepairPrompt(taskPrompt, failure.result, repair, maxRepairs);
    },

    isTransient(error) {
      switch (error.reason) {
        case 'agent-exit':
          return isTransient(error.outputTail, {
            reason: error.reason,
            exitCode: error.exitCode,
            signal: error.signal,
          });
        case 'agent-error':
          return isTransient(error.message, { reason: error.reason });
        default:
          return false;
      }
    },

    backoffMs(retry) {
      return backoffMs(retry, o.backoffBaseMs);
    },
  };
}

/** Run gates one after another in `dir` (a task's, a phase's, the final ones), stopping at the first failure. */
export async function runGates(
  specs: readonly GateSpec[],
  dir: string,
  scope: GateScope,
  o: Pick<VerifierOptions, 'semaphore' | 'env' | 'redact' | 'killGraceMs' | 'signal' | 'log'>,
  /** The task's attempt, for task gates. */
  attempt?: number,
): Promise<GateResult | undefined> {
  for (const spec of specs) {
    const result = await o.semaphore.use(() =>
      runGate(spec, { cwd: dir, env: o.env, signal: o.signal, killGraceMs: o.killGraceMs, redact: o.redact }),
    );
    o.log({ type: 'gate-finished', scope, result, ...(attempt !== undefined ? { attempt } : {}) });
    if (!result.ok) return result;
  }
  return undefined;
}
