/** A place in a user's file. `line` and `column` are 1-based. */
export interface SourceSpan {
  file: string;
  line: number;
  column: number;
}

export interface RelatedLocation extends SourceSpan {
  message: string;
}

/** A problem in the user's input, reported as `file:line:col: error: message`, never as a stack trace. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Where the problem is; absent for problems that belong to no file (a bad flag). */
  location?: SourceSpan;
  message: string;
  /** The other places that matter, e.g. each edge of a dependency cycle. */
  related?: RelatedLocation[];
}

export function formatLocation(loc: SourceSpan): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  const head = d.location ? `${formatLocation(d.location)}: ` : 'taskwave: ';
  const lines = [`${head}${d.severity}: ${d.message}`];
  for (const r of d.related ?? []) lines.push(`  ${formatLocation(r)}: note: ${r.message}`);
  return lines.join('\n');
}

export function errorAt(location: SourceSpan | undefined, message: string, related?: RelatedLocation[]): Diagnostic {
  return { severity: 'error', location, message, ...(related ? { related } : {}) };
}
