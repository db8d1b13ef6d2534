#!/usr/bin/env node
// The agent the tests control. What it does for each task comes from the JSON file named by
// SCRIPTED_AGENT_SCRIPT: { "<taskId>" | "*": { sleepMs, exit, failAttempts, write: {path: text},
// append: {path: text}, printEnv: NAME, hang, ignoreSigint, lines, spawnChild, escapeChild (a child that
// leaves the process group, keeping stdout open), requireFile: path,
// refuseFile: path (fails when it exists), stderr: the text printed when it fails, failRuns: N, rawOut: base64 bytes written to stdout as they
// are, remove: [paths], git: [[args…]…] run in its workspace, crash: die by SIGKILL after writing,
// noChange, fillDisk: path (appended to until the disk is full), awaitStarts: N (first waits, 10 s at
// most, until N agents have started: how many run at once then does not hang on how fast a loaded
// machine starts them), finalEnv: NAME (its last line, the
// summary, is `final: <value of NAME>`), onConflict / onRepair: { …the same keys, used instead when the prompt asks to resolve a
// merge conflict / to fix a failed gate } } }.
// Every call is logged as one JSON line to SCRIPTED_AGENT_LOG: what it was given, when it started and ended.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const id = process.env.TASKWAVE_TASK_ID ?? '?';
const attempt = Number(process.env.TASKWAVE_ATTEMPT ?? '1');
const scriptFile = process.env.SCRIPTED_AGENT_SCRIPT;
const logFile = process.env.SCRIPTED_AGENT_LOG;
const script = scriptFile ? JSON.parse(readFileSync(scriptFile, 'utf8')) : {};
const stdin = readFileSync(0, 'utf8');
const conflict = stdin.includes('## Merge conflict');
const repair = stdin.includes('## Verification failed');
const base = { ...(script['*'] ?? {}), ...(script[id] ?? {}) };
const plan = conflict ? (base.onConflict ?? { exit: 1 }) : repair && base.onRepair ? base.onRepair : base;
const promptFile = process.env.TASKWAVE_PROMPT_FILE ?? '';
let promptFromFile = '';
try {
  promptFromFile = readFileSync(promptFile, 'utf8');
} catch {}

const record = (event, extra = {}) => {
  if (!logFile) return;
  try {
    appendFileSync(
      logFile,
      `${JSON.stringify({ event, id, attempt, time: Date.now(), pid: process.pid, ...extra })}\n`,
    );
  } catch (e) {
    // A test that fills the disk on purpose loses the log's end, not the agent.
    if (e.code !== 'ENOSPC') throw e;
  }
};

let dotGit;
try {
  dotGit = readFileSync('.git', 'utf8').trim();
} catch {}

record('start', {
  title: process.env.TASKWAVE_TASK_TITLE,
  runId: process.env.TASKWAVE_RUN_ID,
  repairEnv: process.env.TASKWAVE_REPAIR,
  cwd: process.cwd(),
  dotGit,
  stdin,
  promptFileMatches: promptFromFile === stdin,
  conflict,
  repair,
});

process.on('SIGINT', () => {
  record('sigint');
  if (!plan.ignoreSigint) process.exit(130);
});
process.on('SIGTERM', () => {
  record('sigterm');
  if (!plan.ignoreSigint) process.exit(143);
});

if (plan.spawnChild) {
  // A grandchild that would outlive us if nobody killed the process group.
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  record('child', { childPid: child.pid });
}
if (plan.escapeChild) {
  // One that leaves the process group (setsid, a daemon) and keeps our stdout and stderr open.
  // It ends by itself after a minute: nobody may be left to kill it when a test fails.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  child.unref();
  record('child', { childPid: child.pid });
}

if (plan.printEnv) console.log(`my ${plan.printEnv} is ${process.env[plan.printEnv]}`);
for (let i = 0; i < (plan.lines ?? 1); i++) console.log(`working on ${id} (${i + 1})`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
if (plan.awaitStarts && logFile) {
  const until = Date.now() + 10_000;
  const starts = () =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"event":"start"')).length;
  while (starts() < plan.awaitStarts && Date.now() < until) await sleep(20);
}
await sleep(plan.sleepMs ?? 50);
if (plan.hang) await new Promise(() => setInterval(() => {}, 1000));

// Relative paths are in the agent's workspace; an absolute one lets a test act as the person at the keyboard.
for (const [path, text] of Object.entries(plan.write ?? {})) {
  mkdirSync(dirname(resolve(process.cwd(), path)), { recursive: true });
  writeFileSync(resolve(process.cwd(), path), text);
}
for (const [path, text] of Object.entries(plan.append ?? {})) appendFileSync(resolve(process.cwd(), path), text);
for (const path of plan.remove ?? []) rmSync(resolve(process.cwd(), path), { force: true });
if (plan.fillDisk) {
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) appendFileSync(plan.fillDisk, chunk);
  } catch {}
}
for (const args of plan.git ?? []) spawnSync('git', args, { cwd: process.cwd(), stdio: 'ignore' });
if (plan.rawOut) process.stdout.write(Buffer.from(plan.rawOut, 'base64'));
if (plan.crash) {
  record('crash');
  process.kill(process.pid, 'SIGKILL');
}
// failRuns: fail the first N runs of this task whatever the attempt (counted in the log): retries
// of one attempt share its number.
const runsBefore = logFile
  ? readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l && JSON.parse(l).event === 'start' && JSON.parse(l).id === id).length - 1
  : 0;
let fail = plan.exit ?? (attempt <= (plan.failAttempts ?? 0) || runsBefore < (plan.failRuns ?? 0) ? 1 : 0);
if (plan.requireFile) {
  try {
    readFileSync(resolve(process.cwd(), plan.requireFile));
  } catch {
    console.error(`missing ${plan.requireFile}`);
    fail = 3;
  }
}
if (plan.refuseFile && existsSync(resolve(process.cwd(), plan.refuseFile))) {
  console.error(`left over: ${plan.refuseFile}`);
  fail = 3;
}
// Unless told otherwise (`noChange`, or files of its own to write), the agent does what a real one
// would: writes the files its task names in backticks (taskwave checks they exist), or leaves a trace
// of its work (taskwave does not count a task that changed nothing as done).
if (!plan.noChange && !plan.write && !plan.append && !plan.remove && fail === 0) {
  const title = process.env.TASKWAVE_TASK_TITLE ?? '';
  const named = [...title.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]).filter((p) => /[./]/.test(p) && !p.includes('('));
  const files = named.length > 0 ? named : [join('work', `${id.replace(/[^\w.-]/g, '_')}.txt`)];
  for (const f of files) {
    mkdirSync(dirname(resolve(process.cwd(), f)), { recursive: true });
    appendFileSync(resolve(process.cwd(), f), `done by ${id}\n`);
  }
}
if (fail !== 0) console.error(plan.stderr ?? `scripted failure of ${id}`);
console.log(plan.finalEnv ? `final: ${process.env[plan.finalEnv]}` : `finished ${id}`);
record('end', { exit: fail });
// Not process.exit: it would drop output still waiting in the pipe (a flood of lines, say).
process.exitCode = fail;
