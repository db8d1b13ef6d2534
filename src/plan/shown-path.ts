import { isAbsolute, relative } from 'node:path';

/**
 * A path the user can paste back: relative to the working folder when inside it (the folder itself
 * is `.`, as the user wrote it), whole otherwise. Paths in diagnostics are shown so, as compilers do.
 */
export function shownPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
