import type { Phase, Plan, Task, TaskStatus } from '../../src/plan/types.js';

export const FILE = '/repo/tasks.md';

export interface TaskSpec {
  id: string;
  deps?: string[];
  phase?: string;
  status?: TaskStatus;
  optional?: boolean;
  estimate?: number;
  files?: string[];
}

/**
 * Tasks built directly (no parser). Task i sits on line i + 1, column 1; its k-th dependency is
 * written on the same line at column 20 + k.
 */
export function makeTasks(specs: (TaskSpec | string)[]): Task[] {
  return specs.map((s, i) => {
    const spec = typeof s === 'string' ? { id: s } : s;
    const line = i + 1;
    return {
      id: spec.id,
      idKind: 'explicit',
      title: `do ${spec.id}`,
      body: '',
      phase: spec.phase ?? '1',
      deps: (spec.deps ?? []).map((id, k) => ({ id, kind: 'explicit', source: { file: FILE, line, column: 20 + k } })),
      status: spec.status ?? 'pending',
      optional: spec.optional ?? false,
      parallel: false,
      tags: [],
      requirements: [],
      files: spec.files ?? [],
      criteria: [],
      ...(spec.estimate === undefined ? {} : { estimateMinutes: spec.estimate }),
      source: { file: FILE, line, column: 1 },
    };
  });
}

export function makePlan(specs: (TaskSpec | string)[], phases: { id: string; title: string }[] = []): Plan {
  const phaseList: Phase[] = phases.map((p, i) => ({
    ...p,
    source: { file: FILE, line: 1000 + i, column: 1 },
    criteria: [],
  }));
  return { format: 'test', path: FILE, tasks: makeTasks(specs), phases: phaseList, documents: [], warnings: [] };
}

/** Where makeTasks puts the k-th dependency of the task with plan index i. */
export const depAt = (i: number, k = 0) => ({ file: FILE, line: i + 1, column: 20 + k });
export const taskAt = (i: number) => ({ file: FILE, line: i + 1, column: 1 });
