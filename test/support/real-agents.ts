// Isolated, offline environments for the real agent CLIs (Claude Code, Codex) run against the
// scripted model server (model-server.ts), with every outside call sent to the trap proxy
// (trap-proxy.ts). Each environment has its own temporary HOME (and CODEX_HOME), and inherits
// nothing from the calling process but PATH, locale and the CA settings: no keys, no proxies, no
// agent variables of whatever session runs the tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const CLAUDE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'claude');
export const CODEX_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'codex');

/** The versions pinned in package.json, which these environments were made for. */
export const CLAUDE_VERSION = '2.1.197';
export const CODEX_VERSION = '0.169.0';

/**
 * A model Codex 0.169 knows: with it Codex has the model's metadata (no "Model metadata not found"
 * error item) and offers its freeform `apply_patch` tool, so scripted file writes show up as
 * `file_change` items; with an unknown name it offers only `exec_command` & co.
 */
export const CODEX_MODEL = 'gpt-5.5';

export interface AgentEnv {
  env: Record<string, string>;
  /** The temporary HOME (and, for Codex, the parent of CODEX_HOME). */
  home: string;
  cleanup(): void;
}

const LOOPBACK = '127.0.0.1,localhost,::1';

/** What every CLI run gets: a minimal inherited environment and the trap proxy for anything outside. */
function baseEnv(home: string, proxyUrl: string): Record<string, string> {
  // The CLIs' own scratch files (Claude Code keeps a folder per project in $TMPDIR/claude-<uid>)
  // go with the home when it is removed.
  mkdirSync(join(home, 'tmp'), { recursive: true });
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'LANG', 'LC_ALL', 'TZ', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    USER: process.env.USER ?? 'tester',
    TMPDIR: join(home, 'tmp'),
    TERM: 'dumb',
    NO_COLOR: '1',
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    // Git in the agents' shells must not look for a global identity or ask for anything.
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    // Anything not on loopback goes to the trap (both spellings: clients differ in which they read).
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    ALL_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    all_proxy: proxyUrl,
    NO_PROXY: LOOPBACK,
    no_proxy: LOOPBACK,
  };
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Claude Code against the scripted server: the base URL and a fake key, no non-essential traffic
 * (telemetry, error reports, update checks, feedback surveys), and IS_SANDBOX=1 as root, without
 * which `--dangerously-skip-permissions` refuses to run.
 */
export function claudeEnv(opts: { serverUrl: string; proxyUrl: string }): AgentEnv {
  const home = mkdtempSync(join(tmpdir(), 'taskwave-claude-home-'));
  const env: Record<string, string> = {
    ...baseEnv(home, opts.proxyUrl),
    ANTHROPIC_BASE_URL: opts.serverUrl,
    ANTHROPIC_API_KEY: 'test-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
  };
  if (isRoot()) env.IS_SANDBOX = '1';
  return { env, home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/**
 * Codex against the scripted server: a CODEX_HOME whose config.toml names a model provider at the
 * server (Responses wire API: chat is no longer supported), with analytics, plugins and the update
 * check off, and no request/stream retries. A server that cannot be reached is still retried
 * ("Reconnecting... waiting for network") for minutes whatever the config says: runAgent's timeout
 * is what ends such a run. `gpt-5.5` by default (see CODEX_MODEL).
 */
export function codexEnv(opts: { serverUrl: string; proxyUrl: string; model?: string }): AgentEnv & {
  codexHome: string;
} {
  const home = mkdtempSync(join(tmpdir(), 'taskwave-codex-home-'));
  const codexHome = join(home, '.codex');
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(join(codexHome, 'config.toml'), codexConfig(opts.serverUrl, opts.model ?? CODEX_MODEL));
  const env: Record<string, string> = {
    ...baseEnv(home, opts.proxyUrl),
    CODEX_HOME: codexHome,
    SCRIPTED_API_KEY: 'test-key',
  };
  return { env, home, codexHome, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export function codexConfig(serverUrl: string, model: string): string {
  return `model = ${JSON.stringify(model)}
model_provider = "scripted"
approval_policy = "never"
check_for_update_on_startup = false

[model_providers.scripted]
name = "Scripted"
base_url = ${JSON.stringify(`${serverUrl}/v1`)}
wire_api = "responses"
env_key = "SCRIPTED_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
plugins = false
`;
}

/** `claude -p` headless, streaming JSON events, no permission prompts (needs IS_SANDBOX=1 as root). */
export const claudeArgs = (prompt: string): string[] => [
  '-p',
  prompt,
  '--output-format',
  'stream-json',
  '--verbose',
  '--dangerously-skip-permissions',
];

/**
 * `codex exec` headless with JSON events. The workspace-write sandbox works in this container
 * (seccomp + a read-only view of everything but the workspace and /tmp); note that it keeps `.git`
 * read-only, so an agent's own `git add`/`git commit` fail: commits are taskwave's job.
 */
export const codexArgs = (dir: string, prompt: string): string[] => [
  'exec',
  '--json',
  '--skip-git-repo-check',
  '-C',
  dir,
  '--sandbox',
  'workspace-write',
  '-c',
  'approval_policy=never',
  prompt,
];

/** A temporary git repository with a local identity and one commit (CI machines have no global identity). */
export function makeGitRepo(files: Record<string, string> = { 'README.md': '# scratch\n' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-agent-repo-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'taskwave tests');
  git('add', '-A');
  git('commit', '-qm', 'initial');
  return dir;
}

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Runs a CLI with stdin closed, in its own process group, killed (group and all) after timeoutMs
 * or when `signal` aborts: both CLIs retry an unreachable server for minutes.
 */
export function runAgent(
  command: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs?: number; signal?: AbortSignal },
): Promise<AgentRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs ?? 90_000);
    opts.signal?.addEventListener('abort', kill, { once: true });
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, signal) => {
      done();
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started, timedOut });
    });
  });
}

/** The JSON lines of a CLI's stdout (lines that are not JSON are skipped). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        out.push(value as Record<string, unknown>);
    } catch {
      // a partial or non-JSON line
    }
  }
  return out;
}
