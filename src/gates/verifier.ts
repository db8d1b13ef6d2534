import type { RunEvent, TaskError } from '../events.js';
import type { Task } from '../plan/types.js';
import { git } from '../workspace/git.js';
import {
  checkChangedSomething,
  checkNamedFilesExist,
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
import { readChanges } from './worktree-diff.js';

/** Why a task's result is not verified. */
export interface VerifyFailure {
  /** `gate`: a command or check failed (repairable); `unverified`: nothing changed; `secret`: never merged. */
  kind: 'gate' | 'unverified' | 'secret';
  result: GateResult;
  findings?: string[];
}

/** What the task runner needs from the gates stage. */
export interface Verifier {
  /** The commit a task starts from in place (worktrees know theirs). */
  baseline(dir: string): Promise<string | undefined>;
  /** Built-in checks, then the task's gates, in `dir`; each result is logged. The first failure, if any. */
  verify(task: Task, dir: string, base: string | undefined, attempt: number): Promise<VerifyFailure | undefined>;
  /** The paths the last verification in `dir` found changed since its base (undefined: none read them). */
  changedPaths(dir: string): readonly string[] | undefined;
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
  const lastChanged = new Map<string, readonly string[]>();
  return {
    async baseline(dir) {
      const head = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
      return head.ok ? head.value.trim() : undefined;
    },

    async verify(task, dir, base, attempt) {
      const scope: GateScope = { kind: 'task', taskId: task.id };
      const record = <R extends GateResult>(result: R): R => {
        o.log({ type: 'gate-finished', scope, result, attempt });
        return result;
      };
      if (base) {
        // One reading of what the task changed, for every check below.
        lastChanged.delete(dir);
        const changes = readChanges(dir, base).then((r) => {
          if (r.ok) lastChanged.set(dir, r.value.changed);
          return r;
        });
        const at = { cwd: dir, base, changes };
        const changed = record(
          await checkChangedSomething({ ...at, task, allowEmpty: o.allowEmpty, ignore: o.ignore }),
        );
        if (!changed.ok) return { kind: 'unverified', result: changed };
        const secrets = record(await checkNoSecrets({ ...at, rules: o.secrets }));
        if (!secrets.ok) return { kind: 'secret', result: secrets, findings: secrets.findings };
        if (o.planFiles && o.planFiles.length > 0) {
          const plan = record(await checkPlanUntouched({ ...at, planFiles: o.planFiles }));
          if (!plan.ok) return { kind: 'gate', result: plan };
        }
        const deletions = record(await checkNoUnaskedDeletions({ ...at, task }));
        if (!deletions.ok) return { kind: 'gate', result: deletions };
      }
      const named = record(checkNamedFilesExist({ cwd: dir, task }));
      if (!named.ok) return { kind: 'gate', result: named };
      const failed = await runGates(o.taskGates, dir, scope, o, attempt);
      return failed ? { kind: 'gate', result: failed } : undefined;
    },

    changedPaths(dir) {
      return lastChanged.get(dir);
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
