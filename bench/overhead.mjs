#!/usr/bin/env node
// taskwave's own cost per task: N independent tasks whose agent does next to nothing (a Node program
// that writes one file: a real agent is a process too, and a task that changes nothing is not
// verified), run by `taskwave run` with the default settings (worktrees, journal, ticks, commits,
// merges) and with `--in-place`, against GNU make running the same agent command the same number of
// times with the same number of slots. Prints one JSON line per mode, with where taskwave's time went
// (TASKWAVE_TIMINGS). Usage: node bench/overhead.mjs [tasks] [slots] [rounds]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TASKS = Number(process.argv[2] ?? 200);
const SLOTS = Number(process.argv[3] ?? 4);
const ROUNDS = Math.max(1, Number(process.argv[4] ?? 1));
const BIN = fileURLToPath(new URL('../bin/taskwave.js', import.meta.url));
const ids = Array.from({ length: TASKS }, (_, i) => `T${String(i + 1).padStart(4, '0')}`);

const AGENT = `import { writeFileSync } from 'node:fs';
writeFileSync(\`out/\${process.env.TASKWAVE_TASK_ID}.txt\`, 'done\\n');
`;

function makeRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-overhead-'));
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'out', '.keep'), '');
  writeFileSync(join(dir, 'agent.mjs'), AGENT);
  writeFileSync(
    join(dir, 'taskwave.yaml'),
    `agent: noop\nconcurrency: ${SLOTS}\nagents:\n  noop:\n    command: [${JSON.stringify(process.execPath)}, "agent.mjs"]\n`,
  );
  writeFileSync(
    join(dir, 'tasks.md'),
    `# Tasks\n\n## Phase 1\n\n${ids.map((id) => `- [ ] ${id} [P] task ${id}`).join('\n')}\n`,
  );
  writeFileSync(
    join(dir, 'Makefile'),
    `all: ${ids.join(' ')}\n${ids.map((id) => `${id}:\n\t@TASKWAVE_TASK_ID=${id} ${JSON.stringify(process.execPath)} agent.mjs\n`).join('')}`,
  );
  writeFileSync(join(dir, '.gitignore'), 'Makefile\n');
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'user.name', 'taskwave bench');
  git('add', '-A');
  git('commit', '-qm', 'bench plan');
  return dir;
}

/**
 * CPU time used so far by the children this process waited for, in ms (Linux: `cutime` + `cstime`
 * of /proc/self/stat, in ticks of 10 ms); undefined where there is no such file.
 */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

/** Wall time of `fn`, and the CPU time of the processes it ran (all of them: git, the agents). */
function time(fn) {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  const cpu1 = childrenCpuMs();
  return { ms, cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0 };
}

function make(jobs) {
  const dir = makeRepo();
  try {
    return time(() => execFileSync('make', ['-s', `-j${jobs}`], { cwd: dir, stdio: 'ignore' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function taskwave(args) {
  const dir = makeRepo();
  const timings = join(dir, '.timings.json');
  try {
    let r;
    const { ms, cpuMs } = time(() => {
      r = spawnSync(process.execPath, [BIN, 'run', 'tasks.md', ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, TASKWAVE_TIMINGS: timings },
      });
    });
    if (r.status !== 0) throw new Error(`taskwave run failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
    const ticked = (readFileSync(join(dir, 'tasks.md'), 'utf8').match(/- \[x\]/g) ?? []).length;
    if (ticked !== TASKS) throw new Error(`only ${ticked} of ${TASKS} tasks ticked`);
    return { ms, cpuMs, breakdown: JSON.parse(readFileSync(timings, 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (spawnSync('make', ['--version']).status !== 0) {
  console.log(JSON.stringify({ skipped: 'GNU make is not installed' }));
  process.exit(0);
}

// make before and after each taskwave run: the machine's drift shows in the two figures. With several
// rounds, the round with the median ratio is shown (a noisy machine moves single figures by 10%).
for (const [mode, args, jobs] of [
  ['worktrees', [], SLOTS],
  ['in place', ['--in-place'], 1],
]) {
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = make(jobs);
    const tw = taskwave(args);
    const after = make(jobs);
    const makeMs = (before.ms + after.ms) / 2;
    const makeCpuMs = before.cpuMs === undefined ? undefined : (before.cpuMs + after.cpuMs) / 2;
    rounds.push({ tw, makeMs, makeCpuMs, ratio: tw.ms / makeMs });
  }
  const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
  const { tw, makeMs, makeCpuMs, ratio } = byRatio[Math.floor((byRatio.length - 1) / 2)];
  // CPU of every process of the run, taskwave's and git's and the agents', against make's: steadier
  // than wall time on a shared machine, and what decides wall time when the cores are all busy.
  const cpu =
    tw.cpuMs !== undefined && makeCpuMs
      ? {
          cpuPerTaskMs: +(tw.cpuMs / TASKS).toFixed(1),
          makeCpuPerTaskMs: +(makeCpuMs / TASKS).toFixed(1),
          cpuRatio: +(tw.cpuMs / makeCpuMs).toFixed(2),
        }
      : {};
  console.log(
    JSON.stringify({
      mode,
      tasks: TASKS,
      slots: jobs,
      ms: Math.round(tw.ms),
      makeMs: Math.round(makeMs),
      ratio: +ratio.toFixed(2),
      ...(ROUNDS > 1 ? { ratios: rounds.map((r) => +r.ratio.toFixed(2)) } : {}),
      ...cpu,
      perTaskMs: +(tw.ms / TASKS).toFixed(1),
      makePerTaskMs: +(makeMs / TASKS).toFixed(1),
      breakdown: Object.fromEntries(
        Object.entries(tw.breakdown).map(([step, t]) => [
          step,
          { perTaskMs: +(t.ms / TASKS).toFixed(1), calls: +(t.count / TASKS).toFixed(1) },
        ]),
      ),
    }),
  );
}
