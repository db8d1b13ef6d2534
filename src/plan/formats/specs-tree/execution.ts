import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { err, ok, type Result } from '../../../result.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { errorMessage } from '../../../util/error-message.js';
import { type Diagnostic, errorAt } from '../../diagnostic.js';
import type { Plan, PlanProgress, SpecInfo, Task, TaskProgress } from '../../types.js';
import { parseJsonDocument } from '../json-file.js';
import { executionFile } from './layout.js';

/*
 * The specs tree's own books of a run: `.claude/execution/execution.json`, with a `session`, one entry
 * per spec (status, counts, what remains, which agent ran each role) and `overall` counts. Keys this
 * module does not write (another tool's, a person's) are kept as they are.
 */

type SpecStatus = 'pending' | 'in_progress' | 'partial' | 'completed';
type JsonObject = Record<string, unknown>;

const SESSION_STATUS: Record<PlanProgress['status'], string> = {
  running: 'running',
  done: 'completed',
  failed: 'failed',
  interrupted: 'interrupted',
};

/** The task's state for the books: the run's word when it has one, else the plan's. */
function stateOf(task: Task, progress: PlanProgress): TaskProgress['status'] {
  const p = progress.tasks[task.id];
  // A task whose merge conflicted did not land: for the spec's books it failed.
  if (p) return p.status === 'conflict' || p.status === 'unverified' ? 'failed' : p.status;
  if (task.status === 'done' || task.status === 'skipped') return task.status;
  return task.status === 'cancelled' ? 'cancelled' : 'pending';
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function earliest(values: (string | undefined)[]): string | undefined {
  let out: string | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v < out)) out = v;
  return out;
}

function latest(values: (string | undefined)[]): string | undefined {
  let out: string | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v > out)) out = v;
  return out;
}

function specStatus(states: TaskProgress['status'][], runRunning: boolean): SpecStatus {
  const done = states.filter((s) => s === 'done' || s === 'skipped').length;
  if (states.length > 0 && done === states.length) return 'completed';
  if (states.includes('failed') || (done > 0 && states.includes('blocked'))) return 'partial';
  if (runRunning && (done > 0 || states.includes('running'))) return 'in_progress';
  return done > 0 ? 'partial' : 'pending';
}

function specEntry(spec: SpecInfo, tasks: Task[], progress: PlanProgress, previous: unknown): JsonObject {
  const before = isObject(previous) ? previous : {};
  const states = tasks.map((t) => stateOf(t, progress));
  const status = specStatus(states, progress.status === 'running');
  const runs = tasks.map((t) => progress.tasks[t.id]);
  const agents: Record<string, string | null> = {};
  tasks.forEach((t, i) => {
    if (t.role === undefined) return;
    const agent = runs[i]?.agent ?? null;
    if (!Object.hasOwn(agents, t.role) || agents[t.role] === null) agents[t.role] = agent;
  });
  const started = earliest(runs.map((r) => r?.startedAt)) ?? before.started_at ?? null;
  const completed =
    status === 'completed' ? (latest(runs.map((r) => r?.endedAt)) ?? before.completed_at ?? progress.updatedAt) : null;
  const updated = latest(runs.flatMap((r) => [r?.startedAt, r?.endedAt])) ?? before.updated_at ?? null;
  return {
    ...before,
    name: spec.title,
    kind: spec.kind,
    phase: Number(spec.phase),
    status,
    tasks_total: tasks.length,
    tasks_completed: states.filter((s) => s === 'done' || s === 'skipped').length,
    remaining: tasks.filter((_, i) => states[i] !== 'done' && states[i] !== 'skipped').map((t) => t.title),
    agents_mapped: agents,
    started_at: started,
    completed_at: completed,
    updated_at: updated,
  };
}

/** The new contents of execution.json, given what the file holds now (if anything). */
export function executionBooks(plan: Plan, progress: PlanProgress, existing: unknown): JsonObject {
  const base = isObject(existing) ? existing : {};
  const oldSpecs = isObject(base.specs) ? base.specs : {};
  const specs: JsonObject = { ...oldSpecs };
  const counts = { pending: 0, in_progress: 0, partial: 0, completed: 0 };
  let tasksTotal = 0;
  let tasksCompleted = 0;
  let tasksFailed = 0;
  const bySpec = new Map<string, Task[]>();
  for (const t of plan.tasks) {
    if (t.spec === undefined) continue;
    const list = bySpec.get(t.spec);
    if (list) list.push(t);
    else bySpec.set(t.spec, [t]);
  }
  for (const spec of plan.specs ?? []) {
    const tasks = bySpec.get(spec.id) ?? [];
    const entry = specEntry(spec, tasks, progress, oldSpecs[spec.id]);
    specs[spec.id] = entry;
    counts[entry.status as SpecStatus]++;
    tasksTotal += tasks.length;
    tasksCompleted += entry.tasks_completed as number;
    tasksFailed += tasks.filter((t) => progress.tasks[t.id]?.status === 'failed').length;
  }
  const session = isObject(base.session) ? base.session : {};
  const overall = isObject(base.overall) ? base.overall : {};
  return {
    ...base,
    session: {
      ...session,
      id: progress.runId,
      started_at: progress.startedAt,
      updated_at: progress.updatedAt,
      status: SESSION_STATUS[progress.status],
      tool: 'taskwave',
    },
    specs,
    overall: {
      ...overall,
      specs_total: plan.specs?.length ?? 0,
      specs_completed: counts.completed,
      specs_in_progress: counts.in_progress,
      specs_partial: counts.partial,
      specs_pending: counts.pending,
      tasks_total: tasksTotal,
      tasks_completed: tasksCompleted,
      tasks_failed: tasksFailed,
    },
  };
}

/** Brings `.claude/execution/execution.json` up to date; a file that is not JSON is left alone. */
export async function recordExecution(plan: Plan, progress: PlanProgress): Promise<Result<string, Diagnostic>> {
  const file = executionFile(plan.path);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      return err(errorAt(undefined, `cannot read ${file}: ${errorMessage(e)}`));
    }
  }
  let existing: unknown;
  if (text !== undefined && text.trim() !== '') {
    const parsed = parseJsonDocument(text, file);
    if (!parsed.ok) {
      const first = parsed.error[0] as Diagnostic;
      return err({ ...first, message: `${first.message}; not overwriting it` });
    }
    existing = parsed.value.value;
  }
  const out = `${JSON.stringify(executionBooks(plan, progress, existing), null, 2)}\n`;
  if (out === text) return ok(file);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, out);
  } catch (e) {
    return err(errorAt(undefined, `cannot write ${file}: ${errorMessage(e)}`));
  }
  return ok(file);
}
