import { describe, expect, it } from 'vitest';
import {
  dependencyMentions,
  effortMinutes,
  parseField,
  setFieldValue,
  statusFromText,
} from '../../src/plan/formats/claudio/fields.js';
import { cellText, findTable, plainCell, rowCells, setCell } from '../../src/plan/formats/claudio/md-table.js';
import { stampLike } from '../../src/plan/formats/claudio/stamps.js';
import { joinText, splitText } from '../../src/plan/formats/claudio/text-file.js';

describe('markdown table helper', () => {
  const doc = [
    '# Books',
    '',
    '```',
    '| Task ID | Status |',
    '|---|---|',
    '| 9.9 | fenced |',
    '```',
    '| Phase | Completed |',
    '|-------|-----------|',
    '| Phase 1 | 0 |',
    '',
    '| **Task ID** | Name | Status |',
    '|:--------|------|-------:|',
    '| 1.1 | A \\| B | Not Started |',
    '| `1.2` | C | **Done** |',
    'after the table',
  ];

  it('finds a table by its header cells, outside code fences', () => {
    const t = findTable(doc, (cols) => cols.includes('task id') && cols.includes('status'));
    expect(t).toEqual({ headerLine: 11, columns: ['task id', 'name', 'status'], rows: [13, 14], aligned: false });
    expect(findTable(doc, (cols) => cols[0] === 'phase')?.rows).toEqual([9]);
    expect(findTable(doc, (cols) => cols.includes('owner'))).toBeUndefined();
  });

  it('reads cells without their markup, escaped pipes kept in the cell', () => {
    expect(cellText(doc[13] as string, 1)).toBe('A | B');
    expect(cellText(doc[14] as string, 0)).toBe('1.2');
    expect(cellText(doc[14] as string, 2)).toBe('Done');
    expect(cellText(doc[14] as string, 3)).toBeUndefined();
    expect(plainCell(' **`x`** ')).toBe('x');
    expect(rowCells('no pipes here')).toBeUndefined();
    expect(rowCells('a | b')?.length).toBe(2);
  });

  it('rewrites one cell keeping the spaces around it in a compact table', () => {
    expect(setCell('| 1.1 | A | Not Started |', 2, 'Completed')).toBe('| 1.1 | A | Completed |');
    expect(setCell('|1.1|A|Not Started|', 2, 'Completed')).toBe('|1.1|A|Completed|');
    expect(setCell('| **Total** | **24** | **0%** |', 1, '25')).toBe('| **Total** | **25** | **0%** |');
    expect(setCell('| 1.1 | x |', 1, 'a|b')).toBe('| 1.1 | a\\|b |');
    expect(setCell('1.1 | Not Started', 1, 'Done')).toBe('1.1 | Done');
    expect(setCell('| 1.1 | x |', 5, 'y')).toBeUndefined();
  });

  it('keeps the width of a cell of an aligned table, growing only that cell when the text is longer', () => {
    const aligned = ['| Id  | Status      | Note |', '|-----|-------------|------|', '| 1.1 | Not Started | n    |'];
    expect(findTable(aligned, () => true)?.aligned).toBe(true);
    expect(setCell(aligned[2] as string, 1, 'Completed', true)).toBe('| 1.1 | Completed   | n    |');
    expect(setCell(aligned[2] as string, 1, 'Completed with notes', true)).toBe(
      '| 1.1 | Completed with notes | n    |',
    );
    expect(setCell('| 1.1 | **0**   |', 1, '12', true)).toBe('| 1.1 | **12**  |');
  });
});

describe('field lines', () => {
  it('reads bold labels with the colon inside or outside, as list items too', () => {
    expect(parseField('**Effort**: 3 days  ')).toEqual({
      name: 'effort',
      value: '3 days',
      valueStart: 12,
      valueEnd: 18,
      listItem: false,
    });
    expect(parseField('- **Current Status**: Not Started')).toMatchObject({ name: 'current status', listItem: true });
    expect(parseField('**Status:** Done')).toMatchObject({ name: 'status', value: 'Done' });
    expect(parseField('__Priority__: High')).toMatchObject({ name: 'priority', value: 'High' });
    expect(parseField('**Bold words** without a colon')).toBeUndefined();
    expect(parseField('| **Total** | 1 |')).toBeUndefined();
  });

  it('rewrites the value only', () => {
    const line = '- **Status**: Not Started  ';
    expect(setFieldValue(line, parseField(line) as NonNullable<ReturnType<typeof parseField>>, 'Completed')).toBe(
      '- **Status**: Completed  ',
    );
    const empty = '**Status**:';
    expect(setFieldValue(empty, parseField(empty) as NonNullable<ReturnType<typeof parseField>>, 'Completed')).toBe(
      '**Status**: Completed',
    );
  });

  it('reads efforts in minutes: days of 8 hours, weeks of 5 days, the upper bound of a range', () => {
    expect(effortMinutes('3 days')).toBe(1440);
    expect(effortMinutes('2-3 days')).toBe(1440);
    expect(effortMinutes('1–2 weeks')).toBe(4800);
    expect(effortMinutes('4 hours')).toBe(240);
    expect(effortMinutes('1.5d')).toBe(720);
    expect(effortMinutes('45 min')).toBe(45);
    expect(effortMinutes('2 to 4 hrs')).toBe(240);
    expect(effortMinutes('3 months')).toBeUndefined();
    expect(effortMinutes('Large')).toBeUndefined();
  });

  it('maps status words', () => {
    expect(['Completed', 'Complete', 'Done', '✅ Completed', 'completed (2025-06-30)'].map(statusFromText)).toEqual(
      Array(5).fill('done'),
    );
    expect(['In Progress', 'in-progress', 'Started'].map(statusFromText)).toEqual(Array(3).fill('in-progress'));
    expect(['Not Started', 'Pending', 'Blocked', 'Ready to begin'].map(statusFromText)).toEqual(
      Array(4).fill('pending'),
    );
    expect(statusFromText('Cancelled')).toBe('cancelled');
    expect(statusFromText('Canceled')).toBe('cancelled');
    expect(statusFromText('Deferred')).toBe('deferred');
    expect(statusFromText('Not Completed')).toBeUndefined();
  });

  it('reads the tasks a dependency value names', () => {
    const of = (v: string): string[] => dependencyMentions(v, '3').map((m) => m.id);
    expect(of('None')).toEqual([]);
    expect(of('None (foundation task)')).toEqual([]);
    expect(of('-')).toEqual([]);
    expect(of('Task 1.1, Task 1.2')).toEqual(['1.1', '1.2']);
    expect(of('1.1, 1.2')).toEqual(['1.1', '1.2']);
    expect(of('Tasks 1.5 and 1.6')).toEqual(['1.5', '1.6']);
    expect(of('Tasks 3.1-3.3')).toEqual(['3.1', '3.2', '3.3']);
    expect(of('Task 1.1 (OAuth 2.0 Setup)')).toEqual(['1.1']);
    expect(of('Can run in parallel with Task 1.2')).toEqual([]);
    expect(of('Task 1.1; in parallel with Task 1.2; Task 1.3')).toEqual(['1.1', '1.3']);
    expect(of('Task 2')).toEqual(['3.2']);
    expect(of('All previous phases complete')).toEqual([]);
    expect(dependencyMentions('Task 1.1, Task 1.2', '1')).toEqual([
      { id: '1.1', offset: 5 },
      { id: '1.2', offset: 15 },
    ]);
  });
});

describe('dates and text files', () => {
  const now = new Date('2025-08-01T07:05:09Z');
  it('stamps a date the way the file wrote the last one', () => {
    expect(stampLike('2025-06-26 14:30:00 UTC', now)).toBe('2025-08-01 07:05:09 UTC');
    expect(stampLike('2025-06-26', now)).toBe('2025-08-01');
    expect(stampLike('2025-06-26T14:30:00Z', now)).toBe('2025-08-01T07:05:09Z');
    expect(stampLike('June 22, 2025', now)).toBe('August 1, 2025');
    expect(stampLike('[Initial status]', now)).toBe('2025-08-01 07:05:09 UTC');
  });

  it('splits and joins a file back to the same text: BOM, CRLF, LF, no final newline', () => {
    for (const text of ['\ufeffa\r\nb\r\n', 'a\nb', 'a\r\nb\nc', '', '\n\n']) {
      expect(joinText(splitText(text))).toBe(text);
    }
    expect(splitText('\ufeffa\r\nb').lines).toEqual(['a', 'b']);
  });
});
