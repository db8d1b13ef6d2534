import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The config file's name; outside git, the folder holding it is the root. */
export const CONFIG_FILE = 'taskwave.yaml';

/**
 * The root taskwave keeps its books in: the git repository that holds `dir`; outside git, the
 * nearest folder above `dir` with a `taskwave.yaml`; else `dir` itself.
 */
export function findRoot(dir: string): { root: string; git: boolean } {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return { root: realpathSync(r.stdout.trim()), git: true };
  const start = realpathSync(dir);
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, CONFIG_FILE))) return { root: d, git: false };
    if (dirname(d) === d) return { root: start, git: false };
  }
}
