import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/**
 * Create `.taskwave/` with a `.gitignore` of `*` inside it, which keeps it out of git without
 * touching the user's own `.gitignore`.
 */
export function ensureStateDir(paths: StatePaths): void {
  mkdirSync(paths.dir, { recursive: true });
  const ignore = join(paths.dir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# written by taskwave: its state stays out of git\n*\n');
}
