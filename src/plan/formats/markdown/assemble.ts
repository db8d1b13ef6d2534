import { type Diagnostic, errorAt } from '../../diagnostic.js';
import { collectFileRefs, outsidePathWarning } from '../../file-refs.js';
import { derivedTaskId, findDependencyRefs } from '../../task-ids.js';
import type { Plan, Task } from '../../types.js';
import { resolveDependencies } from './dependencies.js';
import { collapse, dedent, spanAt } from './lines.js';
import { estimateIn } from './title.js';
import type {
  CheckboxPosition,
  Draft,
  LineScan,
  LocatedRef,
  MarkdownScan,
  PendingCriterion,
  PhaseDraft,
} from './types.js';

/*
 * The pass after the line scan: gives each draft task its id, reads what its lines say (files,
 * requirements, dependency references, estimate, agent), puts phase criteria in their phase, and
 * resolves dependencies once every id is known.
 */

const REQUIREMENT = /\b(?:NFR|FR|SC|REQ)-\d+\b/g;
const REQUIREMENT_HINT = /[RCQ]-\d/;
/** No `[ \t]*` on both sides of the optional bold: that backtracks in quadratic time on a long run of spaces. */
const AGENT_BULLET =
  /^[ \t]*[-*+][ \t]+(?:\*\*|__)?agent(?:\*\*|__)?[ \t]*:[ \t]*(?:(?:\*\*|__)[ \t]*)?`?([\w][\w.@/-]*)/i;
/** Shared by the many tasks that name no dependency, so they allocate no array. */
const NO_REFS: LocatedRef[] = [];
const NO_TASKS = 'no tasks found: expected checkbox items such as "- [ ] T001 Do something"';

/** What a task's first line and body lines say about it. */
interface TaskText {
  /** The body lines as written (not dedented). */
  body: string[];
  files: string[];
  /** Paths outside the repository the lines name, as written. */
  outside: string[];
  requirements: string[];
  refs: LocatedRef[];
  estimateMinutes: number | undefined;
  agent: string | undefined;
}

export function assembleScan(scan: LineScan): MarkdownScan {
  const { drafts, phases, phaseByOwner, lines, file } = scan;
  const errors: Diagnostic[] = [];
  const tasks: Task[] = [];
  const boxes: CheckboxPosition[] = [];
  const indexById = new Map<string, number>();
  const derivedUsed = new Set<string>();
  const refs: LocatedRef[][] = [];

  for (const d of drafts) {
    const phase = phases[phaseByOwner.get(d.owner) as number] as PhaseDraft;
    let id: string;
    if (d.explicitId !== undefined) {
      id = d.explicitId;
      const first = indexById.get(id);
      if (first !== undefined) {
        const f = tasks[first] as Task;
        errors.push(
          errorAt(spanAt(file, d.line, d.column), `duplicate task id ${id}`, [
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

    const text = readTaskText(d, lines);
    refs.push(text.refs);
    // A hard-wrapped first line goes on in the lines right under it: its sentence is the title.
    const { title, body } = wrappedTitle(d.title, text.body, titleContinuation(d, lines));

    const task: Task = {
      id,
      idKind: d.explicitId !== undefined ? 'explicit' : 'derived',
      title,
      body,
      phase: phase.phase.id,
      deps: [],
      status: d.status,
      optional: false,
      parallel: d.parallel,
      tags: d.tags,
      requirements: text.requirements,
      files: text.files,
      criteria: d.criteria,
      source: spanAt(file, d.line, d.column),
    };
    if (text.estimateMinutes !== undefined) task.estimateMinutes = text.estimateMinutes;
    if (text.agent !== undefined) task.agent = text.agent;
    for (const path of text.outside) scan.warnings.push(outsidePathWarning(id, path, task.source));
    tasks.push(task);
    boxes.push({ line: d.line, column: d.boxColumn });
  }

  placePendingCriteria(scan.pendingCriteria, phases, phaseByOwner);

  resolveDependencies(tasks, refs, indexById, phases, file);

  if (tasks.length === 0) errors.push(errorAt({ file, line: 1, column: 1 }, NO_TASKS));
  const plan: Plan = {
    format: 'markdown',
    path: file,
    tasks,
    phases: phases.map((p) => p.phase),
    documents: [],
    warnings: scan.warnings,
  };
  return { plan, errors, boxes };
}

/**
 * Reads a task's first line and then its body lines, in order: the first line counts for files,
 * requirements, references and estimate, but an agent is only taken from a body bullet.
 */
/**
 * Lines that open a block or hold a label of their own (a list item, a heading, a fence, a quote, a
 * table row, a comment, `**Files**:` or `Depends on: T001`) rather than go on with a sentence.
 */
const OWN_BLOCK =
  /^(?:[-*+]\s|\d+[.)]\s|#{1,6}\s|```|~~~|>|\||<!--|\*\*[^*]+\*\*:?|[\p{Lu}][\p{L}\d /-]{0,30}:(?:\s|$))/u;

/** A line that goes on with a sentence: it opens in lower case, a code span, or a bracket. */
const GOES_ON = /^[\p{Ll}`([{"'‘“]/u;
/** A line that cannot end there: it stops on a small word or a mark that needs what comes next. */
const ENDS_MIDWAY =
  /(?:\b(?:a|an|the|of|to|in|on|at|for|with|and|or|nor|by|from|into|onto|via|per|as|that|than|so|is|are|be|its|their)|[,;(\-–—→+&/])$/iu;
/** A line that ends a sentence (or a label's colon): what follows it is not the same sentence. */
const ENDS_SENTENCE = /[.!?:]["'’”)\]]*$/u;

/**
 * How many of a task's body lines go on with its first line's sentence, hard-wrapped ("Wire the
 * installer in" / "`services/primitives.py` so …"): the lines right under it, while the line before
 * ends mid-sentence and the next goes on with it (opens in lower case, or follows "of", "the", a
 * comma…), up to a blank line or a block of its own. A line that opens a sentence of its own under a
 * title that has ended ("Create the project structure" / "Create src/ and tests/") is the body's. The derived id is still made
 * of the first line alone, so ids stay what they were.
 */
function titleContinuation(d: Draft, lines: string[]): number {
  let n = 0;
  let before = d.title;
  for (const ln of d.bodyLines) {
    if (ln !== d.line + 1 + n) break;
    const s = (lines[ln] as string).trim();
    if (s === '' || OWN_BLOCK.test(s) || ENDS_SENTENCE.test(before)) break;
    if (!GOES_ON.test(s) && !ENDS_MIDWAY.test(before)) break;
    n++;
    before = s;
  }
  return n;
}

/** The end of a sentence inside a line: a stop, then more words (not "e.g. x", "vs. y"). */
const SENTENCE_END = /(?<!\b(?:e\.g|i\.e|vs|etc|cf|approx|incl))[.!?](?=\s+\S)/g;

/**
 * The title and body of a task whose first line goes on in the next `wrapped` body lines: the title
 * is its first sentence, across the wrap; what follows it on the line where it ends starts the body.
 */
function wrappedTitle(first: string, body: string[], wrapped: number): { title: string; body: string } {
  if (wrapped === 0) return { title: first, body: dedent(body) };
  let title = first;
  for (let k = 0; k < wrapped; k++) {
    const line = (body[k] as string).trim();
    const joined = `${title} ${line}`;
    SENTENCE_END.lastIndex = title.length + 1;
    const end = SENTENCE_END.exec(joined);
    if (end) {
      const rest = joined.slice(end.index + 1).trim();
      const tail = dedent(body.slice(k + 1));
      return { title: collapse(joined.slice(0, end.index + 1)), body: tail ? `${rest}\n${tail}` : rest };
    }
    title = joined;
  }
  return { title: collapse(title), body: dedent(body.slice(wrapped)) };
}

function readTaskText(d: Draft, lines: string[]): TaskText {
  const files: string[] = [];
  const seenFiles = new Set<string>();
  const outside: string[] = [];
  const requirements: string[] = [];
  let refs: LocatedRef[] = NO_REFS;
  let estimateMinutes: number | undefined;
  let agent: string | undefined;
  const body: string[] = [];
  for (let k = -1; k < d.bodyLines.length; k++) {
    const ln = k < 0 ? d.line : (d.bodyLines[k] as number);
    const s = lines[ln] as string;
    if (k >= 0) body.push(s);
    collectFileRefs(s, files, seenFiles, outside);
    if (REQUIREMENT_HINT.test(s)) {
      REQUIREMENT.lastIndex = 0;
      for (let m = REQUIREMENT.exec(s); m; m = REQUIREMENT.exec(s)) {
        if (!requirements.includes(m[0])) requirements.push(m[0]);
      }
    }
    for (const ref of findDependencyRefs(s)) {
      if (refs === NO_REFS) refs = [];
      refs.push({ line: ln, ref });
    }
    if (estimateMinutes === undefined) estimateMinutes = estimateIn(s);
    if (agent === undefined && k >= 0) agent = AGENT_BULLET.exec(s)?.[1];
  }
  return { body, files, outside, requirements, refs, estimateMinutes, agent };
}

/**
 * Puts each criterion read outside a task into the phase of the nearest heading that holds tasks;
 * failing that, the last phase opened before it was read, or the first phase.
 */
function placePendingCriteria(
  pending: PendingCriterion[],
  phases: PhaseDraft[],
  phaseByOwner: Map<number, number>,
): void {
  for (const c of pending) {
    let target: PhaseDraft | undefined;
    for (const o of c.owners) {
      const p = phaseByOwner.get(o);
      if (p !== undefined) {
        target = phases[p];
        break;
      }
    }
    target ??= phases[c.phasesBefore - 1] ?? phases[0];
    target?.phase.criteria.push(c.text);
  }
}
