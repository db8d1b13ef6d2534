import { type Dirent, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { type Diagnostic, errorAt } from './diagnostic.js';
import { shownPath } from './shown-path.js';

/*
 * Plans that cannot be read for want of permission. The formats look for their layouts quietly (a
 * folder they cannot list is, to them, a folder without their files), so an unreadable `.kiro/specs`
 * came out as "cannot tell the plan format" or "plan not found". These say what is in the way instead.
 */

const DENIED = new Set(['EACCES', 'EPERM']);

function denied(e: unknown): boolean {
  return DENIED.has((e as NodeJS.ErrnoException).code ?? '');
}

/**
 * Whether the plan path `abs` (shown as `shown`) exists, and if taskwave may not even look at it, why:
 * a folder on the way that cannot be searched is named.
 */
export function planPathProblem(abs: string, shown: string): Diagnostic | 'missing' | undefined {
  try {
    statSync(abs);
  } catch (e) {
    if (!denied(e)) return 'missing';
    return errorAt(undefined, `cannot read ${shown}: permission denied on ${blockingFolder(abs)}`);
  }
  return undefined;
}

/** The highest folder above `abs` that exists but cannot be searched, as the user would name it. */
function blockingFolder(abs: string): string {
  return shownPath(firstBlockingFolder(abs));
}

function firstBlockingFolder(abs: string): string {
  const folders: string[] = [];
  for (let d = dirname(abs); dirname(d) !== d; d = dirname(d)) folders.unshift(d);
  for (const d of folders) {
    try {
      readdirSync(d);
    } catch (e) {
      if (denied(e)) return d;
    }
  }
  return dirname(abs);
}

/** Folders of tools and build output a plan is never in, left out of the search below. */
const NOT_PLANS = new Set(['.git', 'node_modules', '.taskwave']);

/**
 * Up to `limit` entries under the folder `root`, a few levels down, that cannot be listed or read for
 * want of permission, relative to `root`. Looked for only after no format claimed the folder.
 */
export function unreadableBelow(root: string, limit = 3, maxDepth = 4): string[] {
  const found: string[] = [];
  // A bound on the folders visited, so a huge tree costs a moment, not minutes.
  let budget = 2000;
  const visit = (dir: string, depth: number): void => {
    if (found.length >= limit || budget-- <= 0) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (denied(e)) found.push(relative(root, dir) || '.');
      return;
    }
    if (depth >= maxDepth) return;
    for (const entry of entries) {
      if (found.length >= limit) return;
      if (entry.isDirectory() && !NOT_PLANS.has(entry.name)) visit(join(dir, entry.name), depth + 1);
    }
  };
  visit(root, 0);
  return found;
}

/** The refusal for a folder no format claimed, when permissions kept taskwave from looking inside. */
export function unreadableFolderProblem(abs: string, shown: string): Diagnostic | undefined {
  const blocked = unreadableBelow(abs);
  if (blocked.length === 0) return undefined;
  const names = blocked.map((b) => (b === '.' ? shown : join(shown, b)));
  return errorAt(
    undefined,
    `cannot read the plan in ${shown}: permission denied on ${names.join(', ')}; make ${names.length > 1 ? 'them' : 'it'} readable for you (or run taskwave as the owner)`,
  );
}
