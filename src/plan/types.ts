import type { Result } from '../result.js';
import type { Diagnostic, SourceSpan } from './diagnostic.js';

export type { SourceSpan } from './diagnostic.js';

/** Statuses a task can have in a plan file (DESIGN.md contract for `taskwave plan --json`). */
export type TaskStatus = 'pending' | 'in-progress' | 'done' | 'skipped' | 'failed' | 'cancelled' | 'deferred';

/** Why an edge exists: written by the user, or implied by the format's ordering rules. */
export type DependencyKind = 'explicit' | 'phase-order' | 'sequential';

export interface Dependency {
  /** Id of the task that must finish first. */
  id: string;
  kind: DependencyKind;
  /** Where the user wrote it (explicit edges) or the dependent task's line (implied edges). */
  source: SourceSpan;
}

export interface Task {
  /** `T001`, `T010a`, or a stable id derived from the task's text when the plan gives none. */
  id: string;
  /** Whether the id was written in the plan or derived from the text. */
  idKind: 'explicit' | 'derived';
  /** The first line of the task without checkbox, id and tags. */
  title: string;
  /** The continuation lines and sub-bullets, dedented; empty string when none. */
  body: string;
  /** Id of the phase the task belongs to (see `Phase.id`). */
  phase: string;
  deps: Dependency[];
  status: TaskStatus;
  /** Not run unless asked for (Kiro `- [ ]*`); false for spec-kit. */
  optional: boolean;
  /** spec-kit `[P]`: may run alongside the other tasks of its run of `[P]` tasks. */
  parallel: boolean;
  /** Bracket tags other than `[P]`: story labels (`US1`), `CRITICAL`, `conditional`, ... */
  tags: string[];
  requirements: string[];
  /** File paths the task names; two tasks naming the same file never run at the same time. */
  files: string[];
  /** Acceptance criteria that belong to this task (checkboxes that are not tasks). */
  criteria: string[];
  /** Estimated effort in minutes, where the plan gives one; weights the critical path. */
  estimateMinutes?: number;
  /** Agent chosen for this task: named by the plan, or by the config's `routing:` rules (set by the CLI). */
  agent?: string;
  /** Role or domain the plan names for the task (`Agent: clerk`, `(frontend, mid)`); routing matches it. */
  role?: string;
  /** Complexity the plan names (`easy`, `mid`, `hard`). */
  complexity?: string;
  /** Priority the plan names (`high`, `medium`, `low`). */
  priority?: string;
  /** Spec (specs tree `I001`, `F001`) or other unit the task belongs to; `--spec` selects by it. */
  spec?: string;
  /** Files that are context for this task alone (a Claudio task's `claude.md`, its spec's `spec.md`), absolute. */
  context?: string[];
  /** Where the task's checkbox line is. */
  source: SourceSpan;
}

export interface Phase {
  /** `2`, `3.1` from "Phase 3.1: Setup"; otherwise a slug of the heading text. */
  id: string;
  title: string;
  /** Heading line, or the first task's line for tasks before any heading. */
  source: SourceSpan;
  criteria: string[];
}

/**
 * A task that only groups others (a Kiro parent with sub-tasks, a Taskmaster task with subtasks): it is
 * not run; it is done when its required members are, and the format ticks it then.
 */
export interface TaskGroup {
  id: string;
  title: string;
  phase: string;
  /** Member task ids in plan order (optional ones included). */
  members: string[];
  status: TaskStatus;
  source: SourceSpan;
}

/** A unit of a plan made of several tasks with its own books (a specs-tree spec `I001`, `F001`). */
export interface SpecInfo {
  id: string;
  title: string;
  kind: 'infrastructure' | 'feature';
  phase: string;
  /** The spec's folder, absolute. */
  path: string;
  /** Specs that must be completed first. */
  dependencies: string[];
}

export interface Plan {
  /** Name of the format that read it, e.g. `markdown`. */
  format: string;
  /** Absolute path of the plan file (or folder) that was read. */
  path: string;
  /** Tasks in plan order. */
  tasks: Task[];
  /** Phases in document order. */
  phases: Phase[];
  /** Spec documents beside the plan that belong in the prompt (spec.md, plan.md, design.md, ...), absolute. */
  documents: string[];
  /** Problems found while reading that did not stop the read (warnings). */
  warnings: Diagnostic[];
  /** Tasks that only group others; dependencies on a group id are written as dependencies on its members. */
  groups?: TaskGroup[];
  /** Specs of a specs tree, in run order. */
  specs?: SpecInfo[];
  /** The Taskmaster tag that was read. */
  tag?: string;
}

/** Options that change what a format reads. */
export interface ReadOptions {
  /** Taskmaster: the tag to read instead of the current one. */
  tag?: string;
}

/** Where a run is, as formats with their own books need it (structurally a subset of `execution.json`). */
export interface PlanProgress {
  runId: string;
  startedAt: string;
  updatedAt: string;
  status: 'running' | 'done' | 'failed' | 'interrupted';
  tasks: Readonly<Record<string, TaskProgress>>;
}

export interface TaskProgress {
  title: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'conflict' | 'unverified' | 'blocked' | 'cancelled' | 'skipped';
  attempts: number;
  agent?: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  error?: string;
  /** The agent's final message, where the run kept it. */
  summary?: string;
}

/** One plan format: detect it, read it into a `Plan`, and write a task's status back in its own terms. */
export interface PlanFormat {
  name: string;
  /** Where plans of this format live, for messages: `.kiro/specs/<feature>/tasks.md`. */
  describe: string;
  /**
   * True when `path` (a file or folder) is in this format. A folder is claimed when it holds the
   * format's layout (a repository root with `.taskmaster/`, a spec folder with `tasks.md`).
   */
  detect(path: string): Promise<boolean>;
  read(path: string, options?: ReadOptions): Promise<Result<Plan, Diagnostic[]>>;
  /**
   * Record `status` for a task in the plan's own file(s), changing nothing else. Re-reads the file
   * first so edits made by a person since the plan was read are kept. `runId`: the run that did the
   * task, for a format that keeps a log per run (platform-mode), so the status goes into that run's
   * log and not into one an earlier, killed run left open.
   */
  writeStatus(plan: Plan, taskId: string, status: 'done', runId?: string): Promise<Result<void, Diagnostic>>;
  /**
   * `writeStatus` only edits files the plan was read from, never makes one: a merge commits a tick
   * with `git commit --all`, without scanning the checkout for new files first.
   */
  readonly ticksEditOnly?: boolean;
  /**
   * Formats with books of their own (a specs tree's `.claude/execution/execution.json`, a
   * platform-mode execution log) bring them up to date. Called one at a time as tasks start and
   * finish, and once when the run ends (`progress.status` is no longer `running`). Resolves to the
   * file that holds them (absolute, written now or already up to date) when it is not a tasks file:
   * in place, a change there is the run's own, never a task's leftover.
   */
  recordProgress?(plan: Plan, progress: PlanProgress): Promise<Result<string | undefined, Diagnostic>>;
  /**
   * The files besides the tasks files that `writeStatus` and `recordProgress` write (a Claudio
   * task's `status.md`, a specs tree's `features.json`), absolute: a run refuses to start over
   * uncommitted changes to them, and a merge waits for them, as for the plan itself.
   */
  bookFiles?(plan: Plan): string[];
}
