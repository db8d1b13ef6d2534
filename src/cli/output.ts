import { type Diagnostic, formatDiagnostic, type SourceSpan } from '../plan/diagnostic.js';
import { shownPath } from '../plan/shown-path.js';
import { terminalText } from '../util/terminal-text.js';

/** A place in a file, with its path as the user is shown it. */
export function displaySpan(span: SourceSpan): SourceSpan {
  return { ...span, file: shownPath(span.file) };
}

/** A diagnostic as the user reads it: `file:line:col: severity: message`, paths relative to where they are. */
export function formatForUser(d: Diagnostic): string {
  return formatDiagnostic({
    ...d,
    location: d.location ? displaySpan(d.location) : undefined,
    related: d.related?.map((r) => ({ ...r, file: shownPath(r.file) })),
  });
}

export function printDiagnostics(
  diagnostics: readonly Diagnostic[],
  write = (s: string) => process.stderr.write(s),
): void {
  // Messages quote the plan (titles, ids): escape sequences in them are shown, not obeyed.
  for (const d of diagnostics) write(`${terminalText(formatForUser(d))}\n`);
}

/** Exit codes (DESIGN.md): the contract scripts rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
