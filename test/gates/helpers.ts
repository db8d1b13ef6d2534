import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import type { Task } from '../../src/plan/types.js';

/** A task built directly, for the checks that only read a few fields. */
export function task(fields: Partial<Task> = {}): Task {
  return {
    id: 'T001',
    idKind: 'explicit',
    title: 'Implement the thing',
    body: '',
    phase: '1',
    deps: [],
    status: 'pending',
    optional: false,
    parallel: false,
    tags: [],
    requirements: [],
    files: [],
    criteria: [],
    source: { file: '/repo/tasks.md', line: 1, column: 1 },
    ...fields,
  };
}

export interface GitRepo {
  dir: string;
  git(...args: string[]): string;
  write(path: string, text: string): void;
  rm(path: string): void;
  cleanup(): void;
}

/** A temporary repository with a local identity (never the global config) and `files` committed. */
export function gitRepo(files: Record<string, string>): GitRepo {
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-gates-'));
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=gates tests', '-c', 'user.email=gates@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [p, t] of Object.entries(files)) write(p, t);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'initial', '--allow-empty');
  return {
    dir,
    git,
    write,
    rm: (path) => rmSync(join(dir, path), { force: true }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `gitRepo` for the tests of one file: each repository it makes is removed after its test. */
export function tempGitRepos(): (files: Record<string, string>) => GitRepo {
  const repos: GitRepo[] = [];
  afterEach(() => {
    for (const r of repos.splice(0)) r.cleanup();
  });
  return (files) => {
    const repo = gitRepo(files);
    repos.push(repo);
    return repo;
  };
}
