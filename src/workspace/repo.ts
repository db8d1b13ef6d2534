import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';

/**
 * The root taskwave keeps its books in: the git repository that holds `dir`, or `dir` itself when
 * it is not in one.
 */
export function findRoot(dir: string): { root: string; git: boolean } {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return { root: realpathSync(r.stdout.trim()), git: true };
  return { root: realpathSync(dir), git: false };
}
