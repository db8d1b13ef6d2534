import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { err, ok, type Result } from '../../result.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import { extractFileRefs, outsidePathWarning } from '../file-refs.js';
import { readPlanText, withDecodeWarnings } from '../plan-file.js';
import type { Plan, PlanFormat, Task } from '../types.js';
import { dedent, spanAt } from './markdown/lines.js';
import { addExplicitDependencies, addSprintOrder } from './platform-mode/dependencies.js';
import { statusesFromLogs } from './platform-mode/execution-log.js';
import { platformPlanFile } from './platform-mode/layout.js';
import { type PlanScan, type StoryDraft, scanPlan } from './platform-mode/plan-scan.js';
import { markStoryDone, recordRunLog } from './platform-mode/run-log.js';

/*
 * platform-mode (`.platform-mode/plans/planNNN.plan.md`): a sprint plan whose stories are the tasks
 * and whose sprints are the phases. The plan has no checkboxes for stories: their status lives in the
 * execution logs beside it (`.platform-mode/execution/executionNNN.execution.md`), and that is where
 * a run records its progress, in a log of its own.
 *
 * Modules: `platform-mode/plan-scan.ts` (the plan's lines), `tables.ts` (capacity tables),
 * `dependencies.ts` (Dependencies cells and sprint order), `execution-log.ts` (reading logs),
 * `log-render.ts` and `run-log.ts` (writing this run's log), `layout.ts` (where the files are).
 */

/** Story points are relative size, not time: an hour a point only weights stories against each other on the critical path. */
const MINUTES_PER_POINT = 60;

/** The body: the section's text without its acceptance criteria, then the external dependencies. */
function bodyOf(story: StoryDraft, external: readonly string[]): string {
  const lines: string[] = [];
  for (const line of dedent(story.body).split('\n')) {
    if (line === '' && (lines.length === 0 || lines[lines.length - 1] === '')) continue;
    lines.push(line);
  }
  while (lines[lines.length - 1] === '') lines.pop();
  if (external.length > 0) {
    if (lines.length > 0) lines.push('');
    for (const text of external) lines.push(`External dependency: ${text}`);
  }
  return lines.join('\n');
}

function buildPlan(scan: PlanScan, file: string): Result<Plan, Diagnostic[]> {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const tasks: Task[] = [];
  const seen = new Map<string, Task>();
  for (const s of scan.stories) {
    const source = spanAt(file, s.line, s.column);
    const first = seen.get(s.id);
    if (first) {
      errors.push(
        errorAt(source, `story ${s.id} is defined twice`, [{ ...first.source, message: 'first defined here' }]),
      );
      continue;
    }
    const task: Task = {
      id: s.id,
      idKind: 'explicit',
      title: s.title,
      body: '',
      phase: s.phase,
      deps: [],
      status: 'pending',
      optional: false,
      parallel: false,
      tags: s.epic === undefined ? [] : [`epic-${s.epic}`],
      requirements: [],
      files: [],
      criteria: s.criteria,
      source,
    };
    if (s.points !== undefined) task.estimateMinutes = s.points * MINUTES_PER_POINT;
    if (s.owner !== undefined) task.role = s.owner;
    seen.set(s.id, task);
    tasks.push(task);
  }
  if (tasks.length === 0) {
    errors.push(
      errorAt(
        { file, line: 1, column: 1 },
        'no stories found: expected lines such as "**Story 1.1: Title** (5 points)"',
      ),
    );
  }
  if (errors.length > 0) return err(errors);
  const external = addExplicitDependencies(tasks, scan.dependencies, warnings);
  addSprintOrder(
    tasks,
    scan.phases.map((p) => p.id),
  );
  scan.stories.forEach((s, k) => {
    const task = tasks[k] as Task;
    task.body = bodyOf(s, external.get(task.id) ?? []);
    const outside: string[] = [];
    task.files = extractFileRefs([task.title, task.body, ...task.criteria].join('\n'), outside);
    for (const path of outside) warnings.push(outsidePathWarning(task.id, path, task.source));
  });
  // Agents are told to read these: a link out of the project (`/etc/passwd`, `../../../..`) is not one.
  const project = dirname(dirname(dirname(file)));
  const documents: string[] = [];
  for (const reference of scan.references) {
    const path = resolve(dirname(file), reference);
    if (path === file || !existsSync(path)) continue;
    const rel = relative(project, path);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      warnings.push({
        severity: 'warning',
        location: spanAt(file, Math.max(0, scan.referencesLine), 0),
        message: `the plan's References name a document outside the repository (${reference}); taskwave ignores it`,
      });
      continue;
    }
    documents.push(path);
  }
  return ok({ format: 'platform-mode', path: file, tasks, phases: scan.phases, documents, warnings });
}

export const platformModeFormat: PlanFormat = {
  name: 'platform-mode',
  describe: '.platform-mode/plans/plan###.plan.md',

  async detect(path: string): Promise<boolean> {
    return (await platformPlanFile(resolve(path))) !== undefined;
  },

  async read(path: string): Promise<Result<Plan, Diagnostic[]>> {
    const abs = resolve(path);
    const file = (await platformPlanFile(abs)) ?? abs;
    const read = await readPlanText(file);
    if (!read.ok) return read;
    const built = withDecodeWarnings(buildPlan(scanPlan(read.value.text, file), file), read.value.warnings);
    if (!built.ok) return built;
    const plan = built.value;
    const statuses = await statusesFromLogs(file, plan.warnings);
    for (const t of plan.tasks) t.status = statuses.get(t.id) ?? 'pending';
    return ok(plan);
  },

  async writeStatus(plan: Plan, taskId: string, status: 'done', runId?: string): Promise<Result<void, Diagnostic>> {
    if (status !== 'done')
      return err(errorAt(undefined, `cannot record status ${String(status)} in a platform-mode plan`));
    return markStoryDone(plan, taskId, runId);
  },

  recordProgress: recordRunLog,
};
