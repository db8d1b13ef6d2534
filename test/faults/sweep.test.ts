import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkInvariants,
  crashAndResume,
  makeFaultRepo,
  pool,
  readFaultLog,
  runDetached,
  type Trial,
} from './harness.js';

/*
 * The long crash sweep (`npm run test:faults`; CI runs it after `npm test`'s own suite): kill a run
 * at its fault points, resume, check everything. Which points:
 * - every Kth point a clean run passes, by number (TASKWAVE_FAULT_STRIDE, default 4; 1 for all);
 * - every instance of the rarer points by name (`merge:committed@4`: the 4th merge's commit), so
 *   each merge, tick and worktree step is hit whatever the stride;
 * - TASKWAVE_FAULT_TIMED kills of the whole process group at random times (default 16), which land
 *   inside git commands: what a power cut does (with random delays at each fault point,
 *   TASKWAVE_FAULT_DELAY_MS, so that the same time lands somewhere else each time).
 * TASKWAVE_FAULT_JOBS crashes run side by side (default: the number of cores);
 * TASKWAVE_FAULT_POINTS=12,merge:delivered@2,after 800 runs only those (to chase one failure).
 */

const stride = Math.max(1, Number(process.env.TASKWAVE_FAULT_STRIDE ?? '') || 4);
const timed = Math.max(0, Number(process.env.TASKWAVE_FAULT_TIMED ?? '16'));
const jobs = Math.max(1, Number(process.env.TASKWAVE_FAULT_JOBS ?? '') || availableParallelism());
const only = process.env.TASKWAVE_FAULT_POINTS?.split(',').map((s) => s.trim());

/** Points that every task passes once or twice: each instance is tried, by name. */
const RARE = /^(merge|worktree|tick|gate):/;

describe('crash anywhere', () => {
  it('loses nothing and merges nothing twice, wherever the run is killed', { timeout: 1_800_000 }, async () => {
    // A clean run first: how many points does a run pass, which, and how long does it take?
    const repo = makeFaultRepo();
    const logDir = mkdtempSync(join(tmpdir(), 'taskwave-fault-'));
    const faultLog = join(logDir, 'points.log');
    const t0 = Date.now();
    const clean = await runDetached(['run', 'tasks.md'], repo.dir, { TASKWAVE_FAULT_LOG: faultLog });
    const cleanMs = Date.now() - t0;
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(checkInvariants(repo)).toEqual([]);
    const points = readFaultLog(faultLog);
    rmSync(logDir, { recursive: true, force: true });
    rmSync(repo.dir, { recursive: true, force: true });
    expect(points.length).toBeGreaterThan(50);

    let ats: string[];
    if (only) ats = only;
    else {
      // Past the clean run's last point too: a crashed run's timing differs, and one that passes
      // fewer points simply finishes.
      ats = [];
      for (let n = 1; n <= points.length + 3; n += stride) ats.push(String(n));
      const seen = new Map<string, number>();
      for (const p of points) {
        const k = (seen.get(p) ?? 0) + 1;
        seen.set(p, k);
        // The rare ones each time; the others once by name too, so that every kind is hit even when
        // the numbered points happen to miss one (which they land on depends on timing).
        if (RARE.test(p) || k === 1) ats.push(`${p}@${k}`);
      }
      for (let i = 0; i < timed; i++) ats.push(`after ${Math.round(150 + Math.random() * cleanMs)}`);
    }
    const started = Date.now();
    const trials = await pool(ats, jobs, (at) => crashAndResume(at));
    const seconds = Math.round((Date.now() - started) / 1000);

    const failed = trials.filter((t) => t.problems.length > 0);
    const killed = trials.filter((t) => t.killed);
    const resumes = trials.reduce((n, t) => n + t.resumes, 0);
    const repairs = trials.reduce((n, t) => n + t.repairs.length, 0);
    const byName = new Map<string, number>();
    for (const t of killed) {
      const where = t.at.startsWith('after ') ? 'a random time' : (t.diedAt ?? '?');
      byName.set(where, (byName.get(where) ?? 0) + 1);
    }
    const randomTimes = ats.filter((a) => a.startsWith('after ')).length;
    console.log(
      `crash sweep: ${trials.length} kill points tried (a clean run passes ${points.length}; ` +
        `${only ? 'as given' : `stride ${stride}, every merge/worktree/tick/gate point by name and the first of each other`}, ${randomTimes} at random times), ${killed.length} killed mid-run, ` +
        `${resumes} resumes needed, ${repairs} repairs of git state, ${failed.length} failed, ${seconds}s with ${jobs} at a time\n` +
        `  killed at: ${[...byName].map(([n, c]) => `${n} ${c}`).join(', ')}`,
    );
    expect(failed.map(describeTrial)).toEqual([]);
    // Every kind of point was hit at least once.
    if (!only) for (const name of new Set(points)) expect([...byName.keys()], name).toContain(name);
  });
});

function describeTrial(t: Trial): string {
  const where = t.diedAt ?? (t.killed ? 'killed' : 'not killed');
  return `killed at ${t.at} (${where}), ${t.resumes} resume(s), in ${t.dir}:\n  ${t.problems.join('\n  ')}`;
}
