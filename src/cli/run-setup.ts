import { builtInAgentNames } from '../agents/registry.js';
import type { AgentAdapter } from '../agents/types.js';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { err, ok, type Result } from '../result.js';
import { parseDuration } from '../util/duration.js';
import { terminalText } from '../util/terminal-text.js';
import { loadPlanContext, type PlanContext, parsePositiveInt, pickAgent } from './context.js';
import { describeHintOptions, type FocusScope, parseHints, resolveFocus } from './hints.js';
import { printDiagnostics } from './output.js';
import { type Route, routeTasks } from './routing.js';
import type { RunFlags } from './run-command.js';
import {
  emptyScopeFlags,
  nothingSelected,
  onlyIds,
  type PreparedRun,
  prepareRun,
  selectOptionsOf,
} from './selection.js';

export interface RunSetup {
  ctx: PlanContext;
  /** The flags given, with the hints' options filled in where no flag was given. */
  flags: RunFlags;
  concurrency: number;
  prepared: PreparedRun;
  /** The adapter of every agent a task of the run is routed to, by name. */
  agents: Map<string, AgentAdapter>;
  routes: Map<string, Route>;
  defaultAgent: string;
  timeoutFor(agent: string): number | undefined;
}

/**
 * Everything a run decides before it touches anything: the plan and config, the hints turned into
 * options, the selection, each task's agent, the limits. Any mistake here is a usage error (exit 2)
 * and nothing has been written.
 */
export async function prepare(planPath: string, given: RunFlags): Promise<Result<RunSetup, Diagnostic[]>> {
  const empty = emptyScopeFlags(given);
  if (empty.length > 0) return err(empty);
  let ctxR = await loadPlanContext(planPath, { format: given.format, config: given.config, tag: given.tag });
  if (!ctxR.ok) return ctxR;
  let flags: RunFlags = { ...given };
  const hintText = (given.hints ?? []).join(' ').trim();
  if (hintText) {
    const agentNames = [...builtInAgentNames(), ...Object.keys(ctxR.value.config.agents ?? {})];
    const h = parseHints(hintText, agentNames);
    if (!h.ok) return err([h.error]);
    const hint = h.value;
    // "only" with nothing after it reads as a request for a part of the plan, yet sets no option.
    if (Object.values(hint).every((v) => v === undefined) && /\b(?:only|just)\b/i.test(hintText)) {
      return err([
        errorAt(
          undefined,
          `the hint "${hintText}" names nothing to run; say what, e.g. "only T012 and T013" or "only the auth feature" (or --only ID)`,
        ),
      ]);
    }
    if (hint.tag && !given.tag) {
      ctxR = await loadPlanContext(planPath, { format: given.format, config: given.config, tag: hint.tag });
      if (!ctxR.ok) return ctxR;
    }
    let focus: FocusScope | undefined;
    if (hint.focus) {
      const f = resolveFocus(ctxR.value.plan, hint.focus);
      if (!f.ok) return err([f.error]);
      focus = f.value;
    }
    // A flag given on the command line wins over the same option in a hint.
    flags = {
      ...flags,
      concurrency: flags.concurrency ?? (hint.concurrency !== undefined ? String(hint.concurrency) : undefined),
      phase: flags.phase ?? mergeLists(hint.phases, focus?.phases),
      only: flags.only ?? focus?.only,
      spec: flags.spec ?? focus?.specs,
      from: flags.from ?? hint.from,
      infrastructure: flags.infrastructure ?? hint.specKinds?.includes('infrastructure'),
      features: flags.features ?? hint.specKinds?.includes('feature'),
      includeOptional: flags.includeOptional ?? hint.includeOptional,
      withDeps: flags.withDeps ?? hint.withDeps,
      dryRun: flags.dryRun ?? hint.dryRun,
      agent: flags.agent ?? hint.agent,
      tag: flags.tag ?? hint.tag,
      hints: undefined,
    };
    const echo = `taskwave: hint "${hintText}" → ${describeHintOptions(hint, focus, given)}`;
    process.stderr.write(`${terminalText(echo)}\n`);
  }
  const ctx = ctxR.value;
  const { config } = ctx;

  let concurrency = config.concurrency ?? 4;
  if (flags.concurrency !== undefined) {
    const c = parsePositiveInt(flags.concurrency, '--concurrency');
    if (!c.ok) return c;
    concurrency = c.value;
  }
  // Worktree runs commit each task on its branch to merge it: --no-commit would be ignored there.
  if (flags.commit === false && !flags.inPlace) {
    return err([
      errorAt(
        undefined,
        '--no-commit applies to --in-place runs: in worktrees each task is committed on its own branch and merged',
      ),
    ]);
  }
  if (flags.timeout !== undefined && parseDuration(flags.timeout) === undefined)
    return err([errorAt(undefined, `--timeout expects a duration such as 30m or 90s, got '${flags.timeout}'`)]);
  if (flags.shuffleTies !== undefined && !Number.isInteger(Number(flags.shuffleTies)))
    return err([errorAt(undefined, `--shuffle-ties expects an integer seed, got '${flags.shuffleTies}'`)]);

  if (flags.only) {
    const groups = new Set((ctx.plan.groups ?? []).map((g) => g.id));
    flags = { ...flags, only: onlyIds(flags.only, (id) => ctx.graph.index.has(id) || groups.has(id)) };
  }
  const preparedR = prepareRun(ctx.plan, selectOptionsOf(flags), ctx.graph);
  if (!preparedR.ok) return preparedR;
  const prepared = preparedR.value;
  const none = nothingSelected(flags, prepared.selection);
  if (none) return err([none]);

  const defaultAgent = config.agent ?? 'claude';
  const runTasks = prepared.selection.run.map((id) => prepared.byId.get(id)).filter((t) => t !== undefined);
  const routes = routeTasks(runTasks, config.routing ?? [], defaultAgent, flags.agent);
  const agents = new Map<string, AgentAdapter>();
  const names = new Set([...routes.values()].map((r) => r.agent));
  if (names.size === 0) names.add(flags.agent ?? defaultAgent);
  for (const name of names) {
    const a = pickAgent(ctx, name);
    if (!a.ok) return a;
    // A missing executable is a usage error now, not a failed task later; a dry run, which starts no
    // agent, shows the plan anyway and says what a real run would stop at.
    const usable = a.value.check?.();
    if (usable && !usable.ok) {
      if (!flags.dryRun) return err([usable.error]);
      printDiagnostics([
        { ...usable.error, severity: 'warning', message: `${usable.error.message} (a real run stops here)` },
      ]);
    }
    agents.set(name, a.value);
  }
  const timeoutFor = (agent: string) => {
    const text = flags.timeout ?? config.agents?.[agent]?.timeout;
    return text !== undefined ? parseDuration(text) : undefined;
  };
  return ok({ ctx, flags, concurrency, prepared, agents, routes, defaultAgent, timeoutFor });
}

function mergeLists(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a && !b) return undefined;
  return [...(a ?? []), ...(b ?? [])];
}
