import { dirname } from 'node:path';
import { resolveAgent } from '../agents/registry.js';
import type { AgentAdapter } from '../agents/types.js';
import { bridgeDoneTasks, buildGraph, type TaskGraph, validateGraph } from '../graph/index.js';
import type { Diagnostic } from '../plan/diagnostic.js';
import { errorAt } from '../plan/diagnostic.js';
import { loadPlan } from '../plan/registry.js';
import type { Plan, PlanFormat } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { isDirectory } from '../util/fs-kind.js';
import { findRoot } from '../workspace/repo.js';
import { type Config, findConfig, loadConfig } from './config.js';

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
  const loaded = await loadPlan(planPath, opts.format, { tag: opts.tag });
  if (!loaded.ok) return loaded;
  const { format } = loaded.value;
  const read = loaded.value.plan.tasks;
  // One graph for validation, bridging and the run: a wide plan's graph has millions of edges.
  const validated = buildGraph(read);
  const graphErrors = validateGraph(validated);
  if (graphErrors.length > 0) return err(graphErrors);
  const tasks = bridgeDoneTasks(read, undefined, validated);
  const graph = tasks.every((t, i) => t === read[i]) ? validated : buildGraph(tasks);
  const plan: Plan = { ...loaded.value.plan, tasks };
  // A folder plan (a repository root, `.claudio/`) starts the search in itself.
  const planDir = isDirectory(plan.path) ? plan.path : dirname(plan.path);
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

export function parsePositiveInt(value: string, flag: string): Result<number, Diagnostic[]> {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    return err([errorAt(undefined, `${flag} expects a whole number of at least 1, got '${value}'`)]);
  return ok(n);
}
