import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/plan/diagnostic.js';
import { loadExecution, readExecution } from '../../src/state/execution.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The state folder with `execution.json` holding `text` (nothing when undefined) and no journal. */
function books(text: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'taskwave-exec-'));
  dirs.push(dir);
  const execution = join(dir, 'execution.json');
  if (text !== undefined) writeFileSync(execution, text);
  return { execution, journal: join(dir, 'journal.jsonl') };
}

describe('readExecution', () => {
  it('tells no snapshot from an unreadable one', () => {
    const none = books(undefined);
    expect(readExecution(none.execution, none.journal)).toEqual({ ok: true, value: undefined });

    const torn = books('{\n  "version": 1,\n  garbage\n');
    const r = readExecution(torn.execution, torn.journal);
    if (r.ok) throw new Error('read');
    expect(formatDiagnostic(r.error)).toMatch(
      /execution\.json:3:3: error: the last run's state is unreadable \(invalid JSON: unexpected character\)/,
    );
    // Callers that only want a state to build on still get none, as before.
    expect(loadExecution(torn.execution, torn.journal)).toBeUndefined();
  });

  it('refuses JSON that is no snapshot instead of throwing on it', () => {
    for (const [text, why] of [
      ['null', 'it is not a JSON object'],
      ['[]', 'it is not a JSON object'],
      ['{"version": 2}', 'version 2 is not one this taskwave reads'],
      ['{"version": 1, "runId": "r", "plan": {}}', 'it holds no tasks'],
    ] as const) {
      const b = books(text);
      const r = readExecution(b.execution, b.journal);
      if (r.ok) throw new Error(`read ${text}`);
      expect(r.error.message).toContain(why);
    }
  });
});
