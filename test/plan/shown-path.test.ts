import { describe, expect, it } from 'vitest';
import { shownPath } from '../../src/plan/shown-path.js';

describe('shownPath', () => {
  it('shows a path from where the user is, the folder they are in as `.`, and a path elsewhere whole', () => {
    expect(shownPath('/repo/specs/tasks.md', '/repo')).toBe('specs/tasks.md');
    expect(shownPath('/repo', '/repo')).toBe('.');
    expect(shownPath('/elsewhere/tasks.md', '/repo')).toBe('/elsewhere/tasks.md');
  });
});
