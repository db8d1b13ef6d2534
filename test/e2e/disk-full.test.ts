import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killLeftoversAfterEach, waitFor } from '../support/processes.js';
import { makeRepo, runCli, startCli } from '../support/repo.js';

/*
 * A disk that fills up during a run: taskwave stops starting tasks, says why without a stack trace,
 * keeps its books whole, and the next run (with space again) finishes the plan. The disk is a small
 * tmpfs, which only root may mount: elsewhere the case is skipped, with a message.
 */

const mountPoint = mkdtempSync(join(tmpdir(), 'taskwave-disk-'));
const mounted =
  process.platform === 'linux' &&
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint], { stdio: 'ignore' }).status === 0;
if (!mounted) console.log('disk-full: cannot mount a small tmpfs here (root on Linux only); skipping');

afterAll(() => {
  if (mounted) spawnSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
  rmSync(mountPoint, { recursive: true, force: true });
});

const leftovers = killLeftoversAfterEach();

const PLAN = `# Tasks

${[1, 2, 3, 4, 5, 6].map((n) => `- [ ] T00${n} [P] Write \`src/${n}.txt\``).join('\n')}
`;

describe.skipIf(!mounted)('a full disk', () => {
  it('stops the run with a clear message and whole books, and the next run finishes the plan', async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { parent: mountPoint });
    const filler = join(mountPoint, 'filler');
    // T001 fills the disk (as a build's output might); the others take a moment.
    repo.script({ '*': { sleepMs: 400 }, T001: { sleepMs: 0, fillDisk: filler } });
    const r = await runCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stdout + r.stderr).toMatch(/the disk is full|could not write the run's books/);
    // No task starts once it is full: the two that were running, and at most one that raced the news.
    const started = r.stdout.match(/^start {3}T/gm) ?? [];
    expect(started.length).toBeLessThanOrEqual(3);
    // The journal is whole lines: the next run can read every one.
    for (const line of readFileSync(join(repo.dir, '.taskwave', 'journal.jsonl'), 'utf8').split('\n')) {
      if (line) JSON.parse(line);
    }

    rmSync(filler);
    repo.script({ '*': { sleepMs: 0 } });
    const again = await runCli(['run', 'tasks.md'], repo.dir);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));
    expect(repo.git('status', '--porcelain').trim()).toBe('');
  });

  it("stops the agents when the run's own books cannot be written, and the next run resumes", async () => {
    const repo = makeRepo({ 'tasks.md': PLAN }, { parent: mountPoint });
    const filler = join(mountPoint, 'filler');
    repo.script({ '*': { sleepMs: 1500 } });
    const run = startCli(['run', 'tasks.md', '--concurrency', '2'], repo.dir);
    await waitFor('two agents at work', () => repo.agentLog().filter((e) => e.event === 'start').length === 2);
    // Something else on the machine fills the disk, and takes whatever is freed.
    const hog = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const b = Buffer.alloc(4096, 1);
         setInterval(() => { try { for (;;) fs.appendFileSync(${JSON.stringify(filler)}, b); } catch {} }, 5);`,
      ],
      { stdio: 'ignore' },
    );
    leftovers.push(hog.pid as number);
    const r = await run.done;
    hog.kill('SIGKILL');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr).toMatch(/the run stopped because its books could not be written \(ENOSPC/);
    expect(r.stdout.match(/^start {3}T/gm) ?? []).toHaveLength(2);
    for (const line of readFileSync(join(repo.dir, '.taskwave', 'journal.jsonl'), 'utf8').split('\n')) {
      if (line) JSON.parse(line);
    }

    await waitFor('the disk hog to die', () => spawnSync('kill', ['-0', String(hog.pid)]).status !== 0);
    rmSync(filler);
    repo.script({ '*': { sleepMs: 0 } });
    const again = await runCli(['run', 'tasks.md'], repo.dir);
    expect(again.code).toBe(0);
    expect(repo.read('tasks.md')).toBe(PLAN.replaceAll('- [ ] T', '- [x] T'));
    expect(repo.git('status', '--porcelain').trim()).toBe('');
  });
});
