import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';

/* `.taskwave/` stays out of the user's `git status`, even after a run was killed while making it. */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-paths-'));
  dirs.push(dir);
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

const status = (dir: string) => execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' });

describe('ensureStateDir', () => {
  it('keeps the state folder out of git', () => {
    const dir = repo();
    const paths = statePaths(dir);
    ensureStateDir(paths);
    writeFileSync(paths.journal, '{}\n');
    expect(status(dir)).toBe('');
  });

  it('mends the .gitignore a killed run left empty or partly written', () => {
    for (const torn of ['', '# written by taskwave: its state stays out of git\n']) {
      const dir = repo();
      const paths = statePaths(dir);
      ensureStateDir(paths);
      writeFileSync(join(paths.dir, '.gitignore'), torn);
      writeFileSync(paths.journal, '{}\n');
      expect(status(dir)).toBe('?? .taskwave/\n');
      ensureStateDir(paths);
      expect(status(dir)).toBe('');
    }
  });

  it('leaves a .gitignore that already ignores everything as it is', () => {
    const dir = repo();
    const paths = statePaths(dir);
    ensureStateDir(paths);
    const mine = '# mine\n*\n!notes.md\n';
    writeFileSync(join(paths.dir, '.gitignore'), mine);
    ensureStateDir(paths);
    expect(readFileSync(join(paths.dir, '.gitignore'), 'utf8')).toBe(mine);
  });
});
