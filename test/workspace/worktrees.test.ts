import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { branchFor, createTaskWorkspace, worktreesDir } from '../../src/workspace/worktrees.js';
import { makeRepo } from '../support/repo.js';

describe('createTaskWorkspace', () => {
  it('takes its worktree and branch away again when a workspace.copy file cannot be copied', async () => {
    const repo = makeRepo({ 'tasks.md': '- [ ] T001 x\n' });
    // A named pipe cannot be copied: the copy fails after the worktree was made.
    execFileSync('mkfifo', [join(repo.dir, 'pipe')]);
    const stateDir = join(repo.dir, '.taskwave');
    const base = repo.git('rev-parse', 'HEAD').trim();
    const r = await createTaskWorkspace(repo.dir, stateDir, 'r1', 'T001', base, ['pipe']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^cannot copy pipe into the worktree of T001: /);
    expect(existsSync(join(worktreesDir(stateDir, 'r1'), 'T001'))).toBe(false);
    expect(repo.git('branch', '--list', branchFor('r1', 'T001')).trim()).toBe('');
    expect(repo.git('worktree', 'list', '--porcelain')).not.toContain('T001');
  });
});
