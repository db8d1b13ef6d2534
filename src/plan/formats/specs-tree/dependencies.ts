import type { Task } from '../../types.js';

/*
 * The implied order of a specs tree, all of it 'phase-order' edges sourced at the dependent task:
 * within a spec, layer by layer (each task of a layer waits for every task of the nearest lower
 * layer that has tasks); across specs, a spec's first layer waits for the last layer of each spec
 * it depends on and of each spec of the previous phase. A spec without tasks passes its own
 * prerequisites on, so the order through it is kept.
 */

export interface SpecTasks {
  spec: string;
  phase: number;
  /** Known spec ids this spec depends on. */
  dependencies: string[];
  tasks: Task[];
  /** `layers[i]` is the layer of `tasks[i]`. */
  layers: number[];
}

/** The spec's tasks by layer, lowest layer first. */
function layersOf(spec: SpecTasks): Task[][] {
  const byLayer = new Map<number, Task[]>();
  spec.tasks.forEach((t, i) => {
    const layer = spec.layers[i] as number;
    const list = byLayer.get(layer);
    if (list) list.push(t);
    else byLayer.set(layer, [t]);
  });
  return [...byLayer.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

function addDeps(task: Task, on: readonly Task[]): void {
  const have = new Set(task.deps.map((d) => d.id));
  for (const dep of on) {
    if (dep === task || have.has(dep.id)) continue;
    have.add(dep.id);
    task.deps.push({ id: dep.id, kind: 'phase-order', source: task.source });
  }
}

/** Fills `deps` of every task; `specs` are in run order. */
export function linkTasks(specs: SpecTasks[]): void {
  const byId = new Map(specs.map((s) => [s.spec, s]));
  const layers = new Map(specs.map((s) => [s.spec, layersOf(s)]));
  const phaseNumbers = [...new Set(specs.map((s) => s.phase))].sort((a, b) => a - b);
  const specsOfPhase = new Map<number, SpecTasks[]>();
  for (const s of specs) {
    const list = specsOfPhase.get(s.phase);
    if (list) list.push(s);
    else specsOfPhase.set(s.phase, [s]);
  }

  const prerequisites = (spec: SpecTasks): SpecTasks[] => {
    const out: SpecTasks[] = [];
    const previous = phaseNumbers[phaseNumbers.indexOf(spec.phase) - 1];
    if (previous !== undefined) out.push(...(specsOfPhase.get(previous) ?? []));
    for (const id of spec.dependencies) {
      const dep = byId.get(id);
      if (dep && !out.includes(dep)) out.push(dep);
    }
    return out;
  };

  /** The tasks that finish `spec`: its last layer, or for a spec without tasks, what finishes its prerequisites. */
  const exitMemo = new Map<string, Task[]>();
  const exits = (spec: SpecTasks, visiting: Set<string>): Task[] => {
    const memo = exitMemo.get(spec.spec);
    if (memo) return memo;
    const own = layers.get(spec.spec) as Task[][];
    const last = own[own.length - 1];
    if (last) {
      exitMemo.set(spec.spec, last);
      return last;
    }
    // A cycle through specs without tasks has no tasks to wait for; the graph stage reports cycles.
    if (visiting.has(spec.spec)) return [];
    visiting.add(spec.spec);
    const out: Task[] = [];
    for (const p of prerequisites(spec)) for (const t of exits(p, visiting)) if (!out.includes(t)) out.push(t);
    visiting.delete(spec.spec);
    exitMemo.set(spec.spec, out);
    return out;
  };

  for (const spec of specs) {
    const own = layers.get(spec.spec) as Task[][];
    if (own.length === 0) continue;
    const entry: Task[] = [];
    const seen = new Set<Task>();
    for (const p of prerequisites(spec)) {
      for (const t of exits(p, new Set([spec.spec]))) {
        if (!seen.has(t)) {
          seen.add(t);
          entry.push(t);
        }
      }
    }
    for (const t of own[0] as Task[]) addDeps(t, entry);
    for (let k = 1; k < own.length; k++) {
      for (const t of own[k] as Task[]) addDeps(t, own[k - 1] as Task[]);
    }
  }
}
