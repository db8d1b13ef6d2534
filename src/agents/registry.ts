import { dirname, resolve } from 'node:path';
import type { AgentConfig } from '../cli/config.js';
import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import { err, ok, type Result } from '../result.js';
import { aiderAgent } from './aider.js';
import { claudeAgent } from './claude.js';
import { codexAgent } from './codex.js';
import { commandAgent } from './command.js';
import { cursorAgent } from './cursor.js';
import { geminiAgent } from './gemini.js';
import { opencodeAgent } from './opencode.js';
import type { AgentAdapter } from './types.js';

/** Built-in adapters by name. Each real agent (claude, codex, ...) is one file and one line here. */
const BUILT_IN: Record<string, (name: string, config: AgentConfig, configFile?: string) => AgentAdapter> = {
  claude: claudeAgent,
  codex: codexAgent,
  gemini: geminiAgent,
  opencode: opencodeAgent,
  aider: aiderAgent,
  cursor: cursorAgent,
};

/** Names of the built-in adapters. */
export function builtInAgentNames(): string[] {
  return Object.keys(BUILT_IN);
}

/**
 * The adapter for an agent name: a configured command (`agents.NAME.command`) or a built-in
 * adapter of that name.
 */
export function resolveAgent(
  name: string,
  agents: Record<string, AgentConfig> | undefined,
  configFile?: string,
): Result<AgentAdapter, Diagnostic> {
  const config = agents?.[name];
  if (config?.command) {
    // `./x` and `../x` in a command are relative to the config file, so a config can ship its own script.
    const base = configFile ? dirname(configFile) : process.cwd();
    const command = config.command.map((a) => (a.startsWith('./') || a.startsWith('../') ? resolve(base, a) : a));
    return ok(commandAgent({ name, command, env: config.env, configFile }));
  }
  const builtIn = BUILT_IN[name];
  if (builtIn) return ok(builtIn(name, config ?? {}, configFile));
  const configured = Object.keys(agents ?? {});
  const where = configFile ? `in ${configFile}` : 'in taskwave.yaml';
  const hint =
    configured.length > 0
      ? `configured agents: ${configured.join(', ')}`
      : `give it a command ${where}, e.g.\n  agents:\n    ${name}:\n      command: ["node", "scripts/agent.mjs"]`;
  return err(errorAt(undefined, `unknown agent '${name}': no built-in adapter and no agents.${name}.command; ${hint}`));
}
