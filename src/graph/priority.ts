/** A seeded PRNG (mulberry32): returns a function giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a hash of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A comparator for ready tasks (negative: `a` starts first): the longer remaining path first; ties by plan
 * order, or — with `shuffleSeed` — by a per-task random key drawn from that seed (a test mode that
 * flushes out missing edges; the same seed always gives the same order). Unknown ids count as a
 * remaining path of 0 and come after known ones in plan order, then by id.
 */
export function makePriority(
  remaining: ReadonlyMap<string, number>,
  order: ReadonlyMap<string, number>,
  shuffleSeed?: number,
): (a: string, b: string) => number {
  const keys = new Map<string, number>();
  const tieKey = (id: string): number => {
    let k = keys.get(id);
    if (k === undefined) {
      k = mulberry32(((shuffleSeed ?? 0) ^ fnv1a(id)) >>> 0)();
      keys.set(id, k);
    }
    return k;
  };
  return (a, b) => {
    if (a === b) return 0;
    const ra = remaining.get(a) ?? 0;
    const rb = remaining.get(b) ?? 0;
    if (ra !== rb) return rb - ra;
    if (shuffleSeed !== undefined) {
      const ka = tieKey(a);
      const kb = tieKey(b);
      if (ka !== kb) return ka - kb;
    }
    const oa = order.get(a) ?? Number.MAX_SAFE_INTEGER;
    const ob = order.get(b) ?? Number.MAX_SAFE_INTEGER;
    if (oa !== ob) return oa - ob;
    return a < b ? -1 : 1;
  };
}
