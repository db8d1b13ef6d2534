import { afterEach, describe, expect, it } from 'vitest';
import { deleteLandedBranches, type LandedTasks, sortTaskBranches } from '../../src/workspace/landed-branches.js';
import { type GitRepo, gitRepo } from '../gates/helpers.js';

const repos: GitRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/*
 * Task branches land as squashed commits, never as ancestors of the integration branch: whether one
 * is merged is told by the books or by its files.
 */

function setup() {
  const repo = gitRepo({ 'plan.md': '- [ ] T1\n- [ ] T2\n', 'shared.txt': 'one\n' });
  repos.push(repo);
  const head = () => repo.git('rev-parse', 'HEAD').trim();
  /** A task branch from `from` with one commit writing `files`; main is checked out again. */
  const branch = (name: string, from: string, files: Record<string, string>) => {
    repo.git('checkout', '-q', '-b', name, from);
    for (const [p, t] of Object.entries(files)) repo.write(p, t);
    repo.git('add', '-A');
    repo.git('commit', '-qm', `work of ${name}`);
    repo.git('checkout', '-q', 'main');
  };
  /** What the merge queue does: the branch squashed onto main as one commit with the tick; returns it. */
  const squash = (name: string, tick: string) => {
    repo.git('merge', '--squash', '-q', name);
    repo.write('plan.md', tick);
    repo.git('add', '-A');
    repo.git('commit', '-qm', `landed ${name}`);
    return head();
  };
  const commitOnMain = (files: Record<string, string>) => {
    for (const [p, t] of Object.entries(files)) repo.write(p, t);
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'later work');
  };
  return { repo, head, branch, squash, commitOnMain };
}

const noBooks: LandedTasks = { runs: new Set(), commits: new Map() };

describe('task branches that landed', () => {
  it('counts a squash-merged branch as landed by its files, which `merge-base --is-ancestor` never does', async () => {
    const { repo, head, branch, squash } = setup();
    const start = head();
    branch('taskwave/r1/T1', start, { 'a.txt': 'A\n' });
    branch('taskwave/r1/T2', start, { 'b.txt': 'B\n' });
    squash('taskwave/r1/T1', '- [x] T1\n- [ ] T2\n');
    expect(await sortTaskBranches(repo.dir, 'main', noBooks)).toEqual({
      landed: ['taskwave/r1/T1'],
      unmerged: ['taskwave/r1/T2'],
    });
    // A branch with no change of its own holds nothing to lose.
    repo.git('branch', 'taskwave/r1/T3', start);
    expect((await sortTaskBranches(repo.dir, 'main', noBooks)).landed).toContain('taskwave/r1/T3');
  });

  it('takes the books’ word for a task whose files changed again after it landed', async () => {
    const { repo, head, branch, squash, commitOnMain } = setup();
    branch('taskwave/r1/T1', head(), { 'shared.txt': 'one\nT1\n' });
    const landed = squash('taskwave/r1/T1', '- [x] T1\n- [ ] T2\n');
    commitOnMain({ 'shared.txt': 'one\nT1\nT2\n' });
    // By its files it is not on main any more: only the books can tell.
    expect((await sortTaskBranches(repo.dir, 'main', noBooks)).unmerged).toEqual(['taskwave/r1/T1']);
    const books: LandedTasks = { runs: new Set(['r1']), commits: new Map([['T1', landed]]) };
    expect(await sortTaskBranches(repo.dir, 'main', books)).toEqual({ landed: ['taskwave/r1/T1'], unmerged: [] });
    // Not when the landed commit is off the branch (moved back): that work is not there.
    repo.git('reset', '-q', '--hard', `${landed}~1`);
    expect((await sortTaskBranches(repo.dir, 'main', books)).unmerged).toEqual(['taskwave/r1/T1']);
  });

  it('deletes a failed attempt once a later attempt of its task landed, and only then', async () => {
    const { repo, head, branch, squash } = setup();
    const start = head();
    // r1's attempt failed half way; r2 ran the task again and it landed.
    branch('taskwave/r1/T1', start, { 'a.txt': 'half\n' });
    branch('taskwave/r2/T1', start, { 'a.txt': 'whole\n' });
    const landed = squash('taskwave/r2/T1', '- [x] T1\n- [ ] T2\n');
    repo.git('branch', '-D', '-q', 'taskwave/r2/T1');
    // r3 ran it again after that (the user unticked it) and failed: that attempt is newer than the landing.
    branch('taskwave/r3/T1', landed, { 'a.txt': 'another try\n' });
    // And a branch of another plan's run with the same task id.
    branch('taskwave/other/T1', start, { 'z.txt': 'other plan\n' });
    const books: LandedTasks = { runs: new Set(['r1', 'r2', 'r3']), commits: new Map([['T1', landed]]) };
    expect(await deleteLandedBranches(repo.dir, 'main', books)).toEqual(['taskwave/r1/T1']);
    expect(
      repo
        .git('branch', '--list', 'taskwave/*')
        .split('\n')
        .map((l) => l.trim()),
    ).toEqual(['taskwave/other/T1', 'taskwave/r3/T1', '']);
  });
});
