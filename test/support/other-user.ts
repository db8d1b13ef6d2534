import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BIN, type CliResult, collectOutput, runCli } from './repo.js';

/*
 * Permission errors, seen as a user sees them. Root reads and writes everything, so as root the CLI
 * runs as `nobody` (setpriv), in a repository handed over to it; as anyone else it runs as is.
 */

const NOBODY = '65534';
const SETPRIV = '/usr/bin/setpriv';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Whether permissions can be tested here: not root, or root with setpriv to become someone else. */
export const permissionsApply = !isRoot || existsSync(SETPRIV);

/** Make `dir` the property of the user `runCliWithoutPrivileges` runs as. */
export function handOver(dir: string): void {
  if (isRoot) spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
}

/** `runCli`, as a user whom file permissions apply to. */
export function runCliWithoutPrivileges(args: string[], cwd: string): Promise<CliResult> {
  if (!isRoot) return runCli(args, cwd);
  const child = spawn(
    SETPRIV,
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args],
    { cwd, env: { ...process.env, HOME: cwd, CI: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return collectOutput(child).done;
}
