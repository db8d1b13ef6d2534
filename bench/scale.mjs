#!/usr/bin/env node
// One scale measurement, in a process of its own so its peak memory is its own:
//   node bench/scale.mjs plan N      parse and plan an N-task markdown plan (read, validate, select, waves, critical path)
//   node bench/scale.mjs plan-all-p N  the same, every task [P]: phase-order edges are |phase| x |previous phase|
//   node bench/scale.mjs resume N    load the books of a run with N finished tasks (snapshot + journal)
// Prints one JSON line: {kind, n, ms, maxRssMb, ...}.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const [kind, nText] = process.argv.slice(2);
const n = Number(nText);
const dist = new URL('../dist/', import.meta.url);
const load = (p) => import(new URL(p, dist).href);

/** A spec-kit style plan: phases of 1000 tasks, each phase a mix of sequential tasks and runs of [P]. */
function planText(count, allParallel = false) {
  const lines = ['# Tasks: generated', ''];
  for (let i = 1; i <= count; i++) {
    if ((i - 1) % 1000 === 0) lines.push('', `## Phase ${Math.floor((i - 1) / 1000) + 1}: part`, '');
    const p = allParallel || i % 10 < 6 ? ' [P]' : '';
    lines.push(`- [ ] T${String(i).padStart(6, '0')}${p} Implement piece ${i} in \`src/m${i % 97}/f${i}.ts\``);
  }
  return `${lines.join('\n')}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'taskwave-bench-'));
try {
  if (kind === 'plan' || kind === 'plan-all-p') {
    const file = join(dir, 'tasks.md');
    writeFileSync(file, planText(n, kind === 'plan-all-p'));
    const { loadPlan } = await load('plan/registry.js');
    const graph = await load('graph/index.js');
    const t0 = performance.now();
    const r = await loadPlan(file);
    if (!r.ok) throw new Error(r.error.map((d) => d.message).join('\n'));
    const t1 = performance.now();
    const plan = r.value.plan;
    // As the CLI does: one graph for validation and the run.
    const g = graph.buildGraph(plan.tasks);
    const errors = graph.validateGraph(g);
    if (errors.length > 0) throw new Error(errors[0].message);
    const sel = graph.selectTasks(plan, {}, g);
    if (!sel.ok) throw new Error('selection failed');
    const info = graph.scheduleInfo(g, sel.value.run);
    const t2 = performance.now();
    const edges = plan.tasks.reduce((s, t) => s + t.deps.length, 0);
    console.log(
      JSON.stringify({
        kind,
        n,
        parseMs: Math.round(t1 - t0),
        planMs: Math.round(t2 - t1),
        ms: Math.round(t2 - t0),
        edges,
        waves: info.waves.length,
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  } else if (kind === 'resume') {
    const { statePaths, ensureStateDir } = await load('state/paths.js');
    const { Books } = await load('state/books.js');
    const { computeOverall, loadExecution } = await load('state/execution.js');
    const paths = statePaths(dir);
    ensureStateDir(paths);
    const tasks = {};
    for (let i = 1; i <= n; i++) tasks[`T${i}`] = { title: `task ${i}`, status: 'pending', attempts: 0 };
    const state = {
      version: 1,
      runId: 'bench',
      plan: { path: 'tasks.md', format: 'markdown' },
      status: 'running',
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      options: { concurrency: 4 },
      tasks,
      overall: computeOverall(tasks),
      journalOffset: 0,
    };
    // A real run's books: every task started and finished, journaled (fsync'd) event by event.
    const books = new Books(paths, state);
    const w0 = performance.now();
    for (let i = 1; i <= n; i++) {
      books.log({ type: 'task-started', taskId: `T${i}`, title: `task ${i}`, attempt: 1, agent: 'bench' });
      books.log({ type: 'task-succeeded', taskId: `T${i}`, title: `task ${i}`, durationMs: 5 });
    }
    const w1 = performance.now();
    // As after a crash: the snapshot is the one written at the start, the journal holds every event.
    const c0 = performance.now();
    const crashed = loadExecution(paths.execution, paths.journal);
    const c1 = performance.now();
    if (!crashed || crashed.overall.done !== n) throw new Error('replaying the journal lost tasks');
    books.close();
    const t0 = performance.now();
    const loaded = loadExecution(paths.execution, paths.journal);
    const t1 = performance.now();
    if (!loaded || loaded.overall.done !== n) throw new Error('resume lost tasks');
    console.log(
      JSON.stringify({
        kind,
        n,
        ms: Math.round(t1 - t0),
        replayMs: Math.round(c1 - c0),
        journalWriteUsPerEvent: Math.round(((w1 - w0) * 1000) / (2 * n)),
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  } else {
    throw new Error(`unknown measurement ${kind}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
