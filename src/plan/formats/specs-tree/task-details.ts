import { collectFileRefs } from '../../file-refs.js';
import { dedent } from '../markdown/lines.js';
import { estimateIn } from '../markdown/title.js';
import type { ScannedTask } from './tasks-file.js';

/*
 * What a specs-tree task's words say: the title without `Task:` and without a trailing
 * `(backend, mid)`, the role and complexity from that suffix or from `Agent:` / `Complexity:`
 * sub-bullets, and the body without those bookkeeping bullets.
 */

export interface TaskDetails {
  title: string;
  body: string;
  role?: string;
  complexity?: string;
  priority?: string;
  files: string[];
  /** Paths outside the repository the task names, as written. */
  outside: string[];
  requirements: string[];
  estimateMinutes?: number;
}

const TASK_PREFIX = /^(?:\*\*|__)?task(?:[ \t]+\d+(?:\.\d+)*)?[ \t]*:(?:\*\*|__)?[ \t]*/i;
/**
 * `(backend, mid)` at the end of the title. The second word must be a complexity, so a parenthesis
 * such as `(see src/a.ts, line 3)` stays in the title.
 */
const ROLE_SUFFIX =
  /[ \t]*\([ \t]*([A-Za-z][\w.@/-]*)[ \t]*,[ \t]*(easy|simple|trivial|low|mid|medium|moderate|normal|hard|high|complex|difficult)[ \t]*\)[ \t]*$/i;
const META_BULLET =
  /^[ \t]*[-*+][ \t]+(?:\*\*|__)?(agent|role|complexity|priority|dependencies|depends on)(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?(.*)$/is;
/** A `Dependencies:` bullet that only restates the layer order (`L0 complete`, `Layer 1 done`). */
const LAYER_DEPENDENCY = /^(?:none\b|-|—|n\/a\b|L\d+\b|layers?\b)/i;
const REQUIREMENT = /\b(?:NFR|FR|SC|REQ)-\d+\b/g;

/** A bullet's value without markup, up to a parenthesis, dash or comma that starts a comment on it. */
function cleanValue(raw: string): string {
  const plain = raw.replace(/\*\*|__|`/g, '').trim();
  // The lookbehind: from each space of a long run of them the split would be quadratic.
  return (plain.split(/(?<![ \t])[ \t]*(?:\(|—|–| - |,)/)[0] as string).trim();
}

function firstWord(value: string): string | undefined {
  const w = value.split(/\s+/)[0]?.toLowerCase();
  return w === undefined || w === '' ? undefined : w;
}

export function taskDetails(task: ScannedTask): TaskDetails {
  let title = task.text.replace(TASK_PREFIX, '');
  let role: string | undefined;
  let complexity: string | undefined;
  let priority: string | undefined;
  const suffix = ROLE_SUFFIX.exec(title);
  if (suffix && suffix.index > 0) {
    title = title.slice(0, suffix.index).trimEnd();
    role = suffix[1];
    complexity = (suffix[2] as string).toLowerCase();
  }

  const body: string[] = [];
  for (const line of task.body) {
    const meta = META_BULLET.exec(line);
    if (!meta) {
      body.push(line);
      continue;
    }
    const key = (meta[1] as string).toLowerCase();
    const value = cleanValue(meta[2] as string);
    // A labelled sub-bullet is more deliberate than a suffix, so it wins.
    if (key === 'agent' || key === 'role') {
      if (value !== '') role = value;
    } else if (key === 'complexity') complexity = firstWord(value) ?? complexity;
    else if (key === 'priority') priority = firstWord(value) ?? priority;
    else if (!LAYER_DEPENDENCY.test(value)) body.push(line);
  }

  const files: string[] = [];
  const seenFiles = new Set<string>();
  const outside: string[] = [];
  const requirements: string[] = [];
  let estimateMinutes: number | undefined;
  for (const line of [task.text, ...task.body]) {
    collectFileRefs(line, files, seenFiles, outside);
    for (const m of line.matchAll(REQUIREMENT)) if (!requirements.includes(m[0])) requirements.push(m[0]);
    estimateMinutes ??= estimateIn(line);
  }

  return {
    title,
    body: dedent(body),
    ...(role !== undefined ? { role } : {}),
    ...(complexity !== undefined ? { complexity } : {}),
    ...(priority !== undefined ? { priority } : {}),
    files,
    outside,
    requirements,
    ...(estimateMinutes !== undefined ? { estimateMinutes } : {}),
  };
}
