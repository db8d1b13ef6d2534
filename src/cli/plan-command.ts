import pc from 'picocolors';
import { estimateWeight, pastDurations, scheduleInfo } from '../graph/index.js';
import { shownPath } from '../plan/shown-path.js';
import type { Dependency, Plan, Task } from '../plan/types.js';
import { loadExecution } from '../state/execution.js';
import { booksPlanPath, statePaths } from '../state/paths.js';
import { writeJson } from '../util/json-parts.js';
import { terminalText } from '../util/terminal-text.js';
import { loadPlanContext } from './context.js';
import { EXIT, formatForUser, printDiagnostics } from './output.js';
import { type Route, routeTasks } from './routing.js';
import { prepareRun } from './selection.js';

export interface PlanFlags {
  json?: boolean;
  format?: string;
  tag?: string;
  config?: string;
  color?: boolean;
}

/** `taskwave plan`: the tasks, the inferred dependencies, the waves and the critical path. Runs nothing. */
export async function planCommand(planPath: string, flags: PlanFlags): Promise<number> {
  const ctx = await loadPlanContext(planPath, flags);
  if (!ctx.ok) {
    printDiagnostics(ctx.error);
    return EXIT.usage;
  }
  const { plan, config, root } = ctx.value;
  const prepared = prepareRun(plan, { includeOptional: false }, ctx.value.graph);
  // The critical path weighs tasks as `taskwave run` does: what they took before, where they ran before.
  const booksAt = statePaths(root);
  const past = pastDurations(
    loadExecution(booksAt.execution, booksAt.journal),
    booksPlanPath(root, plan.path),
    plan.tasks,
  );
  const info = prepared.ok
    ? scheduleInfo(prepared.value.graph, prepared.value.selection.run, estimateWeight(prepared.value.graph.tasks, past))
    : { waves: [], criticalPath: [] };
  const routes = routeTasks(plan.tasks, config.routing ?? [], config.agent ?? 'claude');
  if (flags.json) {
    // In pieces: a plan of wide [P] phases has more edges than one string can hold.
    await writeJson(process.stdout, planJson(plan, info.waves, info.criticalPath, routes));
    return EXIT.ok;
  }
  // What the reader noticed but read anyway (a task written out of order): worth knowing, not an error.
  printDiagnostics(plan.warnings);
  process.stdout.write(`${renderPlan(plan, info.waves, info.criticalPath, routes, flags.color ?? false)}\n`);
  return EXIT.ok;
}

/** The JSON shape of DESIGN.md's contract. */
export function planJson(plan: Plan, waves: string[][], criticalPath: string[], routes?: Map<string, Route>) {
  const depIds = new Map<readonly Dependency[], string[]>();
  return {
    format: plan.format,
    path: shownPath(plan.path),
    tasks: plan.tasks.map((t) => ({
      id: t.id,
      title: t.title,
      phase: t.phase,
      deps: uniqueDeps(t, depIds),
      status: t.status,
      optional: t.optional,
      parallel: t.parallel,
      tags: t.tags,
      requirements: t.requirements,
      files: t.files,
      agent: routes?.get(t.id)?.agent ?? t.agent ?? null,
      ...(t.role !== undefined ? { role: t.role } : {}),
      ...(t.complexity !== undefined ? { complexity: t.complexity } : {}),
      ...(t.priority !== undefined ? { priority: t.priority } : {}),
      ...(t.spec !== undefined ? { spec: t.spec } : {}),
      ...(t.estimateMinutes !== undefined ? { estimateMinutes: t.estimateMinutes } : {}),
      source: { file: shownPath(t.source.file), line: t.source.line },
    })),
    phases: plan.phases.map((p) => ({ id: p.id, title: p.title, line: p.source.line })),
    ...(plan.groups?.length
      ? { groups: plan.groups.map((g) => ({ id: g.id, title: g.title, status: g.status, members: g.members })) }
      : {}),
    ...(plan.specs?.length
      ? {
          specs: plan.specs.map((s) => ({
            id: s.id,
            title: s.title,
            kind: s.kind,
            phase: s.phase,
            dependencies: s.dependencies,
          })),
        }
      : {}),
    ...(plan.tag !== undefined ? { tag: plan.tag } : {}),
    waves,
    criticalPath,
    /** The plan's warnings, each as `taskwave plan` prints it on stderr (`file:line:col: warning: …`). */
    warnings: plan.warnings.map(formatForUser),
  };
}

/** A task's dependencies' ids, each once; one array for the tasks that share a list (a wide phase's). */
function uniqueDeps(t: Task, seen: Map<readonly Dependency[], string[]>): string[] {
  const known = seen.get(t.deps);
  if (known) return known;
  const ids = [...new Set(t.deps.map((d) => d.id))];
  seen.set(t.deps, ids);
  return ids;
}

function renderPlan(
  plan: Plan,
  waves: string[][],
  critical: string[],
  routes: Map<string, Route>,
  color: boolean,
): string {
  const c = pc.createColors(color);
  // Titles, ids and tags are the plan's text: an escape sequence in one must not reach the terminal.
  const safe = (text: string) => terminalText(text, { oneLine: true });
  const done = plan.tasks.filter((t) => t.status === 'done').length;
  const lines: string[] = [];
  lines.push(
    c.bold(
      `${plan.format} plan ${safe(shownPath(plan.path))}: ${plan.tasks.length} tasks (${done} done) in ${plan.phases.length} phase(s)`,
    ),
  );
  const byPhase = new Map<string, Task[]>();
  for (const t of plan.tasks) {
    const list = byPhase.get(t.phase) ?? [];
    list.push(t);
    byPhase.set(t.phase, list);
  }
  for (const phase of plan.phases) {
    lines.push('', c.bold(safe(phase.title)));
    for (const t of byPhase.get(phase.id) ?? []) {
      const mark = t.status === 'done' ? c.green('✔') : t.status === 'pending' ? '·' : c.yellow(t.status);
      const explicit = [...new Set(t.deps.filter((d) => d.kind === 'explicit').map((d) => safe(d.id)))];
      const flags = [t.parallel ? '[P]' : '', t.optional ? '[optional]' : '', ...t.tags.map((x) => `[${safe(x)}]`)]
        .filter(Boolean)
        .join(' ');
      const route = routes.get(t.id);
      const routed = route && route.why !== 'default' ? c.magenta(` → ${route.agent} (${safe(route.why)})`) : '';
      lines.push(
        `  ${mark} ${c.bold(safe(t.id))} ${flags ? `${c.cyan(flags)} ` : ''}${safe(t.title)}${explicit.length ? c.dim(` ← ${explicit.join(', ')}`) : ''}${routed}`,
      );
    }
  }
  lines.push('', c.bold(`Waves (${waves.length}) of the ${waves.flat().length} task(s) to run:`));
  waves.forEach((w, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}: ${w.map(safe).join(', ')}`);
  });
  lines.push(
    '',
    `${c.bold('Critical path')} (${critical.length}): ${critical.map(safe).join(' → ') || '(nothing to run)'}`,
  );
  return lines.join('\n');
}
