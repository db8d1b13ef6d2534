import { posix } from 'node:path';
import type { Task } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { parseDuration } from '../util/duration.js';
import type { GateSpec } from './types.js';

/*
 * The config's `gates:` entries as GateSpecs, and the test files a task names. The shapes below are
 * what `src/cli/config.ts` validates; they are restated here so this stage does not depend on the CLI.
 */

/** One entry of `gates.task` / `gates.phase` / `gates.final`. */
export type GateEntry =
  | string
  | string[]
  | {
      name?: string;
      run: string | string[];
      /** A duration (`10m`, `90s`) or a number of seconds. */
      timeout?: string | number;
    };

/** The config's `gates:` section. */
export interface GatesConfig {
  task?: GateEntry[];
  phase?: GateEntry[];
  final?: GateEntry[];
  /** How many gates may run at once across all tasks (default 1). */
  concurrency?: number;
  /** Extra regular expressions a task's diff must not contain. */
  secrets?: string[];
  /** Regular expressions for findings that are not secrets. */
  allowSecrets?: string[];
}

/** The config's `repair:` section. */
export interface RepairConfig {
  /** Agent attempts after a failed gate (default 2). */
  attempts?: number;
}

export const DEFAULT_GATE_CONCURRENCY = 1;
export const DEFAULT_REPAIR_ATTEMPTS = 2;

export interface GateSets {
  task: GateSpec[];
  phase: GateSpec[];
  final: GateSpec[];
  concurrency: number;
}

/** The argv as a person would type it: arguments with spaces or shell characters quoted. */
export function displayCommand(command: string | readonly string[]): string {
  if (typeof command === 'string') return command;
  return command.map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * One entry as a GateSpec. `where` names the entry in messages (`gates.task[2]`). The config schema
 * already rejects most of these; the checks stay so a caller with its own config cannot run `[]`.
 */
export function gateSpec(entry: GateEntry, where: string): Result<GateSpec, string> {
  if (typeof entry === 'string' || Array.isArray(entry)) return commandSpec(entry, undefined, undefined, where);
  let timeoutMs: number | undefined;
  if (entry.timeout !== undefined) {
    timeoutMs = parseDuration(entry.timeout);
    if (timeoutMs === undefined) {
      return err(`${where}: timeout ${JSON.stringify(entry.timeout)} is not a duration such as 30m, 1h30m, 90s`);
    }
  }
  return commandSpec(entry.run, entry.name, timeoutMs, where);
}

/** A command that runs nothing: blank, no argv, or an argv whose program is blank. */
export function isEmptyCommand(run: string | readonly string[]): boolean {
  if (typeof run === 'string') return run.trim() === '';
  return (run[0] ?? '').trim() === '';
}

function commandSpec(
  run: string | string[],
  name: string | undefined,
  timeoutMs: number | undefined,
  where: string,
): Result<GateSpec, string> {
  if (isEmptyCommand(run)) {
    return err(`${where}: the command is empty`);
  }
  const command = typeof run === 'string' ? run : [...run];
  const spec: GateSpec = { name: name?.trim() || displayCommand(command), command };
  if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  return ok(spec);
}

/** A list of entries (`gates.task`), every problem reported at once. */
export function gateSpecs(entries: readonly GateEntry[] | undefined, where: string): Result<GateSpec[], string[]> {
  const specs: GateSpec[] = [];
  const problems: string[] = [];
  (entries ?? []).forEach((entry, i) => {
    const r = gateSpec(entry, `${where}[${i}]`);
    if (r.ok) specs.push(r.value);
    else problems.push(r.error);
  });
  return problems.length > 0 ? err(problems) : ok(specs);
}

/** The whole `gates:` section. */
export function gatesFromConfig(config: GatesConfig | undefined): Result<GateSets, string[]> {
  const task = gateSpecs(config?.task, 'gates.task');
  const phase = gateSpecs(config?.phase, 'gates.phase');
  const final = gateSpecs(config?.final, 'gates.final');
  const problems = [task, phase, final].flatMap((r) => (r.ok ? [] : r.error));
  const concurrency = config?.concurrency ?? DEFAULT_GATE_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    problems.push(`gates.concurrency: expected a whole number of at least 1, got ${concurrency}`);
  }
  if (!task.ok || !phase.ok || !final.ok || problems.length > 0) return err(problems);
  return ok({ task: task.value, phase: phase.value, final: final.value, concurrency });
}

/** `a.test.ts`, `a_test.go`, `test_a.py`, `a.spec.js`, in any folder. */
const TEST_FILE = [/\.test\.[^./]+$/, /_test\.[^./]+$/, /^test_[^/]*\.py$/, /\.spec\.[^./]+$/];

export function isTestFile(path: string): boolean {
  const name = posix.basename(path.replace(/\\/g, '/'));
  return TEST_FILE.some((re) => re.test(name));
}

/**
 * The test files a task names (a spec-kit "Contract test POST /users in tests/contract/test_users.py").
 * taskwave cannot know how to run one test file in the user's project, so these become no command:
 * the built-in `named-files-exist` check makes sure they were written, and the config's task gates run
 * the suite they belong to.
 */
export function taskTestFiles(task: Pick<Task, 'files'>): string[] {
  return task.files.filter(isTestFile);
}

/**
 * Commands a task's own plan entry asks for. None of the formats gives a runnable one today: a
 * spec-kit test file is checked by `named-files-exist` (see taskTestFiles), Taskmaster's
 * `testStrategy` is already in the prompt as an instruction, and a Kiro checkpoint is a check-only
 * task. Kept as the one place the engine asks, so a format that gains one adds it here.
 */
export function taskGatesFromPlan(_task: Task): GateSpec[] {
  return [];
}
