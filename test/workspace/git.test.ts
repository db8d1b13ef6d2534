import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRef, refCommit } from '../../src/workspace/git.js';
import { type GitRepo, gitRepo } from '../gates/helpers.js';

/*
 * Refs read from git's own files say what git says, or nothing (then git is asked): a loose branch,
 * HEAD on a branch or detached, in the main checkout and in a linked worktree (whose branches live
 * in the common directory); a packed branch is left to git.
 */

const repos: GitRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

describe('readRef', () => {
  it('agrees with git for HEAD and branches, in the main checkout and in a worktree', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    repos.push(repo);
    repo.write('b.txt', 'b\n');
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'second');
    const head = repo.git('rev-parse', 'HEAD').trim();
    expect(readRef(repo.dir, 'HEAD')).toEqual({ commit: head, branch: 'refs/heads/main' });
    expect(readRef(repo.dir, 'refs/heads/main')).toEqual({ commit: head });

    const wt = join(repo.dir, '.wt');
    repo.git('worktree', 'add', '-q', '-b', 'side', wt, 'HEAD~1');
    const side = repo.git('rev-parse', 'side').trim();
    expect(readRef(wt, 'HEAD')).toEqual({ commit: side, branch: 'refs/heads/side' });
    // Branches are shared: the worktree sees main where the main checkout does.
    expect(readRef(wt, 'refs/heads/main')).toEqual({ commit: head });
    repo.git('-C', wt, 'checkout', '-q', '--detach', head);
    expect(readRef(wt, 'HEAD')).toEqual({ commit: head });
  });

  it('leaves a packed branch to git, which still answers', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    repos.push(repo);
    const head = repo.git('rev-parse', 'HEAD').trim();
    repo.git('pack-refs', '--all');
    expect(readRef(repo.dir, 'refs/heads/main')).toBeUndefined();
    expect(readRef(repo.dir, 'HEAD')).toBeUndefined();
    expect(await refCommit(repo.dir, 'HEAD')).toEqual({ ok: true, value: head });
    expect(await refCommit(repo.dir, 'refs/heads/main')).toEqual({ ok: true, value: head });
  });
});
