import { loadPlanContext } from './context.js';
import { EXIT, printDiagnostics } from './output.js';

/** `taskwave graph`: the dependency graph as Mermaid (default) or Graphviz dot. */
export async function graphCommand(
  planPath: string,
  flags: { dot?: boolean; format?: string; tag?: string; config?: string },
): Promise<number> {
  const ctx = await loadPlanContext(planPath, flags);
  if (!ctx.ok) {
    printDiagnostics(ctx.error);
    return EXIT.usage;
  }
  const { plan } = ctx.value;
  // On stderr, out of the way of the graph on stdout.
  printDiagnostics(plan.warnings);
  const q = (s: string) => s.replace(/["\\]/g, (m) => `\\${m}`);
  const lines: string[] = [];
  if (flags.dot) {
    lines.push('digraph taskwave {', '  rankdir=LR;', '  node [shape=box];');
    for (const t of plan.tasks) {
      const style = t.status === 'done' ? ', style=filled, fillcolor="#d4edda"' : '';
      lines.push(`  "${q(t.id)}" [label="${q(`${t.id} ${t.title.slice(0, 48)}`)}"${style}];`);
    }
    for (const t of plan.tasks)
      for (const d of new Set(t.deps.map((x) => x.id))) lines.push(`  "${q(d)}" -> "${q(t.id)}";`);
    lines.push('}');
  } else {
    const node = (id: string) => `n_${id.replace(/[^\w]/g, '_')}`;
    lines.push('flowchart LR');
    for (const t of plan.tasks)
      lines.push(`  ${node(t.id)}["${mermaidLabel(`${t.id} ${t.title}`)}"]${t.status === 'done' ? ':::done' : ''}`);
    for (const t of plan.tasks)
      for (const d of new Set(t.deps.map((x) => x.id))) lines.push(`  ${node(d)} --> ${node(t.id)}`);
    lines.push('  classDef done fill:#d4edda;');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

/**
 * A node label for Mermaid: cut to `max` characters, then escaped. Cut after escaping, a quote near
 * the end would leave half an entity (`#quo`) and break the chart.
 */
export function mermaidLabel(text: string, max = 60): string {
  return [...text].slice(0, max).join('').replace(/"/g, '#quot;');
}
