import { appendFileSync } from 'node:fs';
import { killAllProcessGroups } from './process-group.js';

/*
 * Fault injection for the crash tests (`npm run test:faults`): with TASKWAVE_FAULT_AT=N the Nth call
 * of faultPoint in this process, whatever its name, kills everything at once, as a power cut or
 * `kill -9` would: the agents' process groups, then taskwave itself, with no chance to clean up.
 * TASKWAVE_FAULT_AT=<name>@<k> kills at the kth call of the point named <name> instead (a test that
 * wants one particular place, whatever the timing of the rest).
 * TASKWAVE_FAULT_LOG=<file> appends `<count> <name>` for every call (how many points a run passes,
 * and where); TASKWAVE_FAULT_DELAY_MS=<ms> waits a random time up to that at each point, to shake
 * out races. The environment is read once: unset, a call costs one comparison.
 */

const spec = process.env.TASKWAVE_FAULT_AT?.trim() ?? '';
const named = /^(.+)@(\d+)$/.exec(spec);
const at = named ? Number(named[2]) : Number(spec) || 0;
const atName = named?.[1];
const logFile = process.env.TASKWAVE_FAULT_LOG || undefined;
const delayMs = Number(process.env.TASKWAVE_FAULT_DELAY_MS ?? '') || 0;
const active = at > 0 || logFile !== undefined || delayMs > 0;
let count = 0;
let countOfName = 0;

export function faultPoint(name: string): void {
  if (!active) return;
  count++;
  if (name === atName) countOfName++;
  if (logFile) appendFileSync(logFile, `${count} ${name}\n`);
  if (delayMs > 0) sleepSync(Math.random() * delayMs);
  if (atName === undefined ? count === at : name === atName && countOfName === at) {
    killAllProcessGroups();
    process.kill(process.pid, 'SIGKILL');
  }
}

/** A synchronous wait: the point's caller is synchronous (a journal append), and must stay so. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
