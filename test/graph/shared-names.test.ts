import { describe, expect, it } from 'vitest';
import { buildGraph, otherNamers } from '../../src/graph/index.js';
import { makeTasks } from './helpers.js';

describe('otherNamers', () => {
  it('names a sibling or a later task that names the file too, never a prerequisite or the task itself', () => {
    const others = otherNamers(
      buildGraph(
        makeTasks([
          { id: 'A', files: ['src/shared.py'] },
          { id: 'B', deps: ['A'], files: ['src/b.py'] },
          // C comes after A through B: A is its prerequisite, D its sibling, E after it.
          { id: 'C', deps: ['B'], files: ['src/shared.py', 'src/b.py', 'src/own.py'] },
          { id: 'D', deps: ['B'], files: ['src/shared.py'] },
          { id: 'E', deps: ['C'], files: ['src/b.py'] },
        ]),
      ),
    );
    // Prerequisites have run (B directly, C through another): their files are no reason to pass over a missing one.
    expect(others('E', 'src/b.py')).toBeUndefined();
    // D, a sibling, may not have run yet.
    expect(others('C', 'src/shared.py')).toBe('D');
    expect(others('D', 'src/shared.py')).toBe('C');
    // E runs after C.
    expect(others('C', 'src/b.py')).toBe('E');
    // A file nobody else names is the task's own.
    expect(others('C', 'src/own.py')).toBeUndefined();
    expect(others('A', 'src/shared.py')).toBe('C');
    expect(others('nobody', 'src/shared.py')).toBeUndefined();
  });

  it('no longer names a sibling that has landed since the run began: the one verified last is held to the file', () => {
    const landed = new Set<string>();
    const others = otherNamers(
      buildGraph(
        makeTasks([
          { id: 'C', files: ['src/shared.py'] },
          { id: 'D', files: ['src/shared.py'] },
        ]),
      ),
      (id) => landed.has(id),
    );
    expect(others('D', 'src/shared.py')).toBe('C');
    landed.add('C');
    expect(others('D', 'src/shared.py')).toBeUndefined();
  });

  it('matches a name given by its last parts, and as written by another format (./, backslashes, a folder)', () => {
    const others = otherNamers(
      buildGraph(
        makeTasks([
          { id: 'A', files: ['src/models/user.py', 'src\\api\\routes.ts', 'src/components/'] },
          { id: 'B', files: ['user.py', './src/api/routes.ts', 'src/components', 'other/user.py'] },
        ]),
      ),
    );
    expect(others('B', 'user.py')).toBe('A');
    expect(others('A', 'src/models/user.py')).toBe('B');
    expect(others('B', 'src/api/routes.ts')).toBe('A');
    expect(others('B', 'src/components/')).toBe('A');
    // A bare name may be any file of that name; a path in another folder is another file.
    expect(others('A', 'lib/models/user.py')).toBe('B');
    expect(others('B', 'other/user.py')).toBeUndefined();
  });

  it('leaves out done and skipped tasks: whichever task naming the file runs last is held to it', () => {
    const others = otherNamers(
      buildGraph(
        makeTasks([
          { id: 'A', status: 'done', files: ['src/x.py'] },
          { id: 'B', status: 'skipped', files: ['src/x.py'] },
          { id: 'C', files: ['src/x.py'] },
        ]),
      ),
    );
    expect(others('C', 'src/x.py')).toBeUndefined();
  });
});
