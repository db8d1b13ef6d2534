import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(REPO_ROOT, 'bin', 'taskwave.js');
export const SCRIPTED_AGENT = join(REPO_ROOT, 'test', 'support', 'scripted-agent.mjs');

export interface TempRepo {
  dir: string;
  write(path: string, text: string): void;
  read(path: string): string;
  git(...args: string[]): string;
  /** Per-task behaviour of the scripted agent (see scripted-agent.mjs). */
  script(plan: Record<string, unknown>): void;
  /** What the scripted agent logged, one object per event. */
  agentLog(): AgentLogEntry[];
}

export interface AgentLogEntry {
  event: 'start' | 'end' | 'sigint' | 'sigterm' | 'child' | 'crash';
  id: string;
  attempt: number;
  time: number;
  pid: number;
  title?: string;
  runId?: string;
  cwd?: string;
  /** Its workspace's `.git` file: which of git's worktree records it is. */
  dotGit?: string;
  stdin?: string;
  promptFileMatches?: boolean;
  exit?: number;
  childPid?: number;
  /** The prompt asked to resolve a merge conflict. */
  conflict?: boolean;
  /** The prompt asked to fix a failed gate. */
  repair?: boolean;
  /** TASKWAVE_REPAIR as the agent saw it. */
  repairEnv?: string;
}

/**
 * A temporary git repository with a local identity (CI machines have no global one), a
 * taskwave.yaml that runs the scripted agent, and the given files committed.
 */
export function makeRepo(
  files: Record<string, string>,
  opts: { config?: string; git?: boolean; killGrace?: string; extraConfig?: string; parent?: string } = {},
): TempRepo {
  const dir = mkdtempSync(join(opts.parent ?? tmpdir(), 'taskwave-test-'));
  const scriptPath = join(dir, '.agent-script.json');
  const logPath = join(dir, '.agent-log.jsonl');
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const config =
    opts.config ??
    `agent: scripted\nconcurrency: 4\nkillGrace: ${opts.killGrace ?? '1s'}\nagents:\n  scripted:\n    command: ["${process.execPath}", "${SCRIPTED_AGENT}"]\n    env:\n      SCRIPTED_AGENT_SCRIPT: "${scriptPath}"\n      SCRIPTED_AGENT_LOG: "${logPath}"\n`;
  write('taskwave.yaml', config + (opts.extraConfig ?? ''));
  write('.gitignore', '.agent-script.json\n.agent-log.jsonl\n');
  writeFileSync(scriptPath, '{}');
  for (const [p, t] of Object.entries(files)) write(p, t);
  if (opts.git !== false) {
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'taskwave tests');
    git('add', '-A');
    git('commit', '-qm', 'initial');
  }
  return {
    dir,
    write,
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    git,
    script: (plan) => writeFileSync(scriptPath, JSON.stringify(plan)),
    agentLog: () => {
      let text = '';
      try {
        text = readFileSync(logPath, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AgentLogEntry);
    },
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would, in CI mode (plain lines). */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const child = startCli(args, cwd, env);
  return child.done;
}

/** `detached`: in a process group of its own, which a test can kill whole (the crash tests). */
export function startCli(args: string[], cwd: string, env: Record<string, string> = {}, detached = false) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, CI: '1', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  return { child, ...collectOutput(child) };
}

/** What a started CLI prints, as it goes (`output`) and once it ends (`done`). */
export function collectOutput(child: ChildProcessByStdio<null, Readable, Readable>): {
  done: Promise<CliResult>;
  output: () => string;
} {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { done, output: () => stdout };
}

/**
 * Kill the process group of every agent a run started: taskwave killed with SIGKILL cannot stop
 * them itself, and they must not outlive the test.
 */
export function killAgentsOf(repo: TempRepo): void {
  for (const e of repo.agentLog()) {
    if (e.event !== 'start') continue;
    try {
      process.kill(-e.pid, 'SIGKILL');
    } catch {}
  }
}
