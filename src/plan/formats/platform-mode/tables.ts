/*
 * The pipe tables of a platform-mode plan that matter: a sprint's capacity table, whose header names
 * a `Story` column and a `Dependencies` column (`| 1.6 Key Vault & Secrets | 6 | DevOps Engineer |
 * Story 1.3, 1.5 |`).
 */

export interface Cell {
  text: string;
  /** 0-based column of the cell's text in the line. */
  column: number;
}

/** The cells of a table row, trimmed; undefined for a line that is not a table row. */
export function splitTableRow(line: string): Cell[] | undefined {
  const open = line.indexOf('|');
  if (open < 0 || line.slice(0, open).trim() !== '') return undefined;
  const cells: Cell[] = [];
  let start = open + 1;
  for (let i = start; i <= line.length; i++) {
    if (i < line.length && (line[i] !== '|' || line[i - 1] === '\\')) continue;
    const raw = line.slice(start, i);
    cells.push({ text: raw.trim(), column: start + (raw.length - raw.trimStart().length) });
    start = i + 1;
  }
  // The pipe that closes the row leaves an empty cell after it.
  if (cells.length > 1 && cells[cells.length - 1]?.text === '') cells.pop();
  return cells;
}

export function isSeparatorRow(cells: readonly Cell[]): boolean {
  return cells.length > 0 && cells.every((c) => /^:?-+:?$/.test(c.text));
}

/** Which cells of a capacity table's rows hold what. */
export interface CapacityColumns {
  story: number;
  deps: number;
  owner: number | undefined;
}

const plain = (s: string): string => s.replace(/\*\*|__/g, '').trim();

/** The columns of a capacity table, when `cells` is its header row. */
export function capacityColumns(cells: readonly Cell[]): CapacityColumns | undefined {
  const story = cells.findIndex((c) => /^(?:user\s+)?stor(?:y|ies)(?:\s+id)?$/i.test(plain(c.text)));
  const deps = cells.findIndex((c) => /^(?:dependenc(?:y|ies)|depends\s+on|blocked\s+by)$/i.test(plain(c.text)));
  if (story < 0 || deps < 0) return undefined;
  const owner = cells.findIndex((c) => /^(?:owner|assignee|assigned(?:\s+to)?|role)$/i.test(plain(c.text)));
  return { story, deps, owner: owner < 0 ? undefined : owner };
}

/** `1.6 Key Vault & Secrets` → `1.6`; `**Story 1.6**` → `1.6`; `Story001` / `3` → `001` / `3`. */
export function storyNumberInCell(text: string): string | undefined {
  // `(?:#\s*)?` after `\s*`, not `#?\s*`: two `\s*` in a row are quadratic on a long run of spaces.
  return /^(?:stor(?:y|ies)\s*)?(?:#\s*)?(\d+(?:\.\d+)?)(?!\.?\d)/i.exec(plain(text))?.[1];
}
