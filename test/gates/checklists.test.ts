import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findOpenChecklists } from '../../src/gates/checklists.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A spec-kit feature folder `specs/001-auth/` with `tasks.md` and the given files. */
function spec(files: Record<string, string>): { root: string; feature: string; plan: string } {
  const root = mkdtempSync(join(tmpdir(), 'taskwave-checklists-'));
  dirs.push(root);
  const feature = join(root, 'specs', '001-auth');
  for (const [p, t] of Object.entries({ 'tasks.md': '- [ ] T001 Do it\n', ...files })) {
    mkdirSync(dirname(join(feature, p)), { recursive: true });
    writeFileSync(join(feature, p), t);
  }
  return { root, feature, plan: join(feature, 'tasks.md') };
}

const HINT = '(taskwave run --ignore-checklists to run anyway)';

describe('findOpenChecklists', () => {
  it('reports every unticked item at its place', () => {
    const { feature, plan } = spec({
      'checklists/requirements.md': [
        '# Requirements checklist',
        '',
        '- [x] CHK001 Are all user stories testable?',
        '- [ ] CHK002 Are error responses specified? [Gap]',
        '  - [ ] CHK003 Is the session timeout defined?',
        '* [X] CHK004 Done with a star',
        '',
      ].join('\n'),
      'checklists/security.md': '1. [ ] CHK101 Is rate limiting specified?\n',
    });
    const req = join(feature, 'checklists', 'requirements.md');
    expect(findOpenChecklists(plan)).toEqual([
      {
        severity: 'error',
        location: { file: req, line: 4, column: 1 },
        message: `checklist item not done: CHK002 Are error responses specified? [Gap] ${HINT}`,
      },
      {
        severity: 'error',
        location: { file: req, line: 5, column: 3 },
        message: `checklist item not done: CHK003 Is the session timeout defined? ${HINT}`,
      },
      {
        severity: 'error',
        location: { file: join(feature, 'checklists', 'security.md'), line: 1, column: 1 },
        message: `checklist item not done: CHK101 Is rate limiting specified? ${HINT}`,
      },
    ]);
    // The folder itself works as the plan path too.
    expect(findOpenChecklists(feature)).toHaveLength(3);
  });

  it('ignores items in code fences and comments, and files that are not markdown', () => {
    const { plan } = spec({
      'checklists/ux.md': [
        '- [x] done',
        '```markdown',
        '- [ ] an example inside a fence',
        '```',
        '~~~~',
        '- [ ] tilde fence',
        '~~~~',
        '<!--',
        '- [ ] a commented-out item',
        '-->',
        '<!-- - [ ] one-line comment -->',
        'Some prose with - [ ] in the middle.',
      ].join('\n'),
      'checklists/notes.txt': '- [ ] not a checklist file\n',
    });
    expect(findOpenChecklists(plan)).toEqual([]);
  });

  it('finds nothing without a checklists folder, or with every item ticked', () => {
    expect(findOpenChecklists(spec({}).plan)).toEqual([]);
    expect(findOpenChecklists(spec({ 'checklists/a.md': '- [x] CHK001 ok\n- [X] CHK002 ok\n' }).plan)).toEqual([]);
    expect(findOpenChecklists('/no/such/plan/tasks.md')).toEqual([]);
  });
});
