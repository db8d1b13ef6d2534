import type { Task } from '../plan/types.js';
import type { StartGuard } from './scheduler.js';

/**
 * `agents.NAME.concurrency`: a limit for one agent alone (a rate-limited API key, a local model that
 * serves one request at a time), on top of the run's own limit and any other guard (file locks).
 */
export class AgentSlots implements StartGuard {
  private readonly running = new Map<string, number>();

  constructor(
    private readonly agentOf: (task: Task) => string,
    private readonly limits: ReadonlyMap<string, number>,
    private readonly inner?: StartGuard,
  ) {}

  canStart(task: Task): boolean {
    const agent = this.agentOf(task);
    const limit = this.limits.get(agent);
    if (limit !== undefined && (this.running.get(agent) ?? 0) >= limit) return false;
    return this.inner?.canStart(task) ?? true;
  }

  acquire(task: Task): void {
    const agent = this.agentOf(task);
    this.running.set(agent, (this.running.get(agent) ?? 0) + 1);
    this.inner?.acquire(task);
  }

  release(task: Task): void {
    const agent = this.agentOf(task);
    this.running.set(agent, Math.max(0, (this.running.get(agent) ?? 0) - 1));
    this.inner?.release(task);
  }
}
