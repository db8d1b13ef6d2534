import type { Diagnostic, SourceSpan } from '../../diagnostic.js';
import type { Task } from '../../types.js';

/*
 * A story's dependencies as a platform-mode plan writes them (a capacity table's Dependencies cell,
 * or a `**Dependencies**:` line in the story), and the sprint order: sprint N+1 waits for sprint N.
 */

/** What one Dependencies cell says. */
export interface DependencyText {
  /** Story numbers as written: `1.3`, or a bare `001` / `3` meaning story K of the sprint. */
  refs: string[];
  /** `All previous stories`: every earlier story of the sprint. */
  allPrevious: boolean;
  /** Whatever names no story (`Azure subscription access`): an external dependency. */
  external: string[];
}

const NONE = /^(?:none|n\/a|na|tbd|nothing|no dependencies|-+|—|–)$/i;
const ALL_PREVIOUS = /\ball\s+(?:the\s+)?(?:previous|prior|preceding|earlier|above)(?:\s+stor(?:y|ies))?\b/gi;
/** `Story 1.3`, `Stories 1.2, 1.3`, `Story 1.3 and 1.5`, `Story003,005`, `Story003, Story005`. */
const STORY_LIST =
  /\bstor(?:y|ies)\s*(?:#\s*)?(\d+(?:\.\d+)?)((?:\s*(?:,|&|\/|\band\b)\s*(?:stor(?:y|ies)\s*)?(?:#\s*)?\d+(?:\.\d+)?(?!\.?\d))*)/gi;
/*
 * In both: `(?:#\s*)?` rather than `#?\s*` after a `\s*`, and a lookbehind before a leading `\s+`;
 * otherwise a long run of spaces makes them backtrack in quadratic time.
 */
const CONNECTOR = /^(?:and|or|&|plus)\s+|(?<!\s)\s+(?:and|or|&)$/gi;

export function parseDependencyText(cell: string): DependencyText {
  const out: DependencyText = { refs: [], allPrevious: false, external: [] };
  let text = cell.replace(/\*\*|__|`/g, '').trim();
  if (text === '' || NONE.test(text)) return out;
  text = text.replace(ALL_PREVIOUS, () => {
    out.allPrevious = true;
    return ',';
  });
  text = text.replace(STORY_LIST, (_all, first: string, rest: string) => {
    out.refs.push(first, ...(rest.match(/\d+(?:\.\d+)?/g) ?? []));
    return ',';
  });
  for (const piece of text.split(/[,;]/)) {
    const p = piece.trim().replace(CONNECTOR, '').trim();
    if (p === '' || NONE.test(p)) continue;
    if (/^\d+\.\d+$/.test(p)) out.refs.push(p);
    else if (/[A-Za-z]/.test(p)) out.external.push(p);
  }
  return out;
}

/** `1.01` → `1.1`: the form story ids are compared in. */
export function normaliseStoryNumber(n: string): string {
  const [major, minor] = n.split('.');
  return minor === undefined ? String(Number(major)) : `${Number(major)}.${Number(minor)}`;
}

/** A story number as written to a story id: a bare `K` is story K of `sprint`; undefined when there is none. */
export function storyIdOf(ref: string, sprint: string | undefined): string | undefined {
  if (ref.includes('.')) return normaliseStoryNumber(ref);
  return sprint === undefined ? undefined : `${sprint}.${Number(ref)}`;
}

/** One place that says what a story depends on. */
export interface DependencySource {
  /** The story number as the table row or the story gives it. */
  story: string;
  text: string;
  /** The sprint the text is written in, for bare story numbers. */
  sprint: string | undefined;
  location: SourceSpan;
  /** A capacity table row: external dependencies go into the story's body (a story's own line already is). */
  fromTable: boolean;
}

/**
 * Adds the explicit edges the sources name to `tasks` (in place) and returns the external dependencies
 * by story id. Names of stories the plan does not have become warnings.
 */
export function addExplicitDependencies(
  tasks: Task[],
  sources: readonly DependencySource[],
  warnings: Diagnostic[],
): Map<string, string[]> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const external = new Map<string, string[]>();
  const warn = (location: SourceSpan, message: string): void => {
    warnings.push({ severity: 'warning', location, message });
  };
  for (const source of sources) {
    const storyId = storyIdOf(source.story, source.sprint);
    const task = storyId === undefined ? undefined : byId.get(storyId);
    if (!task) {
      warn(source.location, `story ${source.story} is not in the plan; its dependencies are ignored`);
      continue;
    }
    const add = (id: string): void => {
      if (id !== task.id && !task.deps.some((d) => d.id === id)) {
        task.deps.push({ id, kind: 'explicit', source: source.location });
      }
    };
    const parsed = parseDependencyText(source.text);
    for (const ref of parsed.refs) {
      const id = storyIdOf(ref, source.sprint);
      if (id === undefined) {
        warn(
          source.location,
          `story ${task.id} depends on story ${ref}, but the text is in no sprint to number it in; no dependency added`,
        );
      } else if (id === task.id) {
        warn(source.location, `story ${task.id} names itself as a dependency; ignored`);
      } else if (!byId.has(id)) {
        warn(source.location, `story ${task.id} depends on story ${id}, which is not in the plan; no dependency added`);
      } else add(id);
    }
    if (parsed.allPrevious) {
      for (const t of tasks) {
        if (t === task) break;
        if (t.phase === task.phase) add(t.id);
      }
    }
    if (source.fromTable && parsed.external.length > 0) {
      external.set(task.id, [...(external.get(task.id) ?? []), ...parsed.external]);
    }
  }
  return external;
}

/**
 * Sprint order: every story of a sprint that depends on no story of its own sprint waits for the
 * sinks of the sprint before it (its stories no other story of that sprint depends on).
 */
export function addSprintOrder(tasks: Task[], phaseOrder: readonly string[]): void {
  const byPhase = new Map<string, Task[]>();
  for (const t of tasks) {
    const list = byPhase.get(t.phase);
    if (list) list.push(t);
    else byPhase.set(t.phase, [t]);
  }
  const sprints = phaseOrder.filter((p) => byPhase.has(p));
  for (let k = 1; k < sprints.length; k++) {
    const previous = byPhase.get(sprints[k - 1] as string) as Task[];
    const previousIds = new Set(previous.map((t) => t.id));
    const dependedOn = new Set(previous.flatMap((t) => t.deps.filter((d) => previousIds.has(d.id)).map((d) => d.id)));
    const sinks = previous.filter((t) => !dependedOn.has(t.id)).map((t) => t.id);
    const current = byPhase.get(sprints[k] as string) as Task[];
    const currentIds = new Set(current.map((t) => t.id));
    for (const t of current) {
      if (t.deps.some((d) => currentIds.has(d.id))) continue;
      const had = new Set(t.deps.map((d) => d.id));
      for (const id of sinks) {
        if (!had.has(id)) t.deps.push({ id, kind: 'phase-order', source: t.source });
      }
    }
  }
}
