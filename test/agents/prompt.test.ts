import { describe, expect, it } from 'vitest';
import { renderTaskPrompt } from '../../src/agents/prompt.js';
import { makePlan } from '../graph/helpers.js';

describe('renderTaskPrompt', () => {
  const plan = makePlan([{ id: '1.1' }], [{ id: '1', title: 'Phase 1: Foundation' }]);
  plan.path = '/repo/.claudio';
  plan.documents = ['/repo/.claudio/summary.md', '/repo/.claudio/phase1/claude.md'];
  const task = plan.tasks[0] as (typeof plan.tasks)[number];
  task.context = ['/repo/.claudio/phase1/task1/claude.md', '/repo/.claudio/phase1/claude.md'];
  task.role = 'backend';
  task.complexity = 'mid';
  task.spec = 'F001';
  const prompt = renderTaskPrompt(plan, task, '/repo');

  it("lists the task's own context first, then the plan's documents, each once", () => {
    const docs = prompt.split('## Context documents (read what you need)\n\n')[1]?.split('\n\n')[0];
    expect(docs).toBe(
      ['- .claudio/phase1/task1/claude.md', '- .claudio/phase1/claude.md', '- .claudio/summary.md'].join('\n'),
    );
  });

  it('names the role, complexity and spec the plan gives', () => {
    expect(prompt).toContain('\nRole: backend (mid)\n');
    expect(prompt).toContain('\nSpec: F001\n');
    expect(prompt).toContain('Phase: Phase 1: Foundation');
  });
});
