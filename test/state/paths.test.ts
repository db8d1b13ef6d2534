import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { booksPlanPath, ensureStateDir, sameBooksPlan, statePaths } from '../../src/state/paths.js';

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

describe('ensureStateDir on a file system that is in the way', () => {
  const refusal = (paths: ReturnType<typeof statePaths>) => {
    const r = ensureStateDir(paths);
    if (r.ok) throw new Error('accepted');
    return r.error.message;
  };

  it('refuses a file named .taskwave, naming it, and leaves the file alone', () => {
    const dir = repo();
    const paths = statePaths(dir);
    writeFileSync(paths.dir, 'mine\n');
    expect(refusal(paths)).toBe(
      `${paths.dir} is a file, but taskwave keeps its run state in a folder of that name: rename or remove the file and run again`,
    );
    expect(readFileSync(paths.dir, 'utf8')).toBe('mine\n');
  });

  it('refuses a folder where the journal goes before writing anything', () => {
    const dir = repo();
    const paths = statePaths(dir);
    mkdirSync(paths.journal, { recursive: true });
    expect(refusal(paths)).toMatch(/journal\.jsonl is a folder, where taskwave keeps a file of its run state/);
    expect(readdirSync(paths.dir)).toEqual(['journal.jsonl']);
  });

  it('refuses a file where the runs folder goes', () => {
    const dir = repo();
    const paths = statePaths(dir);
    mkdirSync(paths.dir);
    writeFileSync(paths.runs, '');
    expect(refusal(paths)).toMatch(/runs is a file, where taskwave keeps a folder of its run state/);
  });

  // Root writes anywhere: the permission check can only be seen by another user.
  it.skipIf(process.getuid?.() === 0)('says permission denied for a root it cannot write, and creates nothing', () => {
    const dir = repo();
    const paths = statePaths(dir);
    chmodSync(dir, 0o555);
    try {
      expect(refusal(paths)).toMatch(/^cannot write .*\.taskwave: permission denied; .*make .* writable/);
      expect(existsSync(paths.dir)).toBe(false);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe('the plan as the books name it', () => {
  it('is its path from the root, `.` for the root itself, and books that wrote the root as "" still match', () => {
    expect(booksPlanPath('/repo', '/repo/specs/001/tasks.md')).toBe('specs/001/tasks.md');
    expect(booksPlanPath('/repo', '/repo')).toBe('.');
    expect(sameBooksPlan('', '.')).toBe(true);
    expect(sameBooksPlan('.', '.')).toBe(true);
    expect(sameBooksPlan('tasks.md', '.')).toBe(false);
    expect(sameBooksPlan(undefined, '.')).toBe(false);
  });
});
