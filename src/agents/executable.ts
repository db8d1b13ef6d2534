import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { err, ok, type Result } from '../result.js';

export interface ExecutableQuery {
  /** The agent's name in config (`agents.NAME`). */
  agent: string;
  /** What the user configured (`agents.NAME.bin`, or the first word of `agents.NAME.command`). */
  configured?: string;
  /** The adapter's own executable name, looked up on PATH when nothing is configured. */
  defaultName?: string;
  /** The config key that would fix a miss: `bin` for built-in agents, `command` for command agents. */
  key: 'bin' | 'command';
  configFile?: string;
  /** The PATH to search; the process's own by default. */
  path?: string;
}

/**
 * The executable an agent runs: a configured path (relative ones are relative to the config file, so
 * a config can point at a wrapper script it ships), a configured name on PATH, or the adapter's
 * default name on PATH. A miss is a Diagnostic naming the agent and the key that would fix it.
 */
export function resolveExecutable(q: ExecutableQuery): Result<string, Diagnostic> {
  const name = q.configured ?? q.defaultName;
  const where = q.configFile ?? 'taskwave.yaml';
  const fix = `agents.${q.agent}.${q.key}`;
  if (!name) return err(errorAt(undefined, `agent '${q.agent}': no executable; set ${fix} in ${where}`));
  if (name.includes('/')) {
    const base = q.configFile ? dirname(q.configFile) : process.cwd();
    const full = isAbsolute(name) ? name : resolve(base, name);
    if (isExecutableFile(full)) return ok(full);
    return err(
      errorAt(undefined, `agent '${q.agent}': ${fix} is '${name}' (${full}), which is not an executable file`),
    );
  }
  for (const dir of (q.path ?? process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return ok(candidate);
  }
  const install = q.configured ? `fix ${fix}` : `install it or set ${fix}`;
  return err(
    errorAt(undefined, `agent '${q.agent}': cannot find the executable '${name}' on PATH; ${install} in ${where}`),
  );
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
