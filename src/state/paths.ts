import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Where taskwave keeps its books for a repository. */
export interface StatePaths {
  root: string;
  dir: string;
  journal: string;
  execution: string;
  lock: string;
  logs: string;
  runs: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, '.taskwave');
  return {
    root,
    dir,
    journal: join(dir, 'journal.jsonl'),
    execution: join(dir, 'execution.json'),
    lock: join(dir, 'lock'),
    logs: join(dir, 'logs'),
    runs: join(dir, 'runs'),
  };
}

const IGNORE_ALL = '# written by taskwave: its state stays out of git\n*\n';

/**
 * Create `.taskwave/` with a `.gitignore` of `*` inside it, which keeps it out of git without
 * touching the user's own `.gitignore`. Written whole or not at all, and written again when it does
 * not ignore everything: a run killed while creating it once left it empty, and every later run
 * then showed `.taskwave/` in the user's `git status`.
 */
export function ensureStateDir(paths: StatePaths): void {
  mkdirSync(paths.dir, { recursive: true });
  const ignore = join(paths.dir, '.gitignore');
  let text = '';
  try {
    text = readFileSync(ignore, 'utf8');
  } catch {
    // Not there yet.
  }
  if (!/^\*\r?$/m.test(text)) writeFileAtomic(ignore, IGNORE_ALL);
}
