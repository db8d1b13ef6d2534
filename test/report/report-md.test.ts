import { describe, expect, it } from 'vitest';
import {
  branchOf,
  cell,
  extractDecisions,
  fenced,
  formatCost,
  formatSpan,
  formatTokens,
  renderReport,
  scopedTasks,
} from '../../src/report/report-md.js';
import { at, gate, mixedState, plan, retryCommand, stateWith } from './fixture.js';

/** The lines of one `## ` section, without its heading. */
function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  expect(start, `section ${title}`).toBeGreaterThanOrEqual(0);
  const rest = md.slice(start + title.length + 5);
  const end = rest.indexOf('\n## ');
  return end < 0 ? rest : rest.slice(0, end);
}

function tableRow(md: string, first: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${first} |`));
  expect(line, `row ${first}`).toBeDefined();
  // Split on unescaped pipes only.
  return (line ?? '')
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());
}

describe('formatting', () => {
  it('writes money, tokens and spans the way the report promises', () => {
    expect(formatCost(0.0375)).toBe('$0.0375');
    expect(formatCost(0.00001)).toBe('<$0.0001');
    expect(formatCost(0)).toBe('$0.00');
    expect(formatCost(12.5)).toBe('$12.50');
    expect(formatCost(1)).toBe('$1.00');
    expect(formatTokens(12345)).toBe('12,345');
    expect(formatTokens(1234567)).toBe('1,234,567');
    expect(formatTokens(999)).toBe('999');
    expect(formatSpan(100 * 60_000)).toBe('1h 40m');
    expect(formatSpan(120 * 60_000)).toBe('2h');
    expect(formatSpan(45_000)).toBe('45s');
    expect(formatSpan(125_000)).toBe('2m 5s');
    expect(formatSpan(300)).toBe('<1s');
  });

  it('keeps a table cell on one line and its pipes escaped', () => {
    expect(cell('a | b\nc')).toBe('a \\| b c');
    expect(cell('C:\\x|y')).toBe('C:\\\\x\\|y');
  });

  it('fences text with a fence longer than any backtick run in it', () => {
    expect(fenced('plain')).toBe('```\nplain\n```');
    expect(fenced('a ```` b\n')).toBe('`````\na ```` b\n`````');
  });

  it('finds the branch a conflict left', () => {
    expect(branchOf('merge conflict in a.ts; its work is kept on branch taskwave/r1/T003')).toBe('taskwave/r1/T003');
    expect(branchOf('could not merge it: dirty; its work is kept on branch tw/T1.')).toBe('tw/T1');
    expect(branchOf('exit 1')).toBeUndefined();
  });
});

describe('renderReport', () => {
  const md = renderReport({ state: mixedState(), plan, retryCommand, durationMs: 150 * 60_000 });

  it('heads the report with the run, plan, status, times and agents', () => {
    expect(md.startsWith('# taskwave run r-20250102-1000\n')).toBe(true);
    expect(md).toContain('- Plan: `specs/tasks.md` (spec-kit)');
    expect(md).toContain('- Status: **failed**');
    expect(md).toContain('- Started: 2025-01-02 10:00:00 UTC');
    expect(md).toContain('- Finished: 2025-01-02 12:30:00 UTC');
    expect(md).toContain('- Duration: 2h 30m');
    expect(md).toContain('- Agents: claude, codex');
  });

  it('covers only the tasks of this run, in plan order', () => {
    expect(scopedTasks(mixedState(), plan).map((t) => t.id)).toEqual(['T001', 'T002', 'T003', 'T004', 'T005', 'T006']);
    const tasks = section(md, 'Tasks');
    expect(tasks).not.toContain('T007');
    expect(tasks).not.toContain('T008');
    expect(section(md, 'Outcome')).toContain(
      '6 task(s) in this run: 2 done, 1 failed, 1 conflict, 1 unverified, 1 blocked.',
    );
    expect(section(md, 'Outcome')).toContain('1 already done before this run, 1 not selected or skipped in the plan');
  });

  it('shows estimate against actual where the plan has one, and the overruns', () => {
    expect(tableRow(md, 'T001')[6]).toBe('2h est / 1h 40m');
    expect(tableRow(md, 'T002')[6]).toBe('30m est / 45m');
    expect(tableRow(md, 'T003')[6]).toBe('15m');
    const est = section(md, 'Estimates');
    expect(est).toContain('3 task(s) with an estimate ran: 2h 40m estimated, 2h 33m actual (-4%).');
    expect(est).toContain('`T002` Add the | parser with a second line: 30m est / 45m (+15m, +50%)');
    expect(est).not.toContain('`T001`');
  });

  it('leaves the estimates out when the plan has none', () => {
    const bare = { ...plan, tasks: plan.tasks.map(({ estimateMinutes: _, ...t }) => t) };
    expect(renderReport({ state: mixedState(), plan: bare, retryCommand })).not.toContain('## Estimates');
  });

  it('totals tokens and cost, saying the cost is a lower bound when a task reported none', () => {
    const row = tableRow(md, 'T001');
    expect(row.slice(7)).toEqual(['12,345', '678', '$0.0125']);
    expect(tableRow(md, 'T003').slice(7)).toEqual(['1,000', '100', '–']);
    const total = tableRow(md, '**total**');
    expect(total.slice(3)).toEqual(['7', '2', '1', '2h 53m', '15,345', '1,078', '≥ $0.0375']);
    expect(md).toContain('1 task(s) did not report a cost: the total leaves them out.');
    expect(md).toContain('Input tokens include 10,000 read from the prompt cache.');
  });

  it('escapes pipes in titles and keeps them on one line', () => {
    expect(md).toContain('| T002 | Add the \\| parser with a second line | failed |');
    expect(tableRow(md, 'T002')).toHaveLength(10);
  });

  it('lists every gate, and the failed ones with an output tail no backticks can break out of', () => {
    const g = section(md, 'Gates');
    expect(g).toContain('3 passed, 2 failed.');
    expect(g).toContain('| T002 | test | failed | 1s | exit 1 |');
    expect(g).toContain('| phase 1 (Setup) | build | passed | 30s |  |');
    expect(g).toContain('| final | e2e | timed out | 1s | timed out after 10m |');
    expect(g).toContain('### T002: test failed');
    // The tail holds runs of 3 and 4 backticks: the fence is 5, opened and closed on lines of their own.
    const block = g.slice(g.indexOf('`````\n'));
    expect(block).toMatch(/^`````\nFAIL parser\.test\.ts\n```js\n[\s\S]*\nand a ```` run of four\nred\n`````\n/);
    expect(g).not.toContain('\u001b');
    expect(g).toContain('```\nwaiting…\n```');
  });

  it('says which tasks needed repairs and retries', () => {
    expect(section(md, 'Repairs and retries')).toContain(
      '`T002` Add the | parser with a second line: 2 repairs after failed gates, 1 retry after agent failures; ended failed.',
    );
  });

  it('keeps the decisions and deviations the agents reported, with their task', () => {
    const d = section(md, 'Decisions and deviations');
    expect(d).toContain('- `T001`: Chose pnpm instead of npm because the lockfile was there.');
    expect(d).toContain('- `T002`: I assumed the input is UTF-8.');
    expect(d).toContain('- `T003`: TODO: add eviction.');
    expect(d).not.toContain('Tests pass locally');
    expect(d).not.toContain('decided = true');
    expect(d).not.toContain('Added a tsconfig');
  });

  it('names what to do next: the reasons, the branch of a conflict, the command to retry', () => {
    const n = section(md, 'Next steps');
    expect(n).toContain(
      '- `T002` Add the | parser with a second line: **failed**: gate test failed after 2 repair attempt(s): exit 1.',
    );
    expect(n).toContain('Inspect branch `taskwave/r-20250102-1000/T003`');
    expect(n).toContain('- `T004` Wire the CLI: **unverified**: no file changed.');
    expect(n).toContain('- `T005` Docs: **blocked** by T004. It runs once that task is done.');
    expect(n).toContain('```sh\ntaskwave run specs/tasks.md --only T002 T003 T004 T005\n```');
  });
});

describe('renderReport, other runs', () => {
  it('does not say that tasks passed at the first try when one failed or stopped without a repair', () => {
    const state = stateWith(
      {
        T001: {
          title: 'Create the project',
          status: 'failed',
          attempts: 1,
          error: 'the agent reported an error: boom',
        },
        T002: { title: 'Add a model', status: 'cancelled', attempts: 1, error: 'interrupted' },
      },
      { status: 'failed' },
    );
    const md = renderReport({ state, plan, retryCommand });
    expect(md).toContain('## Repairs and retries\n\nNone: no task got a repair or a retry.');
    expect(md).not.toContain('passed its gates at the first try');
  });

  it('says so when every task is done', () => {
    const state = stateWith(
      {
        T001: { title: 'Create the project', status: 'done', attempts: 1, startedAt: at('10:00'), durationMs: 60_000 },
      },
      { status: 'done' },
    );
    const md = renderReport({ state, plan, retryCommand });
    expect(md).toContain('All 1 task(s) of this run are done. Nothing to retry.');
    expect(md).toContain('No gate ran.');
    expect(md).toContain('None: every task that ran passed its gates at the first try.');
    expect(md).toContain('No agent left a final message.');
    // No usage anywhere: no cost claims either.
    expect(md).not.toContain('did not report a cost');
  });

  it('sends an interrupted run to resume, with why it stopped', () => {
    const state = stateWith(
      {
        T001: { title: 'Create the project', status: 'done', attempts: 1, startedAt: at('10:00'), durationMs: 60_000 },
        T003: {
          title: 'Write the store',
          status: 'cancelled',
          attempts: 1,
          startedAt: at('10:01'),
          error: 'interrupted',
        },
        T004: { title: 'Wire the CLI', status: 'pending', attempts: 0 },
      },
      { status: 'interrupted', stopReason: 'the cost budget of $1.00 was reached' },
    );
    const md = renderReport({ state, plan, retryCommand, resumeCommand: 'taskwave resume -c 2' });
    expect(md).toContain('- Status: **interrupted** — stopped early: the cost budget of $1.00 was reached');
    expect(md).toContain(
      '2 task(s) did not finish (the run stopped early: the cost budget of $1.00 was reached): `T003`, `T004`. Continue the run with:',
    );
    expect(md).toContain('```sh\ntaskwave resume -c 2\n```');
    expect(md).not.toContain('Run them again with');
  });

  it('falls back to the first paragraph of each final message when none reports a decision', () => {
    const long = `Implemented the store with a map. ${'x'.repeat(400)}\n\nSecond paragraph.`;
    const state = stateWith({
      T003: { title: 'Write the store', status: 'done', attempts: 1, startedAt: at('10:00'), summary: long },
      T004: {
        title: 'Wire the CLI',
        status: 'done',
        attempts: 1,
        startedAt: at('10:00'),
        summary: '## Done\nWired it.',
      },
    });
    const d = section(renderReport({ state, plan, retryCommand }), 'Decisions and deviations');
    expect(d).toContain('Their final messages begin:');
    const t3 = d.split('\n').find((l) => l.startsWith('- `T003`')) ?? '';
    expect(t3.startsWith('- `T003`: Implemented the store with a map. xxx')).toBe(true);
    expect(t3.endsWith('…')).toBe(true);
    expect(t3.length).toBeLessThan(320);
    expect(d).toContain('- `T004`: Done Wired it.');
    expect(d).not.toContain('Second paragraph');
  });

  it('reports a gate that failed without output', () => {
    const state = stateWith({
      T003: {
        title: 'Write the store',
        status: 'failed',
        attempts: 1,
        startedAt: at('10:00'),
        gates: [gate({ name: 'lint', ok: false, outputTail: '' })],
        error: 'gate lint failed: failed',
      },
    });
    const md = renderReport({ state, plan, retryCommand });
    expect(md).toContain('| T003 | lint | failed | 1s | failed |');
    expect(md).toContain('(no output)');
  });
});

describe('extractDecisions', () => {
  it('takes bullets whole and the matching sentences of prose', () => {
    const found = extractDecisions(
      [
        '# Summary',
        'I wrote the handler. I decided to keep the old API for now. All tests pass.',
        '* Used a workaround for the flaky socket test',
        '1. The schema differs from the plan: `id` is a UUID',
        '- Nothing else',
        'Skipped the migration step since there is no database yet!',
        '- Not implemented: the retry loop',
        '- Chose pnpm instead of npm because the lockfile was there.',
        '- Chose pnpm instead of npm because the lockfile was there.',
      ].join('\n'),
    );
    expect(found).toEqual([
      'I decided to keep the old API for now.',
      'Used a workaround for the flaky socket test',
      'The schema differs from the plan: `id` is a UUID',
      'Skipped the migration step since there is no database yet!',
      'Not implemented: the retry loop',
      'Chose pnpm instead of npm because the lockfile was there.',
    ]);
  });

  it('does not take lowercase todo or words that merely contain a keyword', () => {
    expect(extractDecisions('Updated the todo list.\nThe difference is small.\nPresumably fine.')).toEqual([]);
  });
});
