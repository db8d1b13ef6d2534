#!/usr/bin/env node
// Makespan of taskwave's scheduler (the real Scheduler class, longest-remaining-path priority weighted
// by estimates) on generated plans whose tasks sleep a known time, against the lower bound
// max(critical path, total work / slots) and against running the same plans wave by wave (every task
// of a wave waits for the whole previous wave: what the plans' own tools do). Prints one JSON line
// per plan and slot count. Agent processes are left out on purpose: this measures the schedule;
// per-task overhead is measured on its own.
const dist = new URL('../dist/', import.meta.url);
const { Scheduler } = await import(new URL('engine/scheduler.js', dist).href);
const graph = await import(new URL('graph/index.js', dist).href);

const UNIT_MS = Number(process.env.BENCH_UNIT_MS ?? 4);
let seed = 12345;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const dur = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

function task(id, deps, units) {
  return {
    id,
    idKind: 'explicit',
    title: id,
    body: '',
    phase: '1',
    deps: deps.map((d) => ({ id: d, kind: 'explicit', source: { file: 'p', line: 1, column: 1 } })),
    status: 'pending',
    optional: false,
    parallel: true,
    tags: [],
    requirements: [],
    files: [],
    criteria: [],
    estimateMinutes: units,
    source: { file: 'p', line: 1, column: 1 },
  };
}

const plans = {
  layered: () => {
    const out = [];
    let prev = [];
    for (let l = 0; l < 6; l++) {
      const layer = [];
      for (let i = 0; i < 8; i++) {
        const id = `L${l}-${i}`;
        const deps = prev.filter(() => rand() < 0.3);
        out.push(task(id, deps.length ? deps : prev.slice(0, 1), dur(2, 12)));
        layer.push(id);
      }
      prev = layer;
    }
    return out;
  },
  'hidden chain': () => {
    const out = [];
    for (let i = 0; i < 40; i++) out.push(task(`S${i}`, [], dur(1, 4)));
    for (let i = 0; i < 8; i++) out.push(task(`C${i}`, i ? [`C${i - 1}`] : [], 10));
    return out;
  },
  'fan-out/fan-in': () => {
    const out = [task('root', [], 5)];
    for (let i = 0; i < 30; i++) out.push(task(`F${i}`, ['root'], dur(2, 15)));
    out.push(
      task(
        'join',
        out.slice(1).map((t) => t.id),
        5,
      ),
    );
    return out;
  },
  ...Object.fromEntries(
    [50, 200, 500].map((n) => [
      `random ${n}`,
      () => {
        const out = [];
        for (let i = 0; i < n; i++) {
          const deps = [];
          for (let k = 0; k < 3; k++) if (i > 0 && rand() < 0.5) deps.push(`R${Math.floor(rand() * i)}`);
          out.push(task(`R${i}`, [...new Set(deps)], dur(1, 10)));
        }
        return out;
      },
    ]),
  ),
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function schedule(tasks, slots) {
  const g = graph.buildGraph(tasks);
  const ids = tasks.map((t) => t.id);
  const compare = graph.makePriority(graph.remainingPath(g, ids), graph.planOrder(g));
  const t0 = performance.now();
  await new Scheduler({
    tasks,
    concurrency: slots,
    compare,
    execute: async (t) => {
      await sleep(t.estimateMinutes * UNIT_MS);
      return { ok: true, value: {} };
    },
    log: () => {},
  }).run();
  return performance.now() - t0;
}

/** Wave by wave: each wave list-scheduled on the slots, the next one waits for all of it. */
async function byWaves(tasks, slots) {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const t0 = performance.now();
  for (const wave of graph.waves(
    tasks,
    tasks.map((t) => t.id),
  )) {
    const queue = [...wave];
    await Promise.all(
      Array.from({ length: slots }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) await sleep(byId.get(id).estimateMinutes * UNIT_MS);
      }),
    );
  }
  return performance.now() - t0;
}

for (const [name, make] of Object.entries(plans)) {
  const tasks = make();
  const g = graph.buildGraph(tasks);
  const ids = tasks.map((t) => t.id);
  const rem = graph.remainingPath(g, ids);
  const critical = Math.max(...rem.values()) * UNIT_MS;
  const work = tasks.reduce((s, t) => s + t.estimateMinutes, 0) * UNIT_MS;
  for (const slots of [2, 4, 8]) {
    const bound = Math.max(critical, work / slots);
    const ms = await schedule(tasks, slots);
    const waveMs = await byWaves(tasks, slots);
    console.log(
      JSON.stringify({
        plan: name,
        tasks: tasks.length,
        slots,
        boundMs: Math.round(bound),
        ms: Math.round(ms),
        waveMs: Math.round(waveMs),
        ratio: +(ms / bound).toFixed(3),
        waveRatio: +(waveMs / bound).toFixed(3),
      }),
    );
  }
}
