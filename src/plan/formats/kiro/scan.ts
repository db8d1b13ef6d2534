import type { Diagnostic } from '../../diagnostic.js';
import { parseLeadingId } from '../../task-ids.js';
import { blankComments, frontMatterEnd, splitLines } from '../markdown/line-pass.js';
import {
  atxHeading,
  closesFence,
  type Fence,
  fenceOpen,
  indentWidth,
  isBlank,
  isLazyContinuation,
  spanAt,
} from '../markdown/lines.js';

/*
 * The line pass over a Kiro `tasks.md`: finds the checkbox items and gives every other line to the
 * item it is nested in (by indentation), so sub-tasks nested under a parent end the parent's body and
 * detail bullets written after them go back to it. Numbers, not nesting, decide the task hierarchy;
 * that is the assembler's job.
 */

/**
 * A Kiro checkbox item: indentation, marker, state character, the optional `*` right after the box,
 * content. `- [ ]*2.2` (no space after the star) is accepted too. `s`: see the markdown CHECKBOX.
 */
const CHECKBOX = /^([ \t]*)([-*+])([ \t]+)\[([ xX~-])\](?:(\*)[ \t]*|[ \t]+)(\S.*)$/s;
/** `1.`, `2.1`, `3.1.` at the start of an item's content, followed by a space or the end. */
const NUMBER = /^(\d+(?:\.\d+)*)(\.?)(?=[ \t]|$)[ \t]*/;
const REQUIREMENTS_MARKER = /_Requirements\b|\*\*Validates\b/;

export interface KiroItem {
  /** `2.1` as written, without a trailing dot; undefined for an unnumbered checkbox. */
  number: string | undefined;
  /** 0-based line of the checkbox. */
  line: number;
  /** 0-based column of the number, or of the `[` when there is none. */
  column: number;
  /** 0-based UTF-16 column of the state character between the brackets (BOM not counted). */
  stateColumn: number;
  indent: number;
  state: string;
  optional: boolean;
  /** The content after the number, as written. */
  title: string;
  /** Lines that belong to the item (detail bullets, continuation, fenced code), in order. */
  bodyLines: number[];
  /** Index of the heading section the item is in (0: before the first heading). */
  section: number;
}

export interface KiroScan {
  /** The file's lines without BOM and `\r`, HTML comments blanked out (columns kept). */
  lines: string[];
  items: KiroItem[];
  /** Lines inside code fences of a body: never requirement lines. */
  codeLines: Set<number>;
  /** Heading text of each section (index 0: before the first heading, ''). */
  sectionTitles: string[];
  warnings: Diagnostic[];
  /** A checkbox starts with a spec-kit id (`T001`): the file is spec-kit's, not Kiro's. */
  hasSpecKitIds: boolean;
  /** A line outside code says `_Requirements` or `**Validates`. */
  hasRequirementsMarker: boolean;
}

/** A top-level number needs its dot (`1.`): `- [ ] 3 retries` is prose that starts with a digit. */
function parseNumber(content: string): { number: string; length: number } | undefined {
  const m = NUMBER.exec(content);
  if (!m) return undefined;
  const number = m[1] as string;
  if (!number.includes('.') && m[2] !== '.') return undefined;
  return { number, length: m[0].length };
}

export function scanKiro(input: string, file: string): KiroScan {
  return new Scanner(splitLines(input), file).run();
}

class Scanner {
  private readonly items: KiroItem[] = [];
  private readonly codeLines = new Set<number>();
  private readonly sectionTitles: string[] = [''];
  private readonly warnings: Diagnostic[] = [];
  /** Items whose bodies are open, outermost first. */
  private stack: KiroItem[] = [];
  private pendingBlanks: number[] = [];
  /** The item that took the previous non-blank line, for lazy continuation lines. */
  private lastOwner: KiroItem | undefined;
  private fence: Fence | undefined;
  private bodyFence: { fence: Fence; owner: KiroItem } | undefined;
  private inComment = false;
  private commentStart = 0;
  private hasSpecKitIds = false;
  private hasRequirementsMarker = false;

  constructor(
    private readonly lines: string[],
    private readonly file: string,
  ) {}

  run(): KiroScan {
    const lines = this.lines;
    for (let i = frontMatterEnd(lines); i < lines.length; i++) {
      if (!this.fence && !this.bodyFence && (this.inComment || (lines[i] as string).includes('<!--'))) {
        const line = lines[i] as string;
        const blanked = blankComments(line, this.inComment);
        if (blanked.opensHere) this.commentStart = i;
        this.inComment = blanked.open;
        // The shared blanking cuts a line where an unclosed comment starts; Kiro's lines keep their written width.
        lines[i] = blanked.text.padEnd(line.length);
      }
      this.line(lines[i] as string, i);
    }
    const open = this.fence ?? this.bodyFence?.fence;
    if (open) this.warn(open.line, 'code fence is never closed: the rest of the file is read as code');
    if (this.inComment) this.warn(this.commentStart, 'HTML comment is never closed: the rest of the file is ignored');
    return {
      lines,
      items: this.items,
      codeLines: this.codeLines,
      sectionTitles: this.sectionTitles,
      warnings: this.warnings,
      hasSpecKitIds: this.hasSpecKitIds,
      hasRequirementsMarker: this.hasRequirementsMarker,
    };
  }

  private warn(line: number, message: string): void {
    this.warnings.push({ severity: 'warning', location: spanAt(this.file, line, 0), message });
  }

  private line(line: string, i: number): void {
    if (this.fence) {
      if (closesFence(line, this.fence)) this.fence = undefined;
      return;
    }
    if (this.bodyFence) {
      this.attach(this.bodyFence.owner, i);
      this.codeLines.add(i);
      if (closesFence(line, this.bodyFence.fence)) this.bodyFence = undefined;
      return;
    }
    if (isBlank(line)) {
      this.pendingBlanks.push(i);
      return;
    }
    if (!this.hasRequirementsMarker && REQUIREMENTS_MARKER.test(line)) this.hasRequirementsMarker = true;
    const heading = atxHeading(line);
    if (heading) {
      this.closeAll();
      this.sectionTitles.push(heading.text);
      return;
    }
    const width = indentWidth(line);
    const checkbox = CHECKBOX.exec(line);
    const last = this.lastOwner;
    if (
      !checkbox &&
      last &&
      this.pendingBlanks.length === 0 &&
      width <= last.indent &&
      this.stack.includes(last) &&
      isLazyContinuation(line)
    ) {
      this.attach(last, i);
      return;
    }
    while (this.stack.length > 0 && (this.stack[this.stack.length - 1] as KiroItem).indent >= width) this.stack.pop();
    const parent = this.stack[this.stack.length - 1];
    if (checkbox) {
      const content = checkbox[6] as string;
      if (parseLeadingId(content)) this.hasSpecKitIds = true;
      const number = parseNumber(content);
      // An unnumbered checkbox nested in a task is one of its details (a checklist), not a task.
      if (number || !parent) {
        this.item(checkbox, line, i, number);
        return;
      }
    }
    const fence = fenceOpen(line, i);
    if (!parent) {
      this.closeAll();
      if (fence) this.fence = fence;
      return;
    }
    this.attach(parent, i);
    if (fence) {
      this.bodyFence = { fence, owner: parent };
      this.codeLines.add(i);
    }
  }

  private item(
    checkbox: RegExpExecArray,
    line: string,
    i: number,
    number: { number: string; length: number } | undefined,
  ): void {
    const lead = checkbox[1] as string;
    const bracket = lead.length + (checkbox[2] as string).length + (checkbox[3] as string).length;
    const content = checkbox[6] as string;
    const contentStart = line.length - content.length;
    const item: KiroItem = {
      number: number?.number,
      line: i,
      column: number ? contentStart : bracket,
      stateColumn: bracket + 1,
      indent: indentWidth(lead),
      state: checkbox[4] as string,
      optional: checkbox[5] === '*',
      title: number ? content.slice(number.length) : content,
      bodyLines: [],
      section: this.sectionTitles.length - 1,
    };
    this.items.push(item);
    this.stack.push(item);
    this.lastOwner = item;
    this.pendingBlanks = [];
  }

  private attach(owner: KiroItem, i: number): void {
    for (const b of this.pendingBlanks) owner.bodyLines.push(b);
    this.pendingBlanks = [];
    owner.bodyLines.push(i);
    this.lastOwner = owner;
  }

  private closeAll(): void {
    this.stack = [];
    this.pendingBlanks = [];
    this.lastOwner = undefined;
  }
}
