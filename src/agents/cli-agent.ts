import type { AgentConfig } from '../cli/config.js';
import { err, ok } from '../result.js';
import { resolveExecutable } from './executable.js';
import { type Invocation, type ParserFactory, parserContext, runAgentProcess } from './stream.js';
import type { AgentAdapter, AgentRequest } from './types.js';

/** How one agent CLI is run headless: its executable, its argv and stdin, and how to read its output. */
export interface CliAgentSpec {
  /** The executable's name on PATH when `agents.NAME.bin` is not set. */
  defaultBin: string;
  /** Whether `invocation` continues `req.resumeSession`. */
  resumable: boolean;
  /** See AgentAdapter.usageIsCumulative. */
  usageIsCumulative?: boolean;
  /** See AgentAdapter.authHint. */
  authHint?: string;
  /** argv (starting with `exe`), stdin and extra variables for one run. */
  invocation(config: AgentConfig, req: AgentRequest, exe: string): Invocation;
  parser: ParserFactory;
}

/**
 * Linux refuses a single argv string over 128 KiB (MAX_ARG_STRLEN) with E2BIG, so a prompt larger
 * than this goes on stdin (or in a file) for agents that can read it there.
 */
export const ARGV_PROMPT_MAX_BYTES = 100 * 1024;

export function promptFitsArgv(prompt: string): boolean {
  return Buffer.byteLength(prompt, 'utf8') <= ARGV_PROMPT_MAX_BYTES;
}

/**
 * Said on the command line when the prompt itself goes on stdin, to agents that join the two; worded
 * to read right whichever comes first.
 */
export const STDIN_PROMPT_LEAD = 'Do the task described in this message.';

export function cliAgent(
  name: string,
  config: AgentConfig,
  configFile: string | undefined,
  spec: CliAgentSpec,
): AgentAdapter {
  const locate = () =>
    resolveExecutable({ agent: name, configured: config.bin, defaultName: spec.defaultBin, key: 'bin', configFile });
  return {
    name,
    resumable: spec.resumable,
    ...(spec.usageIsCumulative ? { usageIsCumulative: true } : {}),
    ...(spec.authHint ? { authHint: spec.authHint } : {}),
    check() {
      const exe = locate();
      return exe.ok ? ok(undefined) : exe;
    },
    async run(req) {
      const exe = locate();
      if (!exe.ok) return err({ reason: 'spawn-failed', message: exe.error.message });
      const inv = spec.invocation(config, req, exe.value);
      return runAgentProcess(inv, config.env, spec.parser(parserContext(req)), req);
    },
  };
}
