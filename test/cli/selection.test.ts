import { describe, expect, it } from 'vitest';
import { emptyScopeFlags, onlyIds } from '../../src/cli/selection.js';

describe('onlyIds', () => {
  const ids = new Set(['setup db', 'setup', 'db', 'api', 'T001', 'T002']);
  const isId = (id: string) => ids.has(id);

  it('takes a whole value that is an id, even with a space in it, before splitting it', () => {
    expect(onlyIds(['setup db'], isId)).toEqual(['setup db']);
    expect(onlyIds([' setup db '], isId)).toEqual(['setup db']);
    expect(onlyIds(['setup db', 'api'], isId)).toEqual(['setup db', 'api']);
  });

  it('splits what is no id: at commas first (a part may be an id with a space), then at whitespace', () => {
    expect(onlyIds(['setup db,api'], isId)).toEqual(['setup db', 'api']);
    expect(onlyIds(['T001,T002', 'T001 T002'], isId)).toEqual(['T001', 'T002']);
    expect(onlyIds(['api setup'], isId)).toEqual(['api', 'setup']);
    // What names nothing is kept, split, for the selection to refuse as unknown ids.
    expect(onlyIds(['nope x', 'T009'], isId)).toEqual(['nope', 'x', 'T009']);
  });

  it('leaves an --only that is empty once split to the empty-scope error', () => {
    for (const only of [[''], [',,,'], [' , ', '']]) {
      expect(emptyScopeFlags({ only }).map((d) => d.message)).toEqual([
        '--only was given nothing to select (it is empty); give it task ids, e.g. --only T001,T002',
      ]);
    }
    expect(emptyScopeFlags({ only: ['setup db'] })).toEqual([]);
  });
});
