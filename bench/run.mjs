#!/usr/bin/env node
// `npm run bench`: taskwave's benchmark suite. Prints a table; asserts nothing about time.
// So far: makespan against the lower bound (and against running wave by wave), and scale (parse
// and plan 1k/10k/100k-task plans; the books of a run with 10k finished tasks). Per-task overhead
// against GNU make and large repositories are still to come (issue 7).
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
