import type { AgentConfig } from '../cli/config.js';
import { cliAgent, promptFitsArgv, STDIN_PROMPT_LEAD } from './cli-agent.js';
import { describeTool, firstLine, type JsonObject, num, obj, parseJsonLine, str } from './json-lines.js';
import type { Invocation, ParsedOutcome, ParserContext, StreamParser } from './stream.js';
import type { AgentAdapter, AgentRequest } from './types.js';

/**
 * `gemini -p PROMPT --output-format stream-json --approval-mode yolo` (`--yolo` is its deprecated
 * spelling). Gemini CLI joins a piped stdin with `-p`, so a prompt too large for argv goes there
 * behind a one-line `-p`. It refuses to run in a folder the user never trusted interactively, and
 * a task's workspace is one; GEMINI_CLI_TRUST_WORKSPACE is its documented way out for headless
 * runs. Turn limits live in its settings (`maxSessionTurns`), not on its command line.
 */
export function geminiInvocation(config: AgentConfig, req: AgentRequest, exe = 'gemini'): Invocation {
  const onArgv = promptFitsArgv(req.prompt) && !req.prompt.startsWith('-');
  const argv = [exe, '-p', onArgv ? req.prompt : STDIN_PROMPT_LEAD, '--output-format', 'stream-json'];
  argv.push('--approval-mode', 'yolo');
  if (config.model) argv.push('-m', config.model);
  if (req.resumeSession) argv.push('--resume', req.resumeSession);
  argv.push(...(config.args ?? []));
  return { argv, env: { GEMINI_CLI_TRUST_WORKSPACE: 'true' }, ...(onArgv ? {} : { input: req.prompt }) };
}

/** Gemini CLI's tool names, as the other agents call the same tools. */
const GEMINI_TOOLS: Record<string, string> = {
  write_file: 'Write',
  replace: 'Edit',
  read_file: 'Read',
  read_many_files: 'Read',
  run_shell_command: 'Bash',
  glob: 'Glob',
  search_file_content: 'Grep',
  grep_search: 'Grep',
  list_directory: 'List',
  web_fetch: 'WebFetch',
  google_web_search: 'WebSearch',
};

/**
 * Gemini CLI's stream-json: `init` (session_id, model), `message` (assistant text, in `delta`
 * chunks), `tool_use`, `tool_result`, `error` (non-fatal warnings) and a final `result` whose
 * `status` says how it went, with `stats` (tokens; no cost, no turns).
 */
export function geminiParser(ctx: ParserContext): StreamParser {
  let sessionId: string | undefined;
  let current = '';
  let lastText: string | undefined;
  let result: JsonObject | undefined;
  const flush = () => {
    if (!current.trim()) return;
    lastText = current;
    ctx.emit({ kind: 'text', text: firstLine(current) });
    current = '';
  };
  return {
    line(text) {
      const ev = parseJsonLine(text);
      if (!ev) {
        ctx.emit({ kind: 'text', text: firstLine(text) });
        return;
      }
      sessionId = str(ev, 'session_id') ?? sessionId;
      switch (str(ev, 'type')) {
        case 'message':
          if (str(ev, 'role') !== 'assistant') break;
          if (ev.delta === true) current += str(ev, 'content') ?? '';
          else {
            flush();
            current = str(ev, 'content') ?? '';
          }
          break;
        case 'tool_use': {
          flush();
          const name = str(ev, 'tool_name') ?? 'tool';
          ctx.emit({ kind: 'tool', text: describeTool(GEMINI_TOOLS[name] ?? name, obj(ev, 'parameters'), ctx.cwd) });
          break;
        }
        case 'tool_result':
          if (str(ev, 'status') === 'error') {
            ctx.emit({ kind: 'error', text: firstLine(str(obj(ev, 'error'), 'message') ?? 'tool failed') });
          }
          break;
        case 'error':
          ctx.emit({ kind: 'error', text: firstLine(str(ev, 'message') ?? 'error') });
          break;
        case 'result':
          flush();
          result = ev;
          break;
      }
    },
    outcome(): ParsedOutcome {
      flush();
      if (!result) return { sessionId, summary: lastText, incomplete: 'Gemini CLI ended without a result event' };
      const stats = obj(result, 'stats');
      const out: ParsedOutcome = { sessionId, summary: lastText };
      if (stats) {
        out.usage = {
          inputTokens: num(stats, 'input_tokens') ?? 0,
          outputTokens: num(stats, 'output_tokens') ?? 0,
          cacheReadTokens: num(stats, 'cached') ?? 0,
        };
      }
      if (str(result, 'status') !== 'success') {
        out.error = firstLine(str(obj(result, 'error'), 'message') ?? '') || 'Gemini CLI reported an error';
      }
      return out;
    },
  };
}

export function geminiAgent(name: string, config: AgentConfig, configFile?: string): AgentAdapter {
  return cliAgent(name, config, configFile, {
    defaultBin: 'gemini',
    resumable: true,
    invocation: geminiInvocation,
    parser: geminiParser,
  });
}
