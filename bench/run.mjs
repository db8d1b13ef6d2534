#!/usr/bin/env node
// `npm run bench`: taskwave's benchmark suite. Prints a table; asserts nothing about time.
// Makespan against the lower bound (and against running wave by wave), scale (parse and plan
// 1k/10k/100k-task plans; the books of a run with 10k finished tasks), task worktrees in a
// 50,000-file repository (bench/large-repo.mjs), and per-task overhead against GNU make
// (bench/overhead.mjs).
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

const run = (...args) =>
  JSON.parse(
    execFileSync(process.execPath, [new URL('./scale.mjs', import.meta.url).pathname, ...args], { encoding: 'utf8' }),
  );

const rows = [];
for (const n of [1000, 10_000, 100_000]) {
  const r = run('plan', String(n));
  rows.push([
    `parse + plan ${n.toLocaleString('en')} tasks`,
    `${r.ms} ms (parse ${r.parseMs}, plan ${r.planMs})`,
    `${r.maxRssMb} MB`,
    `${r.edges.toLocaleString('en')} edges`,
  ]);
}
// Phases made only of [P] tasks, where every task of a phase waits for every task of the one before:
// |phase|² edges, which the plan, the graph and the scheduler keep once per phase.
const allP = run('plan-all-p', '100000');
rows.push([
  'parse + plan 100,000 tasks, all [P] (100 phases)',
  `${allP.ms} ms (parse ${allP.parseMs}, plan ${allP.planMs})`,
  `${allP.maxRssMb} MB`,
  `${allP.edges.toLocaleString('en')} edges, kept once per phase`,
]);
const res = run('resume', '10000');
rows.push([
  'resume after 10,000 finished tasks',
  `${res.ms} ms (from the snapshot)`,
  `${res.maxRssMb} MB`,
  `journal replay after a crash: ${res.replayMs} ms`,
]);
rows.push(['journal write, per event (10k-task run)', `${res.journalWriteUsPerEvent} µs`, '', 'fsync included']);

const table = (header, rows) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

const makespan = execFileSync(process.execPath, [new URL('./makespan.mjs', import.meta.url).pathname], {
  encoding: 'utf8',
})
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const mrows = makespan.map((m) => [
  m.plan,
  m.tasks,
  m.slots,
  m.boundMs,
  m.tightMs,
  m.ms,
  m.tightRatio.toFixed(3),
  m.waveMs,
  m.waveTightRatio.toFixed(3),
]);

const header = ['measurement', 'time', 'peak RSS', 'notes'];
console.log(
  `taskwave bench on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(
  '\nMakespan (ms) against the lower bounds max(critical path, work / slots) and tight (which also sees where a plan narrows), and wave by wave; ratios to tight:',
);
console.log(table(['plan', 'tasks', 'slots', 'bound', 'tight', 'taskwave', 'ratio to tight', 'waves', 'ratio'], mrows));
console.log('\nScale:');
console.log(table(header, rows));

// Large repository: one process builds a 50,000-file repository and prints a JSON line per way of
// giving a task its worktree (BENCH_LARGE_FILES, BENCH_LARGE_REPS, BENCH_LARGE_DIR pass through).
const large = execFileSync(process.execPath, [new URL('./large-repo.mjs', import.meta.url).pathname], {
  encoding: 'utf8',
  maxBuffer: 1 << 24,
})
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const setup = large.find((r) => r.method === 'setup');
const ms = (v) => (v === null || v === undefined ? '' : `${v.toLocaleString('en')} ms`);
const lrows = large
  .filter((r) => r.method !== 'setup')
  .map((r) => [
    r.method,
    ms(r.createMs),
    ms(r.removeMs),
    ms(r.statusMs),
    r.correct === null ? '' : r.correct ? 'yes' : 'NO',
    r.notes,
  ]);
console.log(
  `\nLarge repository (${setup.files.toLocaleString('en')} files): ${setup.dirs.toLocaleString('en')} folders, ${setup.mb} MB ` +
    `(pack ${setup.packMb} MB), git ${setup.git}, on ${setup.fs} (${setup.dir}; reflinks ${setup.reflink ? 'yes' : 'no'}), ` +
    `median of ${setup.reps}; made with fast-import in ${setup.fastImportMs} ms + checkout ${setup.checkoutMs} ms:`,
);
console.log(table(['method', 'create', 'remove', 'status', 'correct', 'notes'], lrows));

// Per-task overhead: taskwave (worktrees, and in place) against GNU make running the same agent
// command the same number of times with the same slots; where taskwave's own time went, per task.
const over = execFileSync(
  process.execPath,
  [
    new URL('./overhead.mjs', import.meta.url).pathname,
    process.env.BENCH_OVERHEAD_TASKS ?? '200',
    '4',
    process.env.BENCH_OVERHEAD_ROUNDS ?? '3',
  ],
  { encoding: 'utf8' },
)
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
if (over[0]?.skipped) console.log(`\nPer-task overhead: skipped (${over[0].skipped})`);
else {
  console.log(
    '\nPer-task overhead against GNU make (same agent command, same slots; the round with the median ratio):',
  );
  console.log(
    table(
      [
        'mode',
        'tasks',
        'slots',
        'taskwave',
        'make',
        'ratio (median)',
        'all rounds',
        'per task',
        'make per task',
        'CPU per task',
        'make CPU',
        'CPU ratio',
      ],
      over.map((o) => [
        o.mode,
        o.tasks,
        o.slots,
        `${o.ms} ms`,
        `${o.makeMs} ms`,
        o.ratio.toFixed(2),
        (o.ratios ?? [o.ratio]).map((r) => r.toFixed(2)).join(' '),
        `${o.perTaskMs} ms`,
        `${o.makePerTaskMs} ms`,
        o.cpuPerTaskMs !== undefined ? `${o.cpuPerTaskMs} ms` : 'n/a',
        o.makeCpuPerTaskMs !== undefined ? `${o.makeCpuPerTaskMs} ms` : 'n/a',
        o.cpuRatio !== undefined ? o.cpuRatio.toFixed(2) : 'n/a',
      ]),
    ),
  );
  for (const o of over) {
    console.log(`\nWhere taskwave's time went (${o.mode}), per task; steps overlap across slots:`);
    console.log(
      table(
        ['step', 'ms per task', 'calls per task'],
        Object.entries(o.breakdown)
          .sort((a, b) => b[1].perTaskMs - a[1].perTaskMs)
          .map(([step, t]) => [step, t.perTaskMs, t.calls]),
      ),
    );
  }
}
