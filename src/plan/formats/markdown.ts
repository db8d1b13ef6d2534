import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { type Diagnostic, errorAt, type SourceSpan } from '../diagnostic.js';
import { collectFileRefs } from '../file-refs.js';
import {
  compareTaskIdKeys,
  type DependencyRef,
  derivedTaskId,
  findDependencyRefs,
  parseLeadingId,
  type TaskIdKey,
  taskIdKey,
} from '../task-ids.js';
import type { Dependency, Phase, Plan, PlanFormat, Task, TaskStatus } from '../types.js';

/*
 * spec-kit `tasks.md` and plain markdown checklists, read by a line scanner: one pass over the lines
 * with a little state (fence, HTML comment, open task body, criteria section, heading stack), then one
 * pass over the tasks to resolve ids and dependencies. No markdown library: a 100k-task plan has to
 * parse in well under the 5 s budget.
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

const CHECKBOX = /^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)\[([ xX~-])\][ \t]+(\S.*)$/;
const ANY_CHECKBOX = /^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[[ xX~-]\][ \t]+\S/m;
const LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;
const THEMATIC_BREAK = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-{2,})[ \t]*$/;
const PHASE_HEADING = /\bphase\s+(\d+(?:\.\d+)*)/i;
const CRITERIA_TEXT = /checklist|acceptance criteria|success criteria|definition of done|\bcriteria\b/i;
/** What makes a `Phase N` heading a criteria section: "checklist" alone does not. */
const PHASE_CRITERIA_TEXT = /\bcriteria\b|definition of done/i;
const REQUIREMENT = /\b(?:NFR|FR|SC|REQ)-\d+\b/g;
/** The inside of a bracket tag: `P`, `US1`, `CRITICAL`, `conditional`, `Story 2`. */
const TAG = /^[A-Za-z][\w -]*$/;
const REQUIREMENT_HINT = /[RCQ]-\d/;
const ESTIMATE_LABEL =
  /\bestimate(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*~?(\d+(?:\.\d+)?)[ \t]*(m|mins?|minutes?|h|hrs?|hours?|d|days?)\b/i;
const ESTIMATE_PAREN =
  /\([ \t]*est\.?[ \t]*:?[ \t]*~?(\d+(?:\.\d+)?)[ \t]*(m|mins?|minutes?|h|hrs?|hours?|d|days?)[ \t]*\)/i;
const AGENT_BULLET = /^[ \t]*[-*+][ \t]+(?:\*\*|__)?agent(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*`?([\w][\w.@/-]*)/i;
const SPEC_DOCUMENTS = [
  'spec.md',
  'plan.md',
  'design.md',
  'requirements.md',
  'research.md',
  'data-model.md',
  'quickstart.md',
];
const NO_REFS: { line: number; ref: DependencyRef }[] = [];
const NO_TASKS = 'no tasks found: expected checkbox items such as "- [ ] T001 Do something"';

const STATUS: Record<string, TaskStatus> = {
  ' ': 'pending',
  x: 'done',
  X: 'done',
  '-': 'in-progress',
  // `[~]` marks partial work or a stub in the wild: not done, still to run.
  '~': 'pending',
};

interface Heading {
  level: number;
  text: string;
  line: number;
  column: number;
  /** The heading whose phase holds tasks written under this one (itself, or an enclosing `Phase N`). */
  owner: number;
}

/** A task while the scanner is still collecting it. */
interface Draft {
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

interface PhaseDraft {
  phase: Phase;
  tasks: number[];
}

/** Criteria that belong to a phase; the phase is decided once we know which headings hold tasks. */
interface PendingCriterion {
  text: string;
  /** Headings to try, nearest first (-1: the tasks before any heading). */
  owners: number[];
  /** How many phases existed when the criterion was read: the fallback is the last of them. */
  phasesBefore: number;
}

interface Fence {
  char: number;
  length: number;
  line: number;
}

export function parseMarkdownPlan(text: string, file: string): Result<Plan, Diagnostic[]> {
  const scan = scanMarkdown(text, file);
  return scan.errors.length > 0 ? err(scan.errors) : ok(scan.plan);
}

export function scanMarkdown(input: string, file: string): MarkdownScan {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return new Scanner(lines, file).run();
}

class Scanner {
  private readonly headings: Heading[] = [];
  private readonly stack: number[] = [];
  private readonly drafts: Draft[] = [];
  private readonly phases: PhaseDraft[] = [];
  private readonly phaseByOwner = new Map<number, number>();
  private readonly usedPhaseIds = new Set<string>();
  private readonly pendingCriteria: PendingCriterion[] = [];
  private readonly warnings: Diagnostic[] = [];
  private readonly errors: Diagnostic[] = [];

  private inComment = false;
  private commentStart = 0;
  private fence: Fence | undefined;
  private bodyFence: Fence | undefined;
  private cur: Draft | undefined;
  private pendingBlankStart = -1;
  /** Indentation of a criteria checkbox whose nested lines are being skipped; -1 when none. */
  private criteriaItemIndent = -1;
  /** Level of the criteria heading whose section we are in; 0 when none. */
  private criteriaHeadingLevel = 0;
  /** A bold-label criteria paragraph is open (until the next heading), with the task it belongs to. */
  private labelCriteria: { task: Draft | undefined } | undefined;
  private lastTask: Draft | undefined;
  private onlyBlankSinceTask = false;
  private prevKind: 'start' | 'blank' | 'heading' | 'list' | 'para' | 'other' = 'start';

  constructor(
    private readonly lines: string[],
    private readonly file: string,
  ) {}

  private span(line: number, column: number): SourceSpan {
    return { file: this.file, line: line + 1, column: column + 1 };
  }

  run(): MarkdownScan {
    const lines = this.lines;
    let i = this.frontMatterEnd();
    for (; i < lines.length; i++) {
      if (!this.fence && !this.bodyFence && (this.inComment || (lines[i] as string).includes('<!--'))) {
        lines[i] = this.blankComments(lines[i] as string, i);
      }
      const line = lines[i] as string;
      if (this.fence) {
        if (closesFence(line, this.fence)) {
          this.fence = undefined;
          this.prevKind = 'other';
        }
        continue;
      }
      if (this.cur && this.continueBody(line, i)) continue;
      if (this.criteriaItemIndent >= 0) {
        if (isBlank(line) || indentWidth(line) > this.criteriaItemIndent) continue;
        this.criteriaItemIndent = -1;
      }
      i = this.block(line, i);
    }
    if (this.cur) this.finishTask();
    if (this.fence || this.bodyFence) {
      const f = (this.fence ?? this.bodyFence) as Fence;
      this.warn(f.line, 0, 'code fence is never closed: the rest of the file is read as code');
    }
    if (this.inComment)
      this.warn(this.commentStart, 0, 'HTML comment is never closed: the rest of the file is ignored');
    return this.build();
  }

  private warn(line: number, column: number, message: string): void {
    this.warnings.push({ severity: 'warning', location: this.span(line, column), message });
  }

  /** YAML front matter (`---` on the first line up to the next `---`) holds no tasks and no headings. */
  private frontMatterEnd(): number {
    if ((this.lines[0] ?? '').trimEnd() !== '---') return 0;
    for (let j = 1; j < this.lines.length; j++) {
      const l = (this.lines[j] as string).trimEnd();
      if (l === '---' || l === '...') return j + 1;
    }
    return 0;
  }

  /** Replaces HTML comments with spaces, so columns stay right and nothing inside is read. */
  private blankComments(line: string, lineNo: number): string {
    let out = '';
    let pos = 0;
    if (this.inComment) {
      const end = line.indexOf('-->');
      if (end < 0) return '';
      this.inComment = false;
      out = ' '.repeat(end + 3);
      pos = end + 3;
    }
    for (;;) {
      const start = line.indexOf('<!--', pos);
      if (start < 0) return out + line.slice(pos);
      out += line.slice(pos, start);
      const end = line.indexOf('-->', start + 4);
      if (end < 0) {
        this.inComment = true;
        this.commentStart = lineNo;
        return out;
      }
      out += ' '.repeat(end + 3 - start);
      pos = end + 3;
    }
  }

  /**
   * Offers a line to the open task's body. True when the line belongs to it: indented more than the
   * task's list marker, a lazy continuation line, or inside a fence opened in the body.
   */
  private continueBody(line: string, i: number): boolean {
    const cur = this.cur as Draft;
    if (this.bodyFence) {
      cur.bodyLines.push(i);
      if (closesFence(line, this.bodyFence)) this.bodyFence = undefined;
      return true;
    }
    if (isBlank(line)) {
      if (this.pendingBlankStart < 0) this.pendingBlankStart = i;
      this.prevKind = 'blank';
      return true;
    }
    const heading = atxHeading(line) !== undefined;
    if (!heading && indentWidth(line) > cur.indent) {
      if (this.pendingBlankStart >= 0) {
        for (let b = this.pendingBlankStart; b < i; b++) cur.bodyLines.push(b);
        this.pendingBlankStart = -1;
      }
      cur.bodyLines.push(i);
      this.prevKind = 'list';
      const fence = fenceOpen(line, i);
      if (fence) {
        this.bodyFence = fence;
        return true;
      }
      if (isCriteriaLabel(line)) {
        cur.bodyCriteria = true;
        return true;
      }
      const cb = CHECKBOX.exec(line);
      if (cb) {
        const content = cb[5] as string;
        const nestedId = parseLeadingId(content);
        if (cur.bodyCriteria) cur.criteria.push(collapse(content));
        else if (nestedId) {
          const column = line.length - content.length + nestedId.offset;
          this.warn(i, column, `checkbox ${nestedId.id} is nested under another task and is read as part of its body`);
        }
      }
      return true;
    }
    if (!heading && this.pendingBlankStart < 0 && isLazyContinuation(line)) {
      cur.bodyLines.push(i);
      this.prevKind = 'list';
      return true;
    }
    this.finishTask();
    return false;
  }

  private finishTask(): void {
    this.lastTask = this.cur;
    this.onlyBlankSinceTask = true;
    this.cur = undefined;
    this.pendingBlankStart = -1;
    this.bodyFence = undefined;
  }

  /** A line outside any task body. Returns the index of the last line consumed. */
  private block(line: string, i: number): number {
    if (isBlank(line)) {
      this.prevKind = 'blank';
      return i;
    }
    const heading = atxHeading(line);
    if (heading) {
      this.heading(heading.level, heading.text, i, heading.column);
      return i;
    }
    const fence = fenceOpen(line, i);
    if (fence) {
      this.fence = fence;
      this.prevKind = 'other';
      this.onlyBlankSinceTask = false;
      return i;
    }
    const cb = CHECKBOX.exec(line);
    if (cb) {
      this.checkbox(cb, line, i);
      return i;
    }
    if (LIST_ITEM.test(line)) {
      this.prevKind = 'list';
      this.onlyBlankSinceTask = false;
      return i;
    }
    if (THEMATIC_BREAK.test(line)) {
      this.prevKind = 'other';
      this.onlyBlankSinceTask = false;
      return i;
    }
    const next = this.lines[i + 1];
    if (
      this.prevKind !== 'list' &&
      this.prevKind !== 'para' &&
      next !== undefined &&
      SETEXT_UNDERLINE.test(next) &&
      indentWidth(line) <= 3
    ) {
      this.heading(next.trimStart().startsWith('=') ? 1 : 2, line.trim(), i, line.length - line.trimStart().length);
      return i + 1;
    }
    if (isCriteriaLabel(line)) {
      this.labelCriteria = { task: this.onlyBlankSinceTask ? this.lastTask : undefined };
    }
    this.prevKind = 'para';
    this.onlyBlankSinceTask = false;
    return i;
  }

  private heading(level: number, text: string, line: number, column: number): void {
    const stack = this.stack;
    while (stack.length > 0 && (this.headings[stack[stack.length - 1] as number] as Heading).level >= level)
      stack.pop();
    const index = this.headings.length;
    const isPhase = PHASE_HEADING.test(text);
    let owner = index;
    if (!isPhase) {
      for (let s = stack.length - 1; s >= 0; s--) {
        const h = stack[s] as number;
        if (PHASE_HEADING.test((this.headings[h] as Heading).text)) {
          owner = h;
          break;
        }
      }
    }
    this.headings.push({ level, text, line, column, owner });
    stack.push(index);
    if (this.criteriaHeadingLevel > 0 && level <= this.criteriaHeadingLevel) this.criteriaHeadingLevel = 0;
    // "Phase 4: Checklist UI" is work to do; "Phase 1 Completion Criteria" is not.
    if (this.criteriaHeadingLevel === 0 && (isPhase ? PHASE_CRITERIA_TEXT : CRITERIA_TEXT).test(text)) {
      this.criteriaHeadingLevel = level;
    }
    this.labelCriteria = undefined;
    this.lastTask = undefined;
    this.onlyBlankSinceTask = false;
    this.criteriaItemIndent = -1;
    this.prevKind = 'heading';
  }

  private currentOwner(): number {
    const top = this.stack[this.stack.length - 1];
    return top === undefined ? -1 : (this.headings[top] as Heading).owner;
  }

  private checkbox(cb: RegExpExecArray, line: string, i: number): void {
    const lead = cb[1] as string;
    const content = cb[5] as string;
    const contentStart = line.length - content.length;
    const leadingId = parseLeadingId(content);
    this.prevKind = 'list';
    if ((this.criteriaHeadingLevel > 0 || this.labelCriteria) && !leadingId) {
      this.criterion(collapse(content));
      this.criteriaItemIndent = indentWidth(lead);
      return;
    }
    this.onlyBlankSinceTask = false;
    const bracket = lead.length + (cb[2] as string).length + (cb[3] as string).length;
    const rest = leadingId ? content.slice(leadingId.length) : content;
    const { title, tags, parallel } = parseTitle(rest);
    const owner = this.currentOwner();
    this.cur = {
      explicitId: leadingId?.id,
      line: i,
      column: leadingId ? contentStart + leadingId.offset : bracket,
      boxColumn: bracket + 1,
      indent: indentWidth(lead),
      status: STATUS[cb[4] as string] ?? 'pending',
      parallel,
      tags,
      title,
      bodyLines: [],
      owner,
      criteria: [],
      bodyCriteria: false,
    };
    this.pendingBlankStart = -1;
    this.phaseFor(owner, this.cur).tasks.push(this.drafts.length);
    this.drafts.push(this.cur);
  }

  private criterion(text: string): void {
    const target = this.labelCriteria?.task;
    if (target) {
      target.criteria.push(text);
      return;
    }
    const owners = [this.currentOwner()];
    for (let s = this.stack.length - 1; s >= 0; s--)
      owners.push((this.headings[this.stack[s] as number] as Heading).owner);
    this.pendingCriteria.push({ text, owners, phasesBefore: this.phases.length });
  }

  private phaseFor(owner: number, first: Draft): PhaseDraft {
    const existing = this.phaseByOwner.get(owner);
    if (existing !== undefined) return this.phases[existing] as PhaseDraft;
    let base: string;
    let title: string;
    let source: SourceSpan;
    if (owner < 0) {
      base = 'main';
      title = basename(this.file);
      source = this.span(first.line, first.column);
    } else {
      const h = this.headings[owner] as Heading;
      base = PHASE_HEADING.exec(h.text)?.[1] ?? slug(h.text);
      title = h.text;
      source = this.span(h.line, h.column);
    }
    let id = base;
    for (let n = 2; this.usedPhaseIds.has(id); n++) id = `${base}-${n}`;
    this.usedPhaseIds.add(id);
    const draft: PhaseDraft = { phase: { id, title, source, criteria: [] }, tasks: [] };
    this.phaseByOwner.set(owner, this.phases.length);
    this.phases.push(draft);
    return draft;
  }

  private build(): MarkdownScan {
    const { drafts, phases, lines, file } = this;
    const tasks: Task[] = [];
    const boxes: CheckboxPosition[] = [];
    const indexById = new Map<string, number>();
    const derivedUsed = new Set<string>();
    const refs: { line: number; ref: DependencyRef }[][] = [];

    for (const d of drafts) {
      const phase = phases[this.phaseByOwner.get(d.owner) as number] as PhaseDraft;
      let id: string;
      if (d.explicitId !== undefined) {
        id = d.explicitId;
        const first = indexById.get(id);
        if (first !== undefined) {
          const f = tasks[first] as Task;
          this.errors.push(
            errorAt(this.span(d.line, d.column), `duplicate task id ${id}`, [
              { ...f.source, message: 'first defined here' },
            ]),
          );
        }
      } else {
        const base = derivedTaskId(d.title);
        id = base;
        for (let n = 2; derivedUsed.has(id) || indexById.has(id); n++) id = `${base}-${n}`;
        derivedUsed.add(id);
      }
      if (!indexById.has(id)) indexById.set(id, tasks.length);

      const files: string[] = [];
      const requirements: string[] = [];
      let taskRefs: { line: number; ref: DependencyRef }[] = NO_REFS;
      let estimateMinutes: number | undefined;
      let agent: string | undefined;
      const bodyText: string[] = [];
      for (let k = -1; k < d.bodyLines.length; k++) {
        const ln = k < 0 ? d.line : (d.bodyLines[k] as number);
        const s = lines[ln] as string;
        if (k >= 0) bodyText.push(s);
        collectFileRefs(s, files);
        if (REQUIREMENT_HINT.test(s)) {
          REQUIREMENT.lastIndex = 0;
          for (let m = REQUIREMENT.exec(s); m; m = REQUIREMENT.exec(s)) {
            if (!requirements.includes(m[0])) requirements.push(m[0]);
          }
        }
        for (const ref of findDependencyRefs(s)) {
          if (taskRefs === NO_REFS) taskRefs = [];
          taskRefs.push({ line: ln, ref });
        }
        if (estimateMinutes === undefined) estimateMinutes = estimateIn(s);
        if (agent === undefined && k >= 0) agent = AGENT_BULLET.exec(s)?.[1];
      }
      refs.push(taskRefs);

      const task: Task = {
        id,
        idKind: d.explicitId !== undefined ? 'explicit' : 'derived',
        title: d.title,
        body: dedent(bodyText),
        phase: phase.phase.id,
        deps: [],
        status: d.status,
        optional: false,
        parallel: d.parallel,
        tags: d.tags,
        requirements,
        files,
        criteria: d.criteria,
        source: this.span(d.line, d.column),
      };
      if (estimateMinutes !== undefined) task.estimateMinutes = estimateMinutes;
      if (agent !== undefined) task.agent = agent;
      tasks.push(task);
      boxes.push({ line: d.line, column: d.boxColumn });
    }

    for (const c of this.pendingCriteria) {
      let target: PhaseDraft | undefined;
      for (const o of c.owners) {
        const p = this.phaseByOwner.get(o);
        if (p !== undefined) {
          target = phases[p];
          break;
        }
      }
      target ??= phases[c.phasesBefore - 1] ?? phases[0];
      target?.phase.criteria.push(c.text);
    }

    resolveDependencies(tasks, refs, indexById, phases, file);

    if (tasks.length === 0) this.errors.push(errorAt({ file, line: 1, column: 1 }, NO_TASKS));
    const plan: Plan = {
      format: 'markdown',
      path: file,
      tasks,
      phases: phases.map((p) => p.phase),
      documents: [],
      warnings: this.warnings,
    };
    return { plan, errors: this.errors, boxes };
  }
}

/**
 * Fills each task's `deps`: the explicit ones it names (ranges expanded against the plan's ids,
 * unknown ids kept for the graph stage to report), then spec-kit's implied order. Implied edges are
 * the fewest that give the same reachability: a task depends on the previous non-`[P]` task of its
 * phase and on the `[P]` run right before it; a `[P]` run depends on what came before the run; every
 * task of a phase depends on the sinks of the previous phase.
 */
function resolveDependencies(
  tasks: Task[],
  refs: { line: number; ref: DependencyRef }[][],
  indexById: Map<string, number>,
  phases: PhaseDraft[],
  file: string,
): void {
  const sorted: { key: TaskIdKey; id: string }[] = [];
  for (const id of indexById.keys()) {
    const key = taskIdKey(id);
    if (key) sorted.push({ key, id });
  }
  sorted.sort((a, b) => compareTaskIdKeys(a.key, b.key));
  const lowerBound = (key: TaskIdKey): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareTaskIdKeys((sorted[mid] as { key: TaskIdKey }).key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /** Whether `task` already depends on `id` (or is `id`): a scan for the usual few deps, a set for many. */
  const bigSets = new Map<Task, Set<string>>();
  const addDep = (task: Task, dep: Dependency): void => {
    if (dep.id === task.id) return;
    const deps = task.deps;
    if (deps.length < 16) {
      for (const d of deps) if (d.id === dep.id) return;
    } else {
      let set = bigSets.get(task);
      if (!set) {
        set = new Set(deps.map((d) => d.id));
        bigSets.set(task, set);
      }
      if (set.has(dep.id)) return;
      set.add(dep.id);
    }
    deps.push(dep);
  };

  for (let t = 0; t < tasks.length; t++) {
    const task = tasks[t] as Task;
    const add = (id: string, line: number, offset: number): void => {
      addDep(task, { id, kind: 'explicit', source: { file, line: line + 1, column: offset + 1 } });
    };
    for (const { line, ref } of refs[t] as { line: number; ref: DependencyRef }[]) {
      if (!ref.to) {
        add(ref.id, line, ref.offset);
        continue;
      }
      let from = { id: ref.id, offset: ref.offset, key: taskIdKey(ref.id) as TaskIdKey };
      let to = { id: ref.to.id, offset: ref.to.offset, key: taskIdKey(ref.to.id) as TaskIdKey };
      if (compareTaskIdKeys(from.key, to.key) > 0) [from, to] = [to, from];
      if (!indexById.has(from.id)) add(from.id, line, from.offset);
      for (let k = lowerBound(from.key); k < sorted.length; k++) {
        const e = sorted[k] as { key: TaskIdKey; id: string };
        if (compareTaskIdKeys(e.key, to.key) > 0) break;
        add(e.id, line, ref.offset);
      }
      if (!indexById.has(to.id)) add(to.id, line, to.offset);
    }
  }

  const implied = (t: number, target: number, kind: Dependency['kind']): void => {
    const task = tasks[t] as Task;
    addDep(task, { id: (tasks[target] as Task).id, kind, source: task.source });
  };

  const phaseOf = new Int32Array(tasks.length);
  phases.forEach((p, k) => {
    for (const t of p.tasks) phaseOf[t] = k;
  });
  const hasDependent = new Uint8Array(tasks.length);
  let previousSinks: number[] = [];
  phases.forEach((p, k) => {
    let previousSerial = -1;
    let run: number[] = [];
    // Explicit edges come first in `deps`, then sequential, then phase-order ones.
    for (const t of p.tasks) {
      if (previousSerial >= 0) implied(t, previousSerial, 'sequential');
      if ((tasks[t] as Task).parallel) {
        run.push(t);
      } else {
        for (const r of run) implied(t, r, 'sequential');
        run = [];
        previousSerial = t;
      }
      for (const s of previousSinks) implied(t, s, 'phase-order');
    }
    for (const t of p.tasks) {
      for (const d of (tasks[t] as Task).deps) {
        if (d.kind === 'phase-order') continue;
        const target = indexById.get(d.id);
        if (target !== undefined && target !== t && phaseOf[target] === k) hasDependent[target] = 1;
      }
    }
    const sinks = p.tasks.filter((t) => hasDependent[t] === 0);
    previousSinks = sinks.length > 0 ? sinks : p.tasks;
  });
}

function estimateIn(s: string): number | undefined {
  if (!/est/i.test(s)) return undefined;
  const m = ESTIMATE_LABEL.exec(s) ?? ESTIMATE_PAREN.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] as string).toLowerCase()[0];
  const factor = unit === 'd' ? 8 * 60 : unit === 'h' ? 60 : 1;
  return Math.round(n * factor);
}

/**
 * Splits a task's first line (after checkbox and id) into title and bracket tags. `[P]` sets
 * parallel; other short bracket groups of word characters, spaces and dashes are tags. Links
 * (`[text](url)`, `[text][ref]`), images and code spans are left alone.
 */
function parseTitle(text: string): { title: string; tags: string[]; parallel: boolean } {
  const tags: string[] = [];
  if (!text.includes('[')) return { title: collapse(text), tags, parallel: false };
  let parallel = false;
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 96 /* ` */) {
      let run = 1;
      while (i + run < n && text.charCodeAt(i + run) === 96) run++;
      const close = text.indexOf('`'.repeat(run), i + run);
      i = close < 0 ? i + run : close + run;
      continue;
    }
    if (c === 91 /* [ */) {
      const close = text.indexOf(']', i + 1);
      if (close > i + 1 && close - i <= 41) {
        const inner = text.slice(i + 1, close);
        const after = text.charCodeAt(close + 1);
        const before = i > 0 ? text.charCodeAt(i - 1) : 0;
        if (
          TAG.test(inner) &&
          after !== 40 /* ( */ &&
          after !== 91 /* [ */ &&
          before !== 33 /* ! */ &&
          before !== 93 /* ] */
        ) {
          const tag = inner.trim();
          if (tag === 'P') parallel = true;
          else if (!tags.includes(tag)) tags.push(tag);
          parts.push(text.slice(from, i));
          i = close + 1;
          from = i;
          continue;
        }
      }
    }
    i++;
  }
  parts.push(text.slice(from));
  return { title: collapse(parts.join(' ')), tags, parallel };
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function isBlank(line: string): boolean {
  return !/[^ \t]/.test(line);
}

/** Width of the leading whitespace, a tab advancing to the next multiple of 4. */
function indentWidth(line: string): number {
  let w = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) w++;
    else if (c === 9) w += 4 - (w % 4);
    else break;
  }
  return w;
}

/** Removes the indentation the non-blank lines share (tabs expanded in the indentation only). */
function dedent(body: string[]): string {
  if (body.length === 0) return '';
  let common = Number.POSITIVE_INFINITY;
  for (const l of body) if (!isBlank(l)) common = Math.min(common, indentWidth(l));
  if (!Number.isFinite(common)) common = 0;
  const out = body.map((l) => {
    if (isBlank(l)) return '';
    if (common === 0) return l.trimEnd();
    let w = 0;
    let k = 0;
    while (k < l.length && w < common) {
      const c = l.charCodeAt(k);
      w += c === 9 ? 4 - (w % 4) : 1;
      k++;
    }
    return (' '.repeat(w - common) + l.slice(k)).trimEnd();
  });
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

function atxHeading(line: string): { level: number; text: string; column: number } | undefined {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  if (i > 3 || line.charCodeAt(i) !== 35 /* # */) return undefined;
  let j = i;
  while (j < line.length && line.charCodeAt(j) === 35) j++;
  const level = j - i;
  if (level > 6) return undefined;
  if (j < line.length && line.charCodeAt(j) !== 32 && line.charCodeAt(j) !== 9) return undefined;
  let text = line.slice(j).trim();
  let k = text.length;
  while (k > 0 && text.charCodeAt(k - 1) === 35) k--;
  if (k === 0) text = '';
  else if (k < text.length && (text.charCodeAt(k - 1) === 32 || text.charCodeAt(k - 1) === 9)) {
    text = text.slice(0, k).trimEnd();
  }
  return { level, text, column: i };
}

/**
 * An opening code fence: three or more backticks or tildes. Indentation is not limited to three
 * spaces, because fences inside list items are common in plans and indented code blocks that hold
 * fence markers are not.
 */
function fenceOpen(line: string, lineNo: number): Fence | undefined {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  const c = line.charCodeAt(i);
  if (c !== 96 && c !== 126) return undefined;
  let j = i;
  while (j < line.length && line.charCodeAt(j) === c) j++;
  if (j - i < 3) return undefined;
  if (c === 96 && line.indexOf('`', j) >= 0) return undefined;
  return { char: c, length: j - i, line: lineNo };
}

function closesFence(line: string, fence: Fence): boolean {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  let j = i;
  while (j < line.length && line.charCodeAt(j) === fence.char) j++;
  if (j - i < fence.length) return false;
  return isBlank(line.slice(j));
}

/** A line that continues the paragraph of the list item above it rather than starting a block. */
function isLazyContinuation(line: string): boolean {
  const t = line.trimStart();
  const c = t.charCodeAt(0);
  if (c === 62 /* > */ || c === 124 /* | */ || c === 60 /* < */) return false;
  if (LIST_ITEM.test(line) || THEMATIC_BREAK.test(line) || SETEXT_UNDERLINE.test(line)) return false;
  if (fenceOpen(line, 0) || isCriteriaLabel(line)) return false;
  return true;
}

/**
 * A paragraph that is only a label introducing criteria: `**Acceptance Criteria**:`,
 * `**Acceptance Criteria:**`, `Acceptance criteria:`, `**Success Criteria**`.
 */
function isCriteriaLabel(line: string): boolean {
  let t = line.trim();
  if (t.length > 80 || t.length < 3) return false;
  let colon = false;
  if (t.endsWith(':')) {
    colon = true;
    t = t.slice(0, -1).trimEnd();
  }
  let bold = false;
  for (const mark of ['**', '__']) {
    if (t.length > 4 && t.startsWith(mark) && t.endsWith(mark)) {
      bold = true;
      t = t.slice(2, -2).trim();
      break;
    }
  }
  if (t.endsWith(':')) {
    colon = true;
    t = t.slice(0, -1).trimEnd();
  }
  if (!bold && !colon) return false;
  if (/[*_`[\]]/.test(t) || t.split(/\s+/).length > 5) return false;
  return CRITERIA_TEXT.test(t);
}

function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s === '' ? 'section' : s;
}

/** Spec documents beside the plan (and a `contracts/` folder) that belong in an agent's prompt. */
function documentsBeside(planFile: string): string[] {
  const dir = dirname(planFile);
  const out: string[] = [];
  for (const name of SPEC_DOCUMENTS) {
    const p = join(dir, name);
    if (p !== planFile && existsSync(p)) out.push(p);
  }
  const contracts = join(dir, 'contracts');
  try {
    if (statSync(contracts).isDirectory()) out.push(contracts);
  } catch {
    // No contracts folder.
  }
  return out;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Byte offset of the start of line `line` (0-based) in `buf`, or -1 when the file has fewer lines. */
function lineStartOffset(buf: Buffer, line: number): number {
  let pos = 0;
  for (let n = 0; n < line; n++) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return -1;
    pos = nl + 1;
  }
  return pos;
}

/**
 * Ticks task `taskId` in the plan file: re-reads the file (a person may have edited it), finds the
 * task again, and changes the one byte between its brackets to `x`. Everything else stays
 * byte-for-byte as it was.
 */
export async function tickMarkdownTask(file: string, taskId: string): Promise<Result<void, Diagnostic>> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    return err(errorAt(undefined, `cannot read ${file}: ${message(e)}`));
  }
  const text = buf.toString('utf8');
  const scan = scanMarkdown(text, file);
  const matches: number[] = [];
  scan.plan.tasks.forEach((t, k) => {
    if (t.id === taskId) matches.push(k);
  });
  if (matches.length === 0) return err(errorAt(undefined, `task ${taskId} is no longer in ${file}`));
  if (matches.length > 1) {
    const second = scan.plan.tasks[matches[1] as number] as Task;
    return err(errorAt(second.source, `task id ${taskId} is written more than once in ${file}; not ticking it`));
  }
  const task = scan.plan.tasks[matches[0] as number] as Task;
  if (task.status === 'done') return ok(undefined);
  const box = scan.boxes[matches[0] as number] as CheckboxPosition;
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const start = lineStartOffset(buf, box.line);
  const textLines = (bom ? text.slice(1) : text).split('\n', box.line + 1);
  const lineText = textLines[box.line];
  if (start < 0 || lineText === undefined)
    return err(errorAt(task.source, `cannot find the checkbox of task ${taskId}`));
  const offset = start + (box.line === 0 ? bom : 0) + Buffer.byteLength(lineText.slice(0, box.column), 'utf8');
  const b = buf[offset];
  if (buf[offset - 1] !== 0x5b || buf[offset + 1] !== 0x5d || (b !== 0x20 && b !== 0x7e && b !== 0x2d)) {
    return err(errorAt(task.source, `cannot find the checkbox of task ${taskId}; the file was not changed`));
  }
  const out = Buffer.from(buf);
  out[offset] = 0x78; // x
  try {
    writeFileAtomic(file, out);
  } catch (e) {
    return err(errorAt(task.source, `cannot write ${file}: ${message(e)}`));
  }
  return ok(undefined);
}

export const markdownFormat: PlanFormat = {
  name: 'markdown',

  async detect(path: string): Promise<boolean> {
    if (!/\.(?:md|markdown)$/i.test(path)) return false;
    try {
      if (!(await stat(path)).isFile()) return false;
      return ANY_CHECKBOX.test(await readFile(path, 'utf8'));
    } catch {
      return false;
    }
  },

  async read(path: string): Promise<Result<Plan, Diagnostic[]>> {
    const file = resolve(path);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      return err([errorAt(undefined, `cannot read ${file}: ${message(e)}`)]);
    }
    const parsed = parseMarkdownPlan(text, file);
    if (parsed.ok) parsed.value.documents = documentsBeside(file);
    return parsed;
  },

  async writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>> {
    if (status !== 'done') return err(errorAt(undefined, `cannot record status ${String(status)} in a markdown plan`));
    return tickMarkdownTask(plan.path, taskId);
  },
};
