import { describe, expect, it } from 'vitest';
import { displayPath } from '../../src/cli/output.js';

describe('displayPath', () => {
  it('shows a path from where the user is, the folder they are in as `.`, and a path elsewhere whole', () => {
    expect(displayPath('/repo/specs/tasks.md', '/repo')).toBe('specs/tasks.md');
    expect(displayPath('/repo', '/repo')).toBe('.');
    expect(displayPath('/elsewhere/tasks.md', '/repo')).toBe('/elsewhere/tasks.md');
  });
});
