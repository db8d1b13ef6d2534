import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { err, ok, type Result } from '../result.js';

/** The config file's name; outside git, the folder holding it is the root. */
export const CONFIG_FILE = 'taskwave.yaml';

export interface RepoRoot {
  root: string;
  git: boolean;
}

/**
 * The root taskwave keeps its books in: the git repository that holds `dir`; outside git, the
 * nearest folder above `dir` with a `taskwave.yaml`; else `dir` itself. A bare repository, or the
 * inside of a `.git` folder, has no working tree for agents to work in and for tasks to land in:
 * taken for a folder outside git, agents would write into git's own files; it is refused.
 */
export function findRoot(dir: string): Result<RepoRoot, Diagnostic> {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return ok({ root: realpathSync(r.stdout.trim()), git: true });
  const inside = gitDirAround(dir);
  if (inside?.bare) {
    return err(
      errorAt(
        undefined,
        `${inside.gitDir} is a bare repository: taskwave needs a working tree; clone it first (git clone ${inside.gitDir} DIR) and run taskwave in the clone`,
      ),
    );
  }
  if (inside) {
    const here = realpathSync(dir);
    const where =
      here === inside.gitDir ? `${here} is git's own folder` : `${here} is inside git's own folder ${inside.gitDir}`;
    return err(errorAt(undefined, `${where}: taskwave needs a working tree; run it in ${dirname(inside.gitDir)}`));
  }
  const start = realpathSync(dir);
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, CONFIG_FILE))) return ok({ root: d, git: false });
    if (dirname(d) === d) return ok({ root: start, git: false });
  }
}

/** The git folder `dir` is in (a bare repository, or a `.git` folder), if it is in one. */
function gitDirAround(dir: string): { gitDir: string; bare: boolean } | undefined {
  const r = spawnSync('git', ['rev-parse', '--is-bare-repository', '--is-inside-git-dir', '--absolute-git-dir'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined;
  const [bare, insideGitDir, gitDir] = r.stdout.trim().split('\n');
  if (insideGitDir !== 'true' || !gitDir) return undefined;
  return { gitDir, bare: bare === 'true' };
}
