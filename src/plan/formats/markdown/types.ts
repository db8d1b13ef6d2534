import type { Diagnostic } from '../../diagnostic.js';
import type { DependencyRef } from '../../task-ids.js';
import type { Phase, Plan, TaskStatus } from '../../types.js';

/*
 * The shapes a markdown scan passes between its stages: what the line scanner collects (headings,
 * draft tasks and phases, criteria waiting for a phase) and what the finished scan returns.
 */

/** Where a task's checkbox state character is: 0-based line, 0-based UTF-16 column (BOM not counted). */
export interface CheckboxPosition {
  line: number;
  column: number;
}

export interface MarkdownScan {
  /** The plan as read, also when `errors` is not empty (then some ids may be duplicated). */
  plan: Plan;
  errors: Diagnostic[];
  /** `boxes[i]` is where `plan.tasks[i]`'s checkbox is. */
  boxes: CheckboxPosition[];
}

export interface Heading {
  level: number;
  text: string;
  line: number;
  column: number;
  /** The heading whose phase holds tasks written under this one (itself, or an enclosing `Phase N`). */
  owner: number;
}

/** A task while the scanner is still collecting it. */
export interface Draft {
  explicitId: string | undefined;
  line: number;
  /** 0-based column of the explicit id, or of the checkbox's `[`. */
  column: number;
  boxColumn: number;
  indent: number;
  status: TaskStatus;
  parallel: boolean;
  tags: string[];
  title: string;
  bodyLines: number[];
  owner: number;
  criteria: string[];
  /** A criteria label was seen inside the body: its nested checkboxes are criteria. */
  bodyCriteria: boolean;
}

export interface PhaseDraft {
  phase: Phase;
  tasks: number[];
}

/** Criteria that belong to a phase; the phase is decided once we know which headings hold tasks. */
export interface PendingCriterion {
  text: string;
  /** Headings to try, nearest first (-1: the tasks before any heading). */
  owners: number[];
  /** How many phases existed when the criterion was read: the fallback is the last of them. */
  phasesBefore: number;
}

/** A dependency reference written in a task's text, with the 0-based line it is on. */
export interface LocatedRef {
  line: number;
  ref: DependencyRef;
}

/** What the line scanner leaves for assembly into a plan. */
export interface LineScan {
  /** The plan's lines, HTML comments blanked out. */
  lines: string[];
  file: string;
  drafts: Draft[];
  phases: PhaseDraft[];
  /** Index into `phases` of the phase each owning heading (-1: before any heading) opened. */
  phaseByOwner: Map<number, number>;
  pendingCriteria: PendingCriterion[];
  warnings: Diagnostic[];
}
