import pc from 'picocolors';
import { buildGraph, scheduleInfo, selectTasks } from '../graph/index.js';
import type { Plan, Task } from '../plan/types.js';
import { loadPlanContext } from './context.js';
import { displayPath, EXIT, printDiagnostics } from './output.js';

export interface PlanFlags {
  json?: boolean;
  format?: string;
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
  const { plan } = ctx.value;
  const graph = buildGraph(plan.tasks);
  const sel = selectTasks(plan, { includeOptional: false }, graph);
  const runIds = sel.ok ? sel.value.run : [];
  const info = scheduleInfo(graph, runIds);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(planJson(plan, info.waves, info.criticalPath), null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${renderPlan(plan, info.waves, info.criticalPath, flags.color ?? false)}\n`);
  return EXIT.ok;
}

/** The JSON shape of DESIGN.md's contract. */
export function planJson(plan: Plan, waves: string[][], criticalPath: string[]) {
  return {
    format: plan.format,
    path: displayPath(plan.path),
    tasks: plan.tasks.map((t) => ({
      id: t.id,
      title: t.title,
      phase: t.phase,
      deps: uniqueDeps(t),
      status: t.status,
      optional: t.optional,
      parallel: t.parallel,
      tags: t.tags,
      requirements: t.requirements,
      files: t.files,
      agent: t.agent ?? null,
      source: { file: displayPath(t.source.file), line: t.source.line },
    })),
    phases: plan.phases.map((p) => ({ id: p.id, title: p.title, line: p.source.line })),
    waves,
    criticalPath,
  };
}

function uniqueDeps(t: Task): string[] {
  return [...new Set(t.deps.map((d) => d.id))];
}

function renderPlan(plan: Plan, waves: string[][], critical: string[], color: boolean): string {
  const c = pc.createColors(color);
  const done = plan.tasks.filter((t) => t.status === 'done').length;
  const lines: string[] = [];
  lines.push(
    c.bold(
      `${plan.format} plan ${displayPath(plan.path)}: ${plan.tasks.length} tasks (${done} done) in ${plan.phases.length} phase(s)`,
    ),
  );
  const byPhase = new Map<string, Task[]>();
  for (const t of plan.tasks) {
    const list = byPhase.get(t.phase) ?? [];
    list.push(t);
    byPhase.set(t.phase, list);
  }
  for (const phase of plan.phases) {
    lines.push('', c.bold(phase.title));
    for (const t of byPhase.get(phase.id) ?? []) {
      const mark = t.status === 'done' ? c.green('✔') : t.status === 'pending' ? '·' : c.yellow(t.status);
      const explicit = [...new Set(t.deps.filter((d) => d.kind === 'explicit').map((d) => d.id))];
      const flags = [t.parallel ? '[P]' : '', ...t.tags.map((x) => `[${x}]`)].filter(Boolean).join(' ');
      lines.push(
        `  ${mark} ${c.bold(t.id)} ${flags ? `${c.cyan(flags)} ` : ''}${t.title}${explicit.length ? c.dim(` ← ${explicit.join(', ')}`) : ''}`,
      );
    }
  }
  lines.push('', c.bold(`Waves (${waves.length}) of the ${waves.flat().length} task(s) to run:`));
  waves.forEach((w, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}: ${w.join(', ')}`);
  });
  lines.push('', `${c.bold('Critical path')} (${critical.length}): ${critical.join(' → ') || '(nothing to run)'}`);
  return lines.join('\n');
}
