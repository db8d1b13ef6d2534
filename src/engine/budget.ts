import type { Logger, RunEvent } from '../events.js';

export interface Budget {
  usd?: number;
  tokens?: number;
}

/**
 * `budget.usd` / `budget.tokens`: adds up what this run's agents report, run by run, and once a
 * limit is reached asks the scheduler to start nothing more. Running tasks finish (their work is
 * paid for); the report says what was left.
 */
export class BudgetWatch implements Logger {
  private usd = 0;
  private tokens = 0;
  private reached = false;

  constructor(
    private readonly budget: Budget,
    private readonly halt: (reason: string) => void,
  ) {}

  log(e: RunEvent): void {
    if (e.type !== 'agent-finished' || !e.usage || this.reached) return;
    this.usd += e.usage.costUsd ?? 0;
    this.tokens += e.usage.inputTokens + e.usage.outputTokens;
    const { usd, tokens } = this.budget;
    if (usd !== undefined && this.usd >= usd) {
      this.reached = true;
      this.halt(`the budget of $${usd.toFixed(2)} (budget.usd) was reached ($${this.usd.toFixed(2)} spent)`);
    } else if (tokens !== undefined && this.tokens >= tokens) {
      this.reached = true;
      this.halt(`the budget of ${tokens} tokens (budget.tokens) was reached (${this.tokens} used)`);
    }
  }

  close(): void {}
}
