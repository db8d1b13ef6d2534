import { posix, win32 } from 'node:path';
import { builtInAgentNames } from '../agents/registry.js';
import { isEmptyCommand } from '../gates/specs.js';

/*
 * Checks of the config that look across its keys or at what a value means, beyond its type: an agent
 * named where no agent of that name exists, a command that runs nothing, a path that leaves the
 * repository. The schema reports each at its `path`, so the user gets the line of the value itself,
 * at load time, for `plan` as much as `run` — not a message without a place when a task needs it.
 */

/** A problem with one value of the config: where it is (as a path of keys) and what is wrong. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  /** About the key being there at all: shown at the key's line, not its value's. */
  atKey?: boolean;
}

/** A gate entry as the schema reads it. */
type GateEntry = string | string[] | { name?: string; run: string | string[]; timeout?: string | number };

/** The parts of the config checked here (the schema's type restated, so this module needs no zod). */
export interface CheckedConfig {
  agent?: string;
  agents?: Record<string, { command?: string[] }>;
  routing?: { agent: string }[];
  gates?: { task?: GateEntry[]; phase?: GateEntry[]; final?: GateEntry[] };
  workspace?: { copy?: string[] };
}

export function configIssues(config: CheckedConfig): ConfigIssue[] {
  return [...agentIssues(config), ...gateIssues(config), ...copyIssues(config)];
}

/** What is wrong with an agent name used by `agent:` or a routing rule, if anything. */
function agentNameProblem(name: string, agents: CheckedConfig['agents']): string | undefined {
  if (name.trim() === '') return 'an agent name cannot be empty';
  if (agents?.[name]?.command || builtInAgentNames().includes(name)) return undefined;
  if (agents?.[name]) {
    return `agent '${name}' has no agents.${name}.command and is not a built-in adapter (${builtInAgentNames().join(', ')}): give it a command`;
  }
  const configured = Object.keys(agents ?? {});
  const hint =
    configured.length > 0
      ? `configured agents: ${configured.join(', ')}`
      : `built-in agents: ${builtInAgentNames().join(', ')}; or give it agents.${name}.command`;
  return `unknown agent '${name}': no built-in adapter and no agents.${name}.command; ${hint}`;
}

function agentIssues(config: CheckedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.agent !== undefined) {
    const problem = agentNameProblem(config.agent, config.agents);
    if (problem) issues.push({ path: ['agent'], message: problem });
  }
  config.routing?.forEach((rule, i) => {
    const problem = agentNameProblem(rule.agent, config.agents);
    if (problem) issues.push({ path: ['routing', i, 'agent'], message: problem });
  });
  for (const [name, agent] of Object.entries(config.agents ?? {})) {
    // Settings for an agent that cannot exist (`claud:` for `claude:`) would be read by nothing.
    if (!agent.command && !builtInAgentNames().includes(name)) {
      issues.push({
        path: ['agents', name],
        atKey: true,
        message: `not a built-in adapter (${builtInAgentNames().join(', ')}) and no command: a typo?`,
      });
    }
    if (agent.command && isEmptyCommand(agent.command)) {
      issues.push({
        path: ['agents', name, 'command'],
        message: 'the command is empty: its first item must name the program to run',
      });
    }
  }
  return issues;
}

function gateIssues(config: CheckedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const scope of ['task', 'phase', 'final'] as const) {
    config.gates?.[scope]?.forEach((entry, i) => {
      const run = typeof entry === 'string' || Array.isArray(entry) ? entry : entry.run;
      if (isEmptyCommand(run)) issues.push({ path: ['gates', scope, i], message: 'the command is empty' });
    });
  }
  return issues;
}

/**
 * `workspace.copy` names files of the repository root to copy into each worktree at the same place:
 * an absolute path or one that climbs out (`../x`) would be written outside the worktree, and left
 * behind when the worktree goes.
 */
function copyIssues(config: CheckedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.workspace?.copy?.forEach((path, i) => {
    const problem = copyPathProblem(path);
    if (problem) issues.push({ path: ['workspace', 'copy', i], message: `'${path}' ${problem}` });
  });
  return issues;
}

function copyPathProblem(path: string): string | undefined {
  if (posix.isAbsolute(path) || win32.isAbsolute(path)) {
    return 'is an absolute path: copy paths must be relative to the repository root and inside it';
  }
  const normal = posix.normalize(path.replaceAll('\\', '/'));
  if (normal === '..' || normal.startsWith('../')) {
    return 'leaves the repository: copy paths must be relative to the repository root and inside it';
  }
  if (normal === '.' || normal === './') return 'is the repository root itself: name the files to copy';
  // A worktree's `.git` is a file naming its git directory: nothing can be copied into it.
  if (normal === '.git' || normal.startsWith('.git/')) return "is inside git's own folder: name the files to copy";
  return undefined;
}
