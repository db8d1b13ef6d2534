import { resolve, sep } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import type { Plan, PlanFormat } from '../types.js';
import { readTree } from './claudio/read.js';
import { phaseDirs, scopeOf } from './claudio/tree.js';
import { claudioBookFiles, recordTaskDone } from './claudio/write.js';

/*
 * Claudio's `.claudio/` tree: `phaseN/tasks.md` (or `phases/phaseN/tasks.md`) with `## Task N.M:`
 * sections, a `status.md` and `claude.md` per task folder, and books per phase and project. The work
 * is in `claudio/`: `tree.ts` (where the files are), `tasks-file.ts` (one phase's tasks), `fields.ts`
 * (field lines, efforts, statuses, dependency lists), `read.ts` (the plan), `write.ts` and `books.ts`
 * (recording a finished task), `md-table.ts` (editing one table cell) and `text-file.ts`.
 */

const inside = (file: string, dir: string): boolean => file.startsWith(dir + sep);

/**
 * Only the tasks of one phase, from a read of the whole tree (so dependencies on other phases' tasks
 * can be told from ids that name no task). Those dependencies are dropped: a warning says so when the
 * task they wait for is not done.
 */
function onlyPhase(plan: Plan, phaseDir: string, phaseId: string): Plan {
  const tasks = plan.tasks.filter((t) => t.phase === phaseId);
  const kept = new Set(tasks.map((t) => t.id));
  const all = new Map(plan.tasks.map((t) => [t.id, t]));
  const warnings = plan.warnings.filter((w) => !w.location || inside(w.location.file, phaseDir));
  let earlierPhaseOpen = false;
  for (const t of tasks) {
    t.deps = t.deps.filter((d) => {
      const other = all.get(d.id);
      // An id that names no task stays, for the graph stage to report where it is written.
      if (kept.has(d.id) || !other) return true;
      if (other.status === 'done' || other.status === 'skipped') return false;
      if (d.kind === 'phase-order') earlierPhaseOpen = true;
      else {
        warnings.push({
          severity: 'warning',
          location: d.source,
          message: `task ${t.id} depends on ${d.id} of phase ${other.phase}, which is not done; reading one phase does not wait for it`,
        });
      }
      return false;
    });
  }
  const phase = plan.phases.find((p) => p.id === phaseId);
  if (earlierPhaseOpen && phase) {
    warnings.push({
      severity: 'warning',
      location: phase.source,
      message: `an earlier phase is not finished; reading phase ${phaseId} alone does not wait for it`,
    });
  }
  return { ...plan, tasks, phases: phase ? [phase] : [], warnings };
}

export const claudioFormat: PlanFormat = {
  name: 'claudio',
  describe: '.claudio/ (phaseN/tasks.md with ## Task N.M sections)',

  async detect(path: string): Promise<boolean> {
    const scope = scopeOf(path);
    if (!scope) return false;
    if (scope.phaseDir || resolve(path) === scope.root) return true;
    return phaseDirs(scope.root).phases.length > 0;
  },

  async read(path: string): Promise<Result<Plan, Diagnostic[]>> {
    const abs = resolve(path);
    const scope = scopeOf(abs);
    if (!scope)
      return err([errorAt(undefined, `${path} is not a .claudio folder, a folder holding one, or a phase's tasks.md`)]);
    const tree = readTree(scope.root, abs);
    if (!scope.phaseDir) return tree.errors.length > 0 ? err(tree.errors) : ok(tree.plan);
    const phaseDir = scope.phaseDir;
    const phase = phaseDirs(scope.root).phases.find((p) => p.dir === phaseDir);
    if (!phase) {
      return err([errorAt(undefined, `${path}: the same phase under ${scope.root}/phases is the one read; use that`)]);
    }
    const errors = tree.errors.filter((e) => !e.location || inside(e.location.file, phaseDir));
    return errors.length > 0 ? err(errors) : ok(onlyPhase(tree.plan, phaseDir, phase.id));
  },

  async writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>> {
    if (status !== 'done') return err(errorAt(undefined, `cannot record status ${String(status)} in a Claudio tree`));
    return recordTaskDone(plan.path, taskId, new Date());
  },

  bookFiles(plan: Plan): string[] {
    return claudioBookFiles(plan.path);
  },
};
