import { basename } from 'node:path';
import type { Diagnostic, SourceSpan } from '../../diagnostic.js';
import { parseLeadingId } from '../../task-ids.js';
import { assembleScan } from './assemble.js';
import { blankComments, frontMatterEnd, splitLines } from './line-pass.js';
import {
  atxHeading,
  CHECKBOX,
  CHECKBOX_STATUS,
  CRITERIA_TEXT,
  closesFence,
  collapse,
  type Fence,
  fenceOpen,
  indentWidth,
  isBlank,
  isCriteriaLabel,
  isLazyContinuation,
  LIST_ITEM,
  SETEXT_UNDERLINE,
  slug,
  spanAt,
  THEMATIC_BREAK,
} from './lines.js';
import { parseTitle } from './title.js';
import type { Draft, Heading, MarkdownScan, PendingCriterion, PhaseDraft } from './types.js';

const PHASE_HEADING = /\bphase\s+(\d+(?:\.\d+)*)/i;
/** What makes a `Phase N` heading a criteria section: "checklist" alone does not. */
const PHASE_CRITERIA_TEXT = /\bcriteria\b|definition of done/i;

/** Reads a markdown plan's text into a plan, its errors and where each task's checkbox is. */
export function scanMarkdown(input: string, file: string): MarkdownScan {
  return new Scanner(splitLines(input), file).run();
}

/**
 * The per-line pass: decides for each line whether it is front matter, comment, fence, task body,
 * heading, task checkbox, criterion or prose, and collects draft tasks, phases and criteria.
 */
class Scanner {
  private readonly headings: Heading[] = [];
  private readonly stack: number[] = [];
  private readonly drafts: Draft[] = [];
  private readonly phases: PhaseDraft[] = [];
  private readonly phaseByOwner = new Map<number, number>();
  private readonly usedPhaseIds = new Set<string>();
  private readonly pendingCriteria: PendingCriterion[] = [];
  private readonly warnings: Diagnostic[] = [];

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
    return spanAt(this.file, line, column);
  }

  run(): MarkdownScan {
    const lines = this.lines;
    let i = frontMatterEnd(lines);
    for (; i < lines.length; i++) {
      if (!this.fence && !this.bodyFence && (this.inComment || (lines[i] as string).includes('<!--'))) {
        const blanked = blankComments(lines[i] as string, this.inComment);
        if (blanked.opensHere) this.commentStart = i;
        this.inComment = blanked.open;
        lines[i] = blanked.text;
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
    return assembleScan({
      lines,
      file: this.file,
      drafts: this.drafts,
      phases: this.phases,
      phaseByOwner: this.phaseByOwner,
      pendingCriteria: this.pendingCriteria,
      warnings: this.warnings,
    });
  }

  private warn(line: number, column: number, message: string): void {
    this.warnings.push({ severity: 'warning', location: this.span(line, column), message });
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
      status: CHECKBOX_STATUS[cb[4] as string] ?? 'pending',
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
}
