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
  /** Agent named by the plan for this task, if any. */
  agent?: string;
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
}

/** One plan format: detect it, read it into a `Plan`, and write a task's status back in its own terms. */
export interface PlanFormat {
  name: string;
  /** True when `path` (a file or folder) is in this format. */
  detect(path: string): Promise<boolean>;
  read(path: string): Promise<Result<Plan, Diagnostic[]>>;
  /**
   * Record `status` for a task in the plan's own file(s), changing nothing else. Re-reads the file
   * first so edits made by a person since the plan was read are kept.
   */
  writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>>;
}
