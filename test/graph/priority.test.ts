import { describe, expect, it } from 'vitest';
import { makePriority, mulberry32, planOrder, remainingPath } from '../../src/graph/index.js';
import { makeTasks } from './helpers.js';

// Three independent chains of different length, and many single tasks that tie.
const singles = Array.from({ length: 20 }, (_, i) => `S${String(i).padStart(2, '0')}`);
const tasks = makeTasks([
  ...singles,
  'A1',
  { id: 'A2', deps: ['A1'] },
  'B1',
  { id: 'B2', deps: ['B1'] },
  { id: 'B3', deps: ['B2'] },
]);
const all = tasks.map((t) => t.id);
const remaining = remainingPath(tasks, all);
const order = planOrder(tasks);

describe('makePriority', () => {
  it('puts the longer remaining path first, ties in plan order', () => {
    const sorted = [...all].reverse().sort(makePriority(remaining, order));
    expect(sorted).toEqual(['B1', 'A1', 'B2', ...singles, 'A2', 'B3']);
  });

  it('shuffles ties with a seed: deterministic per seed, different across seeds, remaining path kept', () => {
    const bySeed = (seed: number) => [...all].sort(makePriority(remaining, order, seed));
    const one = bySeed(1);
    const two = bySeed(2);
    expect(bySeed(1)).toEqual(one);
    expect(one).not.toEqual(two);
    for (const s of [one, two]) {
      // Remaining path order is kept: non-increasing along the list.
      const rems = s.map((id) => remaining.get(id) ?? 0);
      expect(rems).toEqual([...rems].sort((a, b) => b - a));
      expect(s.slice(0, 1)).toEqual(['B1']);
      expect(new Set(s.slice(1, 3))).toEqual(new Set(['A1', 'B2']));
    }
    // The tie group (remaining 1) is a permutation of the same ids, in a different order for the two seeds.
    const tieGroup = (s: string[]) => s.filter((id) => remaining.get(id) === 1);
    expect(new Set(tieGroup(one))).toEqual(new Set(tieGroup(two)));
    expect(tieGroup(one)).not.toEqual(tieGroup(two));
  });

  it('is a consistent comparator', () => {
    const cmp = makePriority(remaining, order, 7);
    for (const a of all) {
      expect(cmp(a, a)).toBe(0);
      for (const b of all) if (a !== b) expect(Math.sign(cmp(a, b))).toBe(-Math.sign(cmp(b, a)));
    }
  });
});

describe('mulberry32', () => {
  it('is deterministic and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(100);
  });
});
