import { relative } from 'node:path';
import { type Diagnostic, formatDiagnostic } from '../plan/diagnostic.js';
import { terminalText } from '../util/terminal-text.js';

/** Paths in diagnostics are shown relative to where the user is, as compilers do. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

export function printDiagnostics(
  diagnostics: readonly Diagnostic[],
  write = (s: string) => process.stderr.write(s),
): void {
  for (const d of diagnostics) {
    const shown: Diagnostic = {
      ...d,
      location: d.location ? { ...d.location, file: displayPath(d.location.file) } : undefined,
      related: d.related?.map((r) => ({ ...r, file: displayPath(r.file) })),
    };
    // Messages quote the plan (titles, ids): escape sequences in them are shown, not obeyed.
    write(`${terminalText(formatDiagnostic(shown))}\n`);
  }
}

/** Exit codes (DESIGN.md): the contract scripts rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
