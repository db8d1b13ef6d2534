import type { AgentConfig } from '../cli/config.js';
import type { Usage } from '../events.js';
import { cliAgent, promptFitsArgv } from './cli-agent.js';
import {
  describeTool,
  firstLine,
  isObject,
  type JsonObject,
  list,
  num,
  obj,
  parseJsonLine,
  str,
} from './json-lines.js';
import type { Invocation, ParsedOutcome, ParserContext, StreamParser } from './stream.js';
import type { AgentAdapter, AgentRequest } from './types.js';

/**
 * What Claude Code may use without asking. `acceptEdits` already covers file edits; Bash has to be
 * named, since a headless run has nobody to ask and a denied call just fails the tool.
 */
export const CLAUDE_ALLOWED_TOOLS = ['Bash', 'Edit', 'Write', 'Read', 'Glob', 'Grep', 'MultiEdit', 'TodoWrite'];

/**
 * `claude -p PROMPT --output-format stream-json --verbose` (stream-json needs --verbose in print
 * mode). The prompt goes on stdin when it is too large for argv or could be read as a flag: `-p`
 * reads stdin when no prompt argument is given.
 */
export function claudeInvocation(
  config: AgentConfig,
  req: AgentRequest,
  exe = 'claude',
  isRoot = process.getuid?.() === 0,
): Invocation {
  const onArgv = promptFitsArgv(req.prompt) && !req.prompt.startsWith('-');
  const argv = [exe, '-p'];
  if (onArgv) argv.push(req.prompt);
  argv.push('--output-format', 'stream-json', '--verbose');
  if (config.model) argv.push('--model', config.model);
  if (config.maxTurns) argv.push('--max-turns', String(config.maxTurns));
  if (config.skipPermissions) argv.push('--dangerously-skip-permissions');
  // One comma-joined value: the flag is variadic and would swallow a following positional.
  else argv.push('--permission-mode', 'acceptEdits', '--allowedTools', CLAUDE_ALLOWED_TOOLS.join(','));
  if (req.resumeSession) argv.push('--resume', req.resumeSession);
  argv.push(...(config.args ?? []));
  // Claude Code refuses --dangerously-skip-permissions as root unless told it is in a sandbox.
  const env = config.skipPermissions && isRoot ? { IS_SANDBOX: '1' } : undefined;
  return { argv, ...(onArgv ? {} : { input: req.prompt }), ...(env ? { env } : {}) };
}

/**
 * Claude Code's stream-json: `system` (init: session_id, model), `assistant` and `user` messages
 * (text, tool_use, tool_result blocks), and a final `result`. Success is `is_error: false`; the
 * `subtype` says `success` on some API errors, so it is only used to word the failure.
 */
export function claudeParser(ctx: ParserContext): StreamParser {
  let sessionId: string | undefined;
  let lastText: string | undefined;
  let result: JsonObject | undefined;
  let retrying: string | undefined;
  return {
    line(text) {
      const ev = parseJsonLine(text);
      if (!ev) {
        ctx.emit({ kind: 'text', text: firstLine(text) });
        return;
      }
      sessionId = str(ev, 'session_id') ?? sessionId;
      switch (str(ev, 'type')) {
        case 'system':
          // Claude Code retries a failing API call for minutes, saying so only here.
          if (str(ev, 'subtype') === 'api_retry') {
            retrying = apiRetry(ev);
            ctx.emit({ kind: 'error', text: retrying });
          }
          break;
        case 'assistant':
          retrying = undefined;
          for (const block of list(obj(ev, 'message'), 'content')) {
            if (!isObject(block)) continue;
            if (block.type === 'text' && typeof block.text === 'string' && block.text.trim()) {
              lastText = block.text;
              ctx.emit({ kind: 'text', text: firstLine(block.text) });
            } else if (block.type === 'tool_use') {
              ctx.emit({
                kind: 'tool',
                text: describeTool(str(block, 'name') ?? 'tool', obj(block, 'input'), ctx.cwd),
              });
            }
          }
          break;
        case 'user':
          for (const block of list(obj(ev, 'message'), 'content')) {
            if (isObject(block) && block.type === 'tool_result' && block.is_error === true) {
              ctx.emit({ kind: 'error', text: firstLine(toolResultText(block.content)) || 'tool failed' });
            }
          }
          break;
        case 'result':
          result = ev;
          break;
      }
    },
    outcome(): ParsedOutcome {
      const out = resultOutcome();
      return retrying ? { ...out, retrying } : out;
    },
  };

  function resultOutcome(): ParsedOutcome {
    if (!result) return { sessionId, summary: lastText, incomplete: 'Claude Code ended without a result event' };
    const text = str(result, 'result');
    const usage = obj(result, 'usage');
    const cacheRead = num(usage, 'cache_read_input_tokens') ?? 0;
    const tokens: Usage = {
      // Anthropic counts cache reads and writes apart from input_tokens; all of them were input.
      inputTokens: (num(usage, 'input_tokens') ?? 0) + cacheRead + (num(usage, 'cache_creation_input_tokens') ?? 0),
      outputTokens: num(usage, 'output_tokens') ?? 0,
      cacheReadTokens: cacheRead,
    };
    const cost = num(result, 'total_cost_usd');
    if (cost !== undefined) tokens.costUsd = cost;
    const turns = num(result, 'num_turns');
    if (turns !== undefined) tokens.turns = turns;
    const out: ParsedOutcome = { sessionId, summary: text?.trim() ? text : lastText, usage: tokens };
    if (result.is_error !== false) out.error = claudeFailure(result, text);
    return out;
  }
}

/**
 * `api_retry` as one line: `API error 529 (overloaded_error), retry 3 of 10`; a call that got no
 * HTTP answer (a refused connection) has no status: `a failed API call (unknown), retry 3 of 10`.
 */
function apiRetry(ev: JsonObject): string {
  const status = num(ev, 'error_status');
  const kind = str(ev, 'error');
  const attempt = num(ev, 'attempt');
  const max = num(ev, 'max_retries');
  const what = `${status === undefined ? 'a failed API call' : `API error ${status}`}${kind ? ` (${kind})` : ''}`;
  return attempt === undefined ? what : `${what}, retry ${attempt}${max === undefined ? '' : ` of ${max}`}`;
}

function claudeFailure(result: JsonObject, text: string | undefined): string {
  const subtype = typeof result.subtype === 'string' ? result.subtype : undefined;
  const detail =
    firstLine(text ?? '') || firstLine(list(result, 'errors').filter((e) => typeof e === 'string')[0] ?? '');
  if (!detail) return `Claude Code reported ${subtype ?? 'an error'}`;
  return subtype && subtype !== 'success' ? `${subtype}: ${detail}` : detail;
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((c) => (isObject(c) && typeof c.text === 'string' ? c.text : '')).join('\n');
}

export function claudeAgent(name: string, config: AgentConfig, configFile?: string): AgentAdapter {
  return cliAgent(name, config, configFile, {
    defaultBin: 'claude',
    resumable: true,
    authHint: `check ANTHROPIC_API_KEY (in the environment or agents.${name}.env), or log in: run \`claude\`, then /login`,
    invocation: (c, req, exe) => claudeInvocation(c, req, exe),
    parser: claudeParser,
  });
}
