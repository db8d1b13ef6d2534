import { isAbsolute } from 'node:path';
import { ok } from '../result.js';
import { resolveExecutable } from './executable.js';
import { type ParsedOutcome, runAgentProcess, type StreamParser } from './stream.js';
import type { AgentAdapter, AgentRequest } from './types.js';

export interface CommandAgentConfig {
  name: string;
  /** argv; never run through a shell. */
  command: string[];
  env?: Record<string, string>;
  /** Named in the error when the command cannot be found. */
  configFile?: string;
}

/**
 * Any program as an agent: cwd is the workspace, the prompt arrives on stdin and in
 * TASKWAVE_PROMPT_FILE, the task in TASKWAVE_* variables; exit 0 means it finished.
 */
export function commandAgent(config: CommandAgentConfig): AgentAdapter {
  return {
    name: config.name,
    check() {
      const [exe] = config.command;
      // A relative path is relative to the task's workspace, which does not exist yet.
      if (exe?.includes('/') && !isAbsolute(exe)) return ok(undefined);
      const found = resolveExecutable({
        agent: config.name,
        configured: exe,
        key: 'command',
        configFile: config.configFile,
      });
      return found.ok ? ok(undefined) : found;
    },
    run(req: AgentRequest) {
      return runAgentProcess({ argv: config.command, input: req.prompt }, config.env, lastLineParser(), req);
    },
  };
}

/** Plain output: the last line printed is the summary; nothing else is read into it. */
function lastLineParser(): StreamParser {
  let lastLine: string | undefined;
  return {
    line(text) {
      if (text.trim()) lastLine = text.trim();
    },
    outcome: (): ParsedOutcome => ({ summary: lastLine }),
  };
}
