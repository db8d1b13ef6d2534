import { resolveAgent } from '../agents/registry.js';
import type { AgentAdapter } from '../agents/types.js';
import { bridgeDoneTasks, buildGraph, type TaskGraph, validateGraph } from '../graph/index.js';
import type { Diagnostic } from '../plan/diagnostic.js';
import { errorAt } from '../plan/diagnostic.js';
import { loadPlan } from '../plan/registry.js';
import type { Plan, PlanFormat } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { folderOf } from '../util/fs-kind.js';
import { findRoot } from '../workspace/repo.js';
import { type Config, findConfig, loadConfig, MAX_CONCURRENCY } from './config.js';

export interface PlanContext {
  /** The plan, its tasks' dependencies bridged over done ones (`bridgeDoneTasks`). */
  plan: Plan;
  /** The graph of `plan.tasks`. */
  graph: TaskGraph;
  format: PlanFormat;
  root: string;
  git: boolean;
  config: Config;
  configFile?: string;
}

/** Read and validate the plan, find the repository root and the config: everything before running. */
export async function loadPlanContext(
  planPath: string,
  opts: { format?: string; config?: string; tag?: string },
): Promise<Result<PlanContext, Diagnostic[]>> {
  // An empty --config would fall back to no config at all, silently.
  if (opts.config !== undefined && opts.config.trim() === '') {
    return err([errorAt(undefined, '--config was given an empty path; give it a file, e.g. --config taskwave.yaml')]);
  }
  const loaded = await loadPlan(planPath, opts.format, { tag: opts.tag });
  if (!loaded.ok) return loaded;
  const { format } = loaded.value;
  // Other formats would read the plan as if no tag were given: the user would run what they did not ask for.
  if (opts.tag !== undefined && format.name !== 'taskmaster') {
    return err([
      errorAt(
        undefined,
        `a tag ('${opts.tag}') was given, but only Taskmaster plans have tags and this is a ${format.name} plan: leave out --tag`,
      ),
    ]);
  }
  const read = loaded.value.plan.tasks;
  // One graph for validation, bridging and the run: a wide plan's graph has millions of edges.
  const validated = buildGraph(read);
  const graphErrors = validateGraph(validated);
  if (graphErrors.length > 0) return err(graphErrors);
  const tasks = bridgeDoneTasks(read, undefined, validated);
  const graph = tasks.every((t, i) => t === read[i]) ? validated : buildGraph(tasks);
  const plan: Plan = { ...loaded.value.plan, tasks };
  // A folder plan (a repository root, `.claudio/`) starts the search in itself.
  const planDir = folderOf(plan.path);
  const repo = findRoot(planDir);
  if (!repo.ok) return err([repo.error]);
  const { root, git } = repo.value;
  const configFile = opts.config ?? findConfig(planDir, root);
  const config = loadConfig(configFile);
  if (!config.ok) return config;
  return ok({ plan, graph, format, root, git, config: config.value.config, configFile: config.value.file });
}

export function pickAgent(ctx: PlanContext, name: string | undefined): Result<AgentAdapter, Diagnostic[]> {
  const r = resolveAgent(name ?? ctx.config.agent ?? 'claude', ctx.config.agents, ctx.configFile);
  return r.ok ? r : err([r.error]);
}

/**
 * A whole number from 1 to `max`, in plain decimal digits. The bound keeps a typo (or
 * "99999999999999999999 agents", which reads as 1e+20) from being taken as a limit, and `max` is
 * kept within the safe integers. `Number` alone would read `0x10` as 16 and `1e2` as 100.
 */
export function parsePositiveInt(value: string, flag: string, max = MAX_CONCURRENCY): Result<number, Diagnostic[]> {
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    return err([errorAt(undefined, `${flag} expects a whole number from 1 to ${max}, got '${value}'`)]);
  return ok(n);
}
