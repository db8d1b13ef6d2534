import type { AgentConfig } from '../cli/config.js';
import type { Usage } from '../events.js';
import { cliAgent, promptFitsArgv, STDIN_PROMPT_LEAD } from './cli-agent.js';
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
 * `cursor-agent -p PROMPT --output-format stream-json --force --trust`: in print mode edits are only
 * proposed unless `--force` allows them, and a headless run in a workspace nobody trusted
 * interactively stops unless `--trust` says so. A piped stdin is joined with the prompt, so a prompt
 * too large for argv goes there behind a one-line argument.
 */
export function cursorInvocation(config: AgentConfig, req: AgentRequest, exe = 'cursor-agent'): Invocation {
  const onArgv = promptFitsArgv(req.prompt) && !req.prompt.startsWith('-');
  const argv = [exe, '-p', onArgv ? req.prompt : STDIN_PROMPT_LEAD, '--output-format', 'stream-json'];
  argv.push('--force', '--trust');
  if (config.model) argv.push('--model', config.model);
  if (req.resumeSession) argv.push('--resume', req.resumeSession);
  argv.push(...(config.args ?? []));
  return { argv, ...(onArgv ? {} : { input: req.prompt }) };
}

/** Cursor's `<kind>ToolCall` keys, as the other agents name the same tools. */
const CURSOR_TOOLS: Record<string, string> = {
  write: 'Write',
  edit: 'Edit',
  read: 'Read',
  delete: 'Delete',
  shell: 'Bash',
  grep: 'Grep',
  glob: 'Glob',
  ls: 'List',
};

/**
 * Cursor agent's stream-json, close to Claude Code's: `system` (init: session_id, model), `user`,
 * `assistant` (one line per complete message), `tool_call` (`started` / `completed`, the call keyed
 * by kind: `writeToolCall: {args: {path}}`, `shellToolCall: {args: {command}}`, or `function`), and
 * a final `result` with `is_error`, `result` and `session_id`.
 */
export function cursorParser(ctx: ParserContext): StreamParser {
  let sessionId: string | undefined;
  let lastText: string | undefined;
  let result: JsonObject | undefined;
  return {
    line(text) {
      const ev = parseJsonLine(text);
      if (!ev) {
        ctx.emit({ kind: 'text', text: firstLine(text) });
        return;
      }
      sessionId = str(ev, 'session_id') ?? sessionId;
      switch (str(ev, 'type')) {
        case 'assistant': {
          const parts = list(obj(ev, 'message'), 'content').filter(isObject);
          const t = parts.map((p) => str(p, 'text') ?? '').join('');
          if (t.trim()) {
            lastText = t;
            ctx.emit({ kind: 'text', text: firstLine(t) });
          }
          break;
        }
        case 'tool_call': {
          const call = describeCall(obj(ev, 'tool_call'), ctx.cwd);
          if (!call) break;
          if (str(ev, 'subtype') === 'started') ctx.emit({ kind: 'tool', text: call.text });
          else if (str(ev, 'subtype') === 'completed' && call.error) ctx.emit({ kind: 'error', text: call.error });
          break;
        }
        case 'result':
          result = ev;
          break;
      }
    },
    outcome(): ParsedOutcome {
      if (!result) return { sessionId, summary: lastText, incomplete: 'Cursor agent ended without a result event' };
      const text = str(result, 'result');
      const out: ParsedOutcome = { sessionId, summary: lastText ?? (text?.trim() ? text : undefined) };
      const usage = cursorUsage(obj(result, 'usage'));
      if (usage) out.usage = usage;
      if (result.is_error !== false) out.error = firstLine(text ?? '') || 'Cursor agent reported an error';
      return out;
    },
  };
}

function describeCall(call: JsonObject | undefined, cwd: string): { text: string; error?: string } | undefined {
  if (!call) return undefined;
  const fn = obj(call, 'function');
  if (fn) return { text: str(fn, 'name') ?? 'tool' };
  const key = Object.keys(call).find((k) => k.endsWith('ToolCall'));
  if (!key) return undefined;
  const inner = obj(call, key);
  const kind = key.slice(0, -'ToolCall'.length);
  const text = describeTool(CURSOR_TOOLS[kind] ?? kind, obj(inner, 'args'), cwd);
  const failure = obj(inner, 'result')?.error;
  const error =
    typeof failure === 'string' ? failure : isObject(failure) ? (str(failure, 'message') ?? 'failed') : undefined;
  return { text, ...(error ? { error: firstLine(`${text}: ${error}`) } : {}) };
}

/** Token counts where the result carries them; the field names have varied between releases. */
function cursorUsage(u: JsonObject | undefined): Usage | undefined {
  if (!u) return undefined;
  const input = num(u, 'inputTokens') ?? num(u, 'input_tokens');
  const output = num(u, 'outputTokens') ?? num(u, 'output_tokens');
  if (input === undefined && output === undefined) return undefined;
  const cacheRead = num(u, 'cacheReadTokens') ?? num(u, 'cache_read_input_tokens');
  return {
    inputTokens: input ?? 0,
    outputTokens: output ?? 0,
    ...(cacheRead !== undefined ? { cacheReadTokens: cacheRead } : {}),
  };
}

export function cursorAgent(name: string, config: AgentConfig, configFile?: string): AgentAdapter {
  return cliAgent(name, config, configFile, {
    defaultBin: 'cursor-agent',
    resumable: true,
    invocation: cursorInvocation,
    parser: cursorParser,
  });
}
