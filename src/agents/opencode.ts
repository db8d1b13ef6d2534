import type { AgentConfig } from '../cli/config.js';
import { cliAgent } from './cli-agent.js';
import { describeTool, firstLine, list, num, obj, parseJsonLine, str } from './json-lines.js';
import type { Invocation, ParsedOutcome, ParserContext, StreamParser } from './stream.js';
import type { AgentAdapter, AgentRequest } from './types.js';

/**
 * `opencode run --format json`, the prompt always on stdin: `run` takes a piped stdin as the message,
 * while message words given as arguments are re-joined with quotes around any that hold a space,
 * which would reach the model as one quoted blob. `--session` continues a session. `run`
 * auto-rejects permission requests; `skipPermissions` answers them with `--auto` instead.
 */
export function opencodeInvocation(config: AgentConfig, req: AgentRequest, exe = 'opencode'): Invocation {
  const argv = [exe, 'run', '--format', 'json'];
  if (config.model) argv.push('-m', config.model);
  if (config.skipPermissions) argv.push('--auto');
  if (req.resumeSession) argv.push('--session', req.resumeSession);
  argv.push(...(config.args ?? []));
  return { argv, input: req.prompt };
}

/**
 * opencode's JSON events, each `{type, timestamp, sessionID, ...}`: `step_start`, `text` (part.text),
 * `tool_use` (part.tool, part.state: input, status, error), `step_finish` (part.tokens, part.cost),
 * `error` (error.name, error.data.message; the run failed) and, in newer versions, `done`.
 */
export function opencodeParser(ctx: ParserContext): StreamParser {
  let sessionId: string | undefined;
  let lastText: string | undefined;
  let failed: string | undefined;
  let steps = 0;
  const tokens = { input: 0, output: 0, cacheRead: 0, cost: 0, costSeen: false };
  return {
    line(text) {
      const ev = parseJsonLine(text);
      if (!ev) {
        ctx.emit({ kind: 'text', text: firstLine(text) });
        return;
      }
      sessionId = str(ev, 'sessionID') ?? sessionId;
      const part = obj(ev, 'part');
      switch (str(ev, 'type')) {
        case 'text': {
          const t = str(part, 'text');
          if (t?.trim()) {
            lastText = t;
            ctx.emit({ kind: 'text', text: firstLine(t) });
          }
          break;
        }
        case 'tool_use': {
          const state = obj(part, 'state');
          const tool = str(part, 'tool') ?? 'tool';
          ctx.emit({ kind: 'tool', text: describeTool(capitalize(tool), obj(state, 'input'), ctx.cwd) });
          if (str(state, 'status') === 'error') {
            ctx.emit({ kind: 'error', text: firstLine(str(state, 'error') ?? `${tool} failed`) });
          }
          break;
        }
        case 'step_finish': {
          steps++;
          const t = obj(part, 'tokens');
          const cache = obj(t, 'cache');
          // opencode keeps cache reads and writes out of `input` and reasoning out of `output`.
          tokens.input += (num(t, 'input') ?? 0) + (num(cache, 'read') ?? 0) + (num(cache, 'write') ?? 0);
          tokens.output += (num(t, 'output') ?? 0) + (num(t, 'reasoning') ?? 0);
          tokens.cacheRead += num(cache, 'read') ?? 0;
          const cost = num(part, 'cost');
          if (cost !== undefined) {
            tokens.cost += cost;
            tokens.costSeen = true;
          }
          break;
        }
        case 'error': {
          const error = obj(ev, 'error');
          failed = str(obj(error, 'data'), 'message') ?? str(error, 'name') ?? 'opencode reported an error';
          ctx.emit({ kind: 'error', text: firstLine(failed) });
          break;
        }
        case 'done': {
          const rejected = list(ev, 'rejected').filter((r) => typeof r === 'string');
          if (rejected.length > 0) ctx.emit({ kind: 'error', text: `permission rejected: ${rejected.join(', ')}` });
          break;
        }
      }
    },
    outcome(): ParsedOutcome {
      const out: ParsedOutcome = { sessionId, summary: lastText };
      if (steps > 0) {
        out.usage = {
          inputTokens: tokens.input,
          outputTokens: tokens.output,
          cacheReadTokens: tokens.cacheRead,
          turns: steps,
          ...(tokens.costSeen ? { costUsd: tokens.cost } : {}),
        };
      }
      if (failed !== undefined) out.error = firstLine(failed);
      return out;
    },
  };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function opencodeAgent(name: string, config: AgentConfig, configFile?: string): AgentAdapter {
  return cliAgent(name, config, configFile, {
    defaultBin: 'opencode',
    resumable: true,
    invocation: opencodeInvocation,
    parser: opencodeParser,
  });
}
