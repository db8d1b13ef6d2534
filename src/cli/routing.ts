import type { Task } from '../plan/types.js';
import type { RoutingRule } from './config.js';

/*
 * `routing:` in the config sends tasks to agents by what the plan says about them: the role it names
 * (`Agent: clerk`, `(frontend, mid)`), the complexity, words in the title or tags (test, docs,
 * migration), or the phase. Rules are tried in order; the first whose every key matches wins.
 */

export interface Route {
  agent: string;
  /** Why: `rule 2 (role frontend)`, `--agent`, `default`. */
  why: string;
}

const list = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map((w) => w.toLowerCase());

/** The words of a text, lowercased, split on anything that is not a letter or digit. */
function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** `test` matches test, tests, testing, tested; `docs` matches docs and doc. */
function wordMatches(word: string, wanted: string): boolean {
  if (word === wanted) return true;
  const stem = wanted.replace(/(?:s|es|ing|ed)$/, '');
  return stem.length >= 3 && word.startsWith(stem) && word.length - stem.length <= 3;
}

function ruleMatches(rule: RoutingRule, task: Task): string | undefined {
  const why: string[] = [];
  const role = list(rule.role);
  if (role) {
    if (!task.role || !role.includes(task.role.toLowerCase())) return undefined;
    why.push(`role ${task.role}`);
  }
  const complexity = list(rule.complexity);
  if (complexity) {
    if (!task.complexity || !complexity.includes(task.complexity.toLowerCase())) return undefined;
    why.push(`complexity ${task.complexity}`);
  }
  const phase = list(rule.phase);
  if (phase) {
    if (!phase.includes(task.phase.toLowerCase())) return undefined;
    why.push(`phase ${task.phase}`);
  }
  const wanted = list(rule.words);
  if (wanted) {
    const words = [...wordsOf(task.title), ...task.tags.flatMap(wordsOf)];
    const hit = wanted.find((w) => words.some((x) => wordMatches(x, w)));
    if (!hit) return undefined;
    why.push(`word ${hit}`);
  }
  return why.join(', ');
}

/**
 * The agent for each task: `--agent` for all when given, else the first routing rule that matches,
 * else the default agent.
 */
export function routeTasks(
  tasks: readonly Task[],
  rules: readonly RoutingRule[],
  defaultAgent: string,
  forced?: string,
): Map<string, Route> {
  const out = new Map<string, Route>();
  for (const task of tasks) {
    if (forced) {
      out.set(task.id, { agent: forced, why: '--agent' });
      continue;
    }
    let route: Route = { agent: defaultAgent, why: 'default' };
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as RoutingRule;
      const why = ruleMatches(rule, task);
      if (why !== undefined) {
        route = { agent: rule.agent, why: `routing rule ${i + 1} (${why})` };
        break;
      }
    }
    out.set(task.id, route);
  }
  return out;
}
