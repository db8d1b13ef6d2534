#!/usr/bin/env node
// Makespan of taskwave's scheduler (the real Scheduler class, longest-remaining-path priority weighted
// by estimates) on generated plans whose tasks sleep a known time, against two lower bounds and against
// running the same plans wave by wave (every task of a wave waits for the whole previous wave: what the
// plans' own tools do). `bound` is max(critical path, total work / slots); `tight` adds the bounds that
// see a plan's narrow places (see tightBound). Prints one JSON line per plan and slot count. Agent
// processes are left out on purpose: this measures the schedule; per-task overhead is measured on its own.
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

/**
 * Lower bounds that know where a plan narrows, in units; any schedule on `slots` slots takes at least
 * their maximum. head(u): the heaviest path that ends with u (u cannot end sooner); tail(v): the
 * heaviest path that starts with v (nothing ends until tail(v) after v starts). Then
 *  - u's strict descendants all run after u ends: head(u) + W(desc u) / slots;
 *  - v's strict ancestors all end before v starts: W(anc v) / slots + tail(v);
 *  - for u a strict ancestor of v, the tasks strictly between them run after u ends and end before v
 *    starts: head(u) + W(desc u ∩ anc v) / slots + tail(v). (With u = v this would count u twice: the
 *    critical path, head(u) + tail(u) − w(u), is that case.)
 * Sets are bitsets over topological positions, so `desc u ∩ anc v` only spans the words between u and
 * v; a pair is skipped when even min(W(desc u), W(anc v)) could not raise the best bound so far.
 */
function tightBound(tasks) {
  const n = tasks.length;
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const deps = tasks.map((t) => [...new Set(t.deps.map((d) => index.get(d.id)).filter((j) => j !== undefined))]);
  const dependents = tasks.map(() => []);
  deps.forEach((ds, i) => {
    for (const d of ds) dependents[d].push(i);
  });
  // Kahn's order; pos[i] is task i's place in it, the bit that stands for i.
  const indeg = deps.map((ds) => ds.length);
  const order = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) for (const c of dependents[order[k]]) if (--indeg[c] === 0) order.push(c);
  if (order.length !== n) throw new Error('the plan has a cycle');
  const pos = new Int32Array(n);
  order.forEach((i, k) => {
    pos[i] = k;
  });
  const w = tasks.map((t) => t.estimateMinutes);
  const wAt = Float64Array.from(order, (i) => w[i]);
  const words = (n + 31) >>> 5;
  // Walking `seq` over `edges`: each task's reach (a bit per task, by topological position) and the
  // longest weighted path ending at it, itself included. Forwards over deps: ancestors and heads;
  // backwards over dependents: descendants and tails.
  const closure = (seq, edges) => {
    const bits = new Uint32Array(n * words);
    const len = new Float64Array(n);
    for (const v of seq) {
      let longest = 0;
      for (const d of edges[v]) {
        if (len[d] > longest) longest = len[d];
        for (let k = 0; k < words; k++) bits[v * words + k] |= bits[d * words + k];
        bits[v * words + (pos[d] >>> 5)] |= 1 << (pos[d] & 31);
      }
      len[v] = w[v] + longest;
    }
    return { bits, len };
  };
  const { bits: anc, len: head } = closure(order, deps);
  const { bits: desc, len: tail } = closure([...order].reverse(), dependents);
  // Weight of the set bits of words [from, to] of a (or of a ∧ b).
  const weightOf = (a, aOff, b, bOff, from, to) => {
    let s = 0;
    for (let k = from; k <= to; k++) {
      let x = (b ? a[aOff + k] & b[bOff + k] : a[aOff + k]) >>> 0;
      while (x !== 0) {
        s += wAt[(k << 5) + 31 - Math.clz32(x & -x)];
        x = (x & (x - 1)) >>> 0;
      }
    }
    return s;
  };
  const descW = Float64Array.from({ length: n }, (_, u) => weightOf(desc, u * words, null, 0, 0, words - 1));
  const ancW = Float64Array.from({ length: n }, (_, v) => weightOf(anc, v * words, null, 0, 0, words - 1));
  const critical = Math.max(0, ...head);
  const work = w.reduce((s, x) => s + x, 0);
  return (slots) => {
    let best = Math.max(critical, work / slots);
    let by = critical >= work / slots ? 'critical path' : 'work / slots';
    const raise = (x, why) => {
      if (x > best + 1e-9) {
        best = x;
        by = why;
      }
    };
    for (let u = 0; u < n; u++) {
      raise(head[u] + descW[u] / slots, `${tasks[u].id}, then its descendants`);
      raise(ancW[u] / slots + tail[u], `the ancestors of ${tasks[u].id}, then it`);
    }
    for (let u = 0; u < n; u++) {
      const off = u * words;
      for (let k = pos[u] >>> 5; k < words; k++) {
        let x = desc[off + k];
        while (x !== 0) {
          const p = (k << 5) + 31 - Math.clz32(x & -x);
          x = (x & (x - 1)) >>> 0;
          const v = order[p];
          if (head[u] + tail[v] + Math.min(descW[u], ancW[v]) / slots <= best + 1e-9) continue;
          const between = weightOf(desc, off, anc, v * words, (pos[u] + 1) >>> 5, (p - 1) >>> 5);
          raise(head[u] + between / slots + tail[v], `${tasks[u].id} … ${tasks[v].id}`);
        }
      }
    }
    return { tight: best, by };
  };
}

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
  const t0 = performance.now();
  const tightFor = tightBound(tasks);
  const tights = new Map([2, 4, 8].map((slots) => [slots, tightFor(slots)]));
  const tightCostMs = performance.now() - t0;
  for (const slots of [2, 4, 8]) {
    const bound = Math.max(critical, work / slots);
    const { tight: tightUnits, by } = tights.get(slots);
    const tight = tightUnits * UNIT_MS;
    const ms = await schedule(tasks, slots);
    const waveMs = await byWaves(tasks, slots);
    console.log(
      JSON.stringify({
        plan: name,
        tasks: tasks.length,
        slots,
        boundMs: Math.round(bound),
        tightMs: Math.round(tight),
        tightBy: by,
        ms: Math.round(ms),
        waveMs: Math.round(waveMs),
        ratio: +(ms / bound).toFixed(3),
        tightRatio: +(ms / tight).toFixed(3),
        waveRatio: +(waveMs / bound).toFixed(3),
        waveTightRatio: +(waveMs / tight).toFixed(3),
        boundCostMs: Math.round(tightCostMs),
      }),
    );
  }
}
