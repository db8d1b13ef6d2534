import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExecution } from '../../src/state/execution.js';
import { readJournal } from '../../src/state/journal.js';
import { type CliResult, makeRepo, startCli, type TempRepo } from '../support/repo.js';

/*
 * Crash anywhere: a run of taskwave is killed (SIGKILL, no chance to clean up) at one of its fault
 * points (src/util/fault.ts), then run again until it finishes, and the repository and the books
 * must be exactly what a run that never crashed would have left.
 */

/** Six tasks over two phases, with [P] pairs: merges race each other, and a phase ends mid-run. */
export const PLAN = `# Tasks

## Phase 1: Setup

- [ ] T001 Create the base
- [ ] T002 [P] Create the second part
- [ ] T003 [P] Create the third part

## Phase 2: Build

- [ ] T004 Create the fourth part
- [ ] T005 [P] Create the fifth part
- [ ] T006 [P] Create the sixth part
`;

export const TASKS = ['T001', 'T002', 'T003', 'T004', 'T005', 'T006'];

const fileOf = (id: string) => `src/${id.toLowerCase()}.txt`;
const lineOf = (id: string) => `work of ${id}\n`;

/**
 * A repository with the plan, a task gate, and agents that *append* their line to their own file:
 * work merged twice would show as the line twice (or as a task that changed nothing).
 */
export function makeFaultRepo(): TempRepo {
  const repo = makeRepo(
    { 'tasks.md': PLAN, 'src/README.md': 'parts\n' },
    { extraConfig: 'gates:\n  task:\n    - name: parts exist\n      run: "test -d src"\n' },
  );
  repo.script(Object.fromEntries(TASKS.map((id) => [id, { sleepMs: 30, append: { [fileOf(id)]: lineOf(id) } }])));
  return repo;
}

/**
 * Run the CLI in a process group of its own, so that a crash can take everything it started with it;
 * `killAfterMs`: SIGKILL the whole group then, wherever it is (inside a git command, likely).
 */
export function runDetached(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  killAfterMs?: number,
): Promise<CliResult> {
  const { child, done } = startCli(args, cwd, env, true);
  const timer = killAfterMs !== undefined ? setTimeout(() => killGroup(child.pid), killAfterMs) : undefined;
  child.on('exit', () => {
    clearTimeout(timer);
    // Whatever taskwave had started and was still running (a git command) dies with it, as in a
    // power cut: the next run must cope with what it left half done.
    killGroup(child.pid);
  });
  return done;
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** The fault points a clean run passes, in order (`<count> <name>` lines of TASKWAVE_FAULT_LOG). */
export function readFaultLog(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(l.indexOf(' ') + 1));
}

export interface Trial {
  /** What TASKWAVE_FAULT_AT was. */
  at: string;
  /** The run died at a fault point (else it finished before reaching it). */
  killed: boolean;
  /** The point it died at. */
  diedAt?: string;
  /** Runs after the crash until one exited 0. */
  resumes: number;
  /** What the runs after the crash repaired of git's state (recover.ts), as they said. */
  repairs: string[];
  /** Invariants that do not hold: empty when all is well. */
  problems: string[];
  ms: number;
  /** The repository, kept when something is wrong. */
  dir: string;
}

/**
 * One crash: a fresh repository, a run killed at fault point `at` (or, `after <ms>`, its whole process
 * group killed at that time), then plain runs (at most 3) until one exits 0, then the invariants.
 */
export async function crashAndResume(at: string, extraEnv: Record<string, string> = {}): Promise<Trial> {
  const started = Date.now();
  const repo = makeFaultRepo();
  const logDir = mkdtempSync(join(tmpdir(), 'taskwave-fault-'));
  const faultLog = join(logDir, 'points.log');
  const problems: string[] = [];
  try {
    const afterMs = /^after (\d+)$/.exec(at)?.[1];
    const crashed = await runDetached(
      ['run', 'tasks.md'],
      repo.dir,
      {
        ...(afterMs ? { TASKWAVE_FAULT_DELAY_MS: '20' } : { TASKWAVE_FAULT_AT: at }),
        ...extraEnv,
        TASKWAVE_FAULT_LOG: faultLog,
      },
      afterMs ? Number(afterMs) : undefined,
    );
    const killed = crashed.signal === 'SIGKILL';
    if (!killed && crashed.code !== 0) {
      problems.push(`the run to crash exited ${crashed.code ?? crashed.signal}:\n${crashed.stdout}${crashed.stderr}`);
    }
    killAgents(repo);
    const points = readFaultLog(faultLog);
    const diedAt = killed ? points[points.length - 1] : undefined;

    let resumes = 0;
    let last: CliResult | undefined;
    const repairs: string[] = [];
    while (killed && resumes < 3) {
      resumes++;
      last = await runDetached(['run', 'tasks.md'], repo.dir, {});
      killAgents(repo);
      repairs.push(...last.stderr.split('\n').filter((l) => /^taskwave: (removed|finished)/.test(l)));
      if (last.code === 0) break;
    }
    if (last && last.code !== 0) {
      problems.push(`no run after the crash exited 0; the last said (${last.code}):\n${last.stdout}${last.stderr}`);
    }
    problems.push(...checkInvariants(repo));
    return {
      at,
      killed,
      ...(diedAt ? { diedAt } : {}),
      resumes,
      repairs,
      problems,
      ms: Date.now() - started,
      dir: repo.dir,
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
    if (problems.length === 0) rmSync(repo.dir, { recursive: true, force: true });
  }
}

/** An agent a crash left running would keep writing into a worktree: kill their groups, as the crash did. */
function killAgents(repo: TempRepo): void {
  for (const e of repo.agentLog()) if (e.event === 'start') killGroup(e.pid);
}

/** Everything that must hold after a crash and the runs that finished the plan; empty when all does. */
export function checkInvariants(repo: TempRepo): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const plan = repo.read('tasks.md');

  // (c) The books parse, and the snapshot agrees with the journal replayed over it.
  let exec: { runId: string; status: string; tasks: Record<string, { status: string }> } | undefined;
  try {
    exec = JSON.parse(repo.read('.taskwave/execution.json'));
  } catch (e) {
    problems.push(`execution.json does not parse: ${(e as Error).message}`);
  }
  const journalPath = join(repo.dir, '.taskwave', 'journal.jsonl');
  const journalText = readFileSync(journalPath, 'utf8');
  const lines = journalText.split('\n').filter(Boolean);
  const parsed = readJournal(journalPath);
  check(parsed.length === lines.length, `${lines.length - parsed.length} journal line(s) do not parse`);
  const replayed = loadExecution(join(repo.dir, '.taskwave', 'execution.json'), journalPath);
  if (exec && replayed) {
    for (const id of TASKS) {
      check(
        exec.tasks[id]?.status === replayed.tasks[id]?.status,
        `${id}: execution.json says ${exec.tasks[id]?.status}, the journal replayed says ${replayed.tasks[id]?.status}`,
      );
    }
    check(exec.status === 'done', `execution.json says the run is ${exec.status}`);
    const own = parsed.filter((e) => e.runId === exec?.runId);
    check(own[own.length - 1]?.type === 'run-finished', 'the last run did not journal its end');
  } else if (exec) problems.push('loadExecution cannot read the books');

  // (a) Ticked exactly when done, and all are done.
  for (const id of TASKS) {
    const ticked = new RegExp(`^- \\[x\\] ${id} `, 'm').test(plan);
    const done = exec?.tasks[id]?.status === 'done';
    check(ticked === done, `${id}: ticked ${ticked} but recorded ${exec?.tasks[id]?.status}`);
    check(done, `${id} is not done`);
  }
  // (b) The plan differs from the original only in its checkboxes.
  check(plan === PLAN.replaceAll('- [ ] T', '- [x] T'), `the plan is not the original with its boxes ticked:\n${plan}`);

  // (d) Nothing dangles.
  const worktrees = repo.git('worktree', 'list', '--porcelain');
  check(worktrees.split('\n').filter((l) => l.startsWith('worktree ')).length === 1, `worktrees left:\n${worktrees}`);
  const branches = repo.git('branch', '--list', 'taskwave/*').trim();
  check(branches === '', `branches left: ${branches}`);
  const status = repo.git('status', '--porcelain').trim();
  check(status === '', `the working tree is not clean:\n${status}`);
  const gitDir = join(repo.dir, '.git');
  check(!existsSync(join(gitDir, 'index.lock')), '.git/index.lock is left');

  // (e) Every task's work landed exactly once, in exactly one commit of its own.
  const subjects = repo.git('log', '--format=%s').split('\n').filter(Boolean);
  for (const id of TASKS) {
    let text = '';
    try {
      text = repo.read(fileOf(id));
    } catch {}
    check(text === lineOf(id), `${fileOf(id)} is ${JSON.stringify(text)}, not ${JSON.stringify(lineOf(id))}`);
    const commits = subjects.filter((s) => s.startsWith(`${id}: `)).length;
    check(commits === 1, `${commits} commits of ${id}`);
  }
  return problems;
}

/** Run `fn` over `items` with at most `jobs` at a time. */
export async function pool<T, R>(items: readonly T[], jobs: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return out;
}
