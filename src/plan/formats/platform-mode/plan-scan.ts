import type { Phase } from '../../types.js';
import { splitLines } from '../markdown/line-pass.js';
import {
  atxHeading,
  CHECKBOX,
  closesFence,
  collapse,
  type Fence,
  fenceOpen,
  indentWidth,
  isBlank,
  isCriteriaLabel,
  LIST_ITEM,
  spanAt,
  THEMATIC_BREAK,
} from '../markdown/lines.js';
import { type DependencySource, normaliseStoryNumber, storyIdOf } from './dependencies.js';
import { type CapacityColumns, capacityColumns, isSeparatorRow, splitTableRow, storyNumberInCell } from './tables.js';

/*
 * One pass over a platform-mode plan's lines: sprint headings open phases, `**Story N.M: Title**
 * (P points)` lines (or `#### Story N.M: Title` headings) open stories, and capacity tables give the
 * rows that say what each story depends on. A story's section runs to the next story, a `---` rule
 * followed by a story, a sprint or epic heading, or any other heading that is not inside it (for a
 * bold story line, any heading: the sprint's capacity table comes after its last story under a
 * heading of its own).
 */

export interface StoryDraft {
  /** `N.M`, normalised. */
  id: string;
  title: string;
  points: number | undefined;
  line: number;
  column: number;
  phase: string;
  epic: string | undefined;
  /** Heading level of a heading story; 7 for a bold story line (inside every heading). */
  level: number;
  /** The section's lines other than the acceptance criteria, as written. */
  body: string[];
  criteria: string[];
  owner: string | undefined;
}

export interface PlanScan {
  /** Link targets on the header's `**References**:` line, as written. */
  references: string[];
  /** 0-based line of that `**References**:` line; -1 when there is none. */
  referencesLine: number;
  phases: Phase[];
  stories: StoryDraft[];
  dependencies: DependencySource[];
}

const BOLD_STORY = /^[ \t]{0,3}(?:\*\*|__)Story\s+\d/i;
const STORY_TEXT = /^Story\s+(\d+\.\d+)(?!\.?\d)\s*(?:[:\-–—.]\s*)?(.*)$/is;
/*
 * No match may start at each space of a long run (hence the lookbehind) and no lazy group may stand
 * before `\s*$` (hence the trimming in code): either backtracks in quadratic time on such a run.
 */
const POINTS = /(?<!\s)\s*[([]\s*(\d+(?:\.\d+)?)\s*(?:story\s+)?(?:points?|pts?\.?|sp)\s*[)\]]\s*$/i;
const SPRINT_HEADING = /^(?:\d+(?:\.\d+)*\.?\s+)?Sprint\s+0*(\d+)(?:\s*[:\-–—](.*))?\s*$/is;
const EPIC_HEADING = /^Epic\s+0*(\d+)\b/i;
const INLINE_DEPS =
  /^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)Dependenc(?:y|ies)(?::(?:\*\*|__)|(?:\*\*|__)[ \t]*:)[ \t]*(.*)$/is;
const REFERENCES = /^(?:\*\*|__)References(?::(?:\*\*|__)|(?:\*\*|__)[ \t]*:)/i;
const BOLD_LEVEL = 7;

interface StoryLine {
  id: string;
  title: string;
  points: number | undefined;
  column: number;
  level: number;
}

/** A story's opening line: `**Story 1.1: Title** (5 points)`, `**Story 1.1 - Title**`, `#### Story 1.1: Title`. */
export function parseStoryLine(line: string): StoryLine | undefined {
  const heading = atxHeading(line);
  let text: string;
  if (heading) text = heading.text;
  else if (BOLD_STORY.test(line)) text = line.trim();
  else return undefined;
  text = text.replace(/\*\*|__/g, '').trim();
  const m = STORY_TEXT.exec(text);
  if (!m) return undefined;
  let rest = (m[2] as string).trim();
  const points = POINTS.exec(rest);
  if (points) rest = rest.slice(0, points.index).trim();
  let end = rest.length;
  while (end > 0 && /[:\s]/.test(rest[end - 1] as string)) end--;
  rest = rest.slice(0, end);
  const id = normaliseStoryNumber(m[1] as string);
  return {
    id,
    title: rest === '' ? `Story ${id}` : rest,
    points: points ? Number(points[1]) : undefined,
    column: Math.max(0, line.search(/Story/i)),
    level: heading ? heading.level : BOLD_LEVEL,
  };
}

/** `Name (Weeks 1-2)` → `Name `: the last parenthesis, when the text ends with it (what `/\([^)]*\)$/` finds). */
function withoutTrailingParenthesis(text: string): string {
  if (!text.endsWith(')')) return text;
  const open = text.indexOf('(', text.lastIndexOf(')', text.length - 2) + 1);
  return open < 0 ? text : text.slice(0, open);
}

/** `### 3.1 Sprint 1: Infrastructure Foundation (Weeks 1-2)` → id `1`, title `Sprint 1: Infrastructure Foundation`. */
export function parseSprintHeading(text: string): { id: string; title: string } | undefined {
  const m = SPRINT_HEADING.exec(text.replace(/\*\*|__/g, ''));
  if (!m) return undefined;
  const id = String(Number(m[1]));
  const name = withoutTrailingParenthesis((m[2] ?? '').trim()).trim();
  return { id, title: name === '' ? `Sprint ${id}` : `Sprint ${id}: ${name}` };
}

/** The text of a list item without its marker and checkbox. */
function itemText(line: string): string {
  const box = CHECKBOX.exec(line);
  if (box) return box[5] as string;
  return line.replace(/^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]*/, '');
}

export function scanPlan(text: string, file: string): PlanScan {
  const lines = splitLines(text);
  const scan: PlanScan = { references: [], referencesLine: -1, phases: [], stories: [], dependencies: [] };
  const phaseById = new Map<string, Phase>();
  let fence: Fence | undefined;
  let sprint: { id: string; level: number } | undefined;
  let epic: { id: string; level: number } | undefined;
  let story: StoryDraft | undefined;
  /** Inside a story's acceptance criteria: the indent of its items (-1 before the first). */
  let criteriaIndent: number | undefined;
  let table: (CapacityColumns & { sprint: string | undefined }) | undefined;
  let inHeader = true;

  const phaseFor = (id: string, title: string, line: number): string => {
    if (!phaseById.has(id)) {
      const phase: Phase = { id, title, source: spanAt(file, line, 0), criteria: [] };
      phaseById.set(id, phase);
      scan.phases.push(phase);
    }
    return id;
  };
  const nextIsStory = (from: number): boolean => {
    let j = from;
    while (j < lines.length && isBlank(lines[j] as string)) j++;
    return j < lines.length && parseStoryLine(lines[j] as string) !== undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (fence) {
      if (closesFence(line, fence)) fence = undefined;
      story?.body.push(line);
      continue;
    }
    fence = fenceOpen(line, i);
    if (fence) {
      criteriaIndent = undefined;
      story?.body.push(line);
      continue;
    }

    const cells = splitTableRow(line);
    if (table && cells) {
      if (isSeparatorRow(cells)) continue;
      const number = storyNumberInCell(cells[table.story]?.text ?? '');
      const deps = cells[table.deps];
      if (number !== undefined && deps) {
        scan.dependencies.push({
          story: number,
          text: deps.text,
          sprint: table.sprint,
          location: spanAt(file, i, deps.column),
          fromTable: true,
        });
        const owner = table.owner === undefined ? '' : (cells[table.owner]?.text ?? '').replace(/\*\*|__/g, '');
        const id = storyIdOf(number, table.sprint);
        const drafted = scan.stories.find((s) => s.id === id);
        if (drafted && owner !== '' && drafted.owner === undefined) drafted.owner = owner.trim();
      }
      continue;
    }
    table = undefined;
    const columns = cells ? capacityColumns(cells) : undefined;
    if (columns) {
      story = undefined;
      table = { ...columns, sprint: sprint?.id };
      continue;
    }

    const opened = parseStoryLine(line);
    if (opened) {
      const major = opened.id.split('.')[0] as string;
      story = {
        ...opened,
        line: i,
        phase: sprint ? sprint.id : phaseFor(major, `Sprint ${major}`, i),
        epic: epic?.id,
        body: [],
        criteria: [],
        owner: undefined,
      };
      criteriaIndent = undefined;
      scan.stories.push(story);
      continue;
    }

    const heading = atxHeading(line);
    if (heading) {
      criteriaIndent = undefined;
      const sprintHeading = parseSprintHeading(heading.text);
      const epicHeading = EPIC_HEADING.exec(heading.text.replace(/\*\*|__/g, ''));
      if (story && heading.level > story.level && !sprintHeading && !epicHeading) {
        // A heading inside a heading-form story: `##### Acceptance Criteria` opens its criteria.
        if (isCriteriaLabel(`${heading.text}:`)) criteriaIndent = -1;
        else story.body.push(line);
        continue;
      }
      story = undefined;
      if (heading.level >= 2) inHeader = false;
      if (sprint && heading.level <= sprint.level) sprint = undefined;
      if (epic && heading.level <= epic.level) epic = undefined;
      if (sprintHeading) {
        sprint = { id: phaseFor(sprintHeading.id, sprintHeading.title, i), level: heading.level };
        epic = undefined;
      }
      if (epicHeading) epic = { id: String(Number(epicHeading[1])), level: heading.level };
      continue;
    }

    if (THEMATIC_BREAK.test(line)) {
      criteriaIndent = undefined;
      if (story && nextIsStory(i + 1)) story = undefined;
      continue;
    }

    if (!story) {
      if (inHeader && REFERENCES.test(line.trim())) {
        for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) scan.references.push(m[1] as string);
        if (scan.referencesLine < 0) scan.referencesLine = i;
      }
      continue;
    }

    if (isCriteriaLabel(line) && !LIST_ITEM.test(line)) {
      criteriaIndent = -1;
      continue;
    }
    if (criteriaIndent !== undefined) {
      if (isBlank(line)) continue;
      const indent = indentWidth(line);
      if (LIST_ITEM.test(line) && (criteriaIndent < 0 || indent <= criteriaIndent)) {
        criteriaIndent = indent;
        story.criteria.push(collapse(itemText(line)));
        continue;
      }
      if (criteriaIndent >= 0 && indent > criteriaIndent && story.criteria.length > 0) {
        const last = story.criteria.length - 1;
        story.criteria[last] = collapse(`${story.criteria[last]} ${itemText(line)}`);
        continue;
      }
      criteriaIndent = undefined;
    }
    const inline = INLINE_DEPS.exec(line);
    if (inline) {
      const text = inline[1] as string;
      scan.dependencies.push({
        story: story.id,
        text,
        sprint: story.phase,
        location: spanAt(file, i, line.length - text.length),
        fromTable: false,
      });
    }
    story.body.push(line);
  }
  return scan;
}
