import type { AgentConfig } from '../cli/config.js';
import type { Usage } from '../events.js';
import { readableError } from '../util/readable-error.js';
import { cliAgent, promptFitsArgv } from './cli-agent.js';
import {
  describeTool,
  displayPath,
  firstLine,
  isObject,
  type JsonObject,
  list,
  num,
  obj,
  parseJsonLine,
  str,
  unwrapShell,
} from './json-lines.js';
import type { Invocation, ParsedOutcome, ParserContext, StreamParser } from './stream.js';
import type { AgentAdapter, AgentRequest } from './types.js';

/**
 * `codex exec --json -C WORKSPACE --sandbox workspace-write -c approval_policy=never PROMPT`
 * (`--full-auto` is gone), or `... resume SESSION PROMPT` to continue a session: the parent's
 * options stay before the subcommand, since `-C` and `--sandbox` are not accepted after it.
 * `--skip-git-repo-check` because taskwave picks the workspace itself, git repository or not.
 * stdin stays empty and closed: a piped stdin is read and appended to the prompt; a prompt too large
 * for argv goes there instead, as `-`.
 */
export function codexInvocation(config: AgentConfig, req: AgentRequest, exe = 'codex'): Invocation {
  const onArgv = promptFitsArgv(req.prompt) && !req.prompt.startsWith('-');
  const argv = [exe, 'exec', '--json', '--skip-git-repo-check', '-C', req.cwd];
  if (config.skipPermissions) argv.push('--dangerously-bypass-approvals-and-sandbox');
  else argv.push('--sandbox', 'workspace-write', '-c', 'approval_policy=never');
  if (config.model) argv.push('-m', config.model);
  argv.push(...(config.args ?? []));
  if (req.resumeSession) argv.push('resume', req.resumeSession);
  argv.push(onArgv ? req.prompt : '-');
  return { argv, ...(onArgv ? {} : { input: req.prompt }) };
}

/** A file change's `kind`, as the other agents name the tool that makes it. */
const CHANGE_VERBS: Record<string, string> = { add: 'Write', delete: 'Delete', update: 'Edit' };

/**
 * Codex's `exec --json` events: `thread.started` (thread_id, the session), `item.started` /
 * `item.completed` (agent_message, command_execution, file_change, mcp_tool_call, web_search, and
 * `error` items, which are warnings: an unknown model's metadata is one), `turn.completed` (usage),
 * `turn.failed` and top-level `error`. A top-level error that a later `turn.completed` outlives was
 * retried; the run fails on `turn.failed` or on an error the turn did not get past.
 */
export function codexParser(ctx: ParserContext): StreamParser {
  let sessionId: string | undefined;
  let lastText: string | undefined;
  let usage: Usage | undefined;
  let turns = 0;
  let failed: string | undefined;
  let pendingError: string | undefined;
  /** Codex's `Reconnecting... 2/5 (…)` while nothing has come of it yet. */
  let retrying: string | undefined;
  return {
    line(text) {
      const ev = parseJsonLine(text);
      if (!ev) {
        ctx.emit({ kind: 'text', text: firstLine(text) });
        return;
      }
      switch (str(ev, 'type')) {
        case 'thread.started':
          sessionId = str(ev, 'thread_id') ?? sessionId;
          break;
        case 'item.started':
          retrying = undefined;
          itemStarted(obj(ev, 'item'));
          break;
        case 'item.completed':
          retrying = undefined;
          itemCompleted(obj(ev, 'item'));
          break;
        case 'turn.completed': {
          turns++;
          pendingError = undefined;
          retrying = undefined;
          // Newer versions report the thread's running total here, so the last one counts, not a sum.
          const u = obj(ev, 'usage');
          usage = {
            inputTokens: num(u, 'input_tokens') ?? 0,
            outputTokens: num(u, 'output_tokens') ?? 0,
            cacheReadTokens: num(u, 'cached_input_tokens') ?? 0,
          };
          break;
        }
        case 'turn.failed':
          failed = str(obj(ev, 'error'), 'message') ?? 'turn failed';
          ctx.emit({ kind: 'error', text: firstLine(readableError(failed)) });
          break;
        case 'error':
          pendingError = str(ev, 'message') ?? 'error';
          if (pendingError.startsWith('Reconnecting...')) retrying = firstLine(readableError(pendingError));
          ctx.emit({ kind: 'error', text: firstLine(readableError(pendingError)) });
          break;
      }
    },
    outcome(): ParsedOutcome {
      const out: ParsedOutcome = { sessionId, summary: lastText };
      if (usage) out.usage = { ...usage, turns };
      if (retrying) out.retrying = retrying;
      const error = failed ?? pendingError;
      // Whole: an API's error body can span lines (its first is `{`), and what it says is read
      // again for a rate or usage limit; the task's error shows it as one line (readableError).
      if (error !== undefined) out.error = error.trim() || 'error';
      else if (turns === 0) out.incomplete = 'Codex ended without completing its turn';
      return out;
    },
  };

  function itemStarted(item: JsonObject | undefined) {
    switch (str(item, 'type')) {
      case 'command_execution':
        ctx.emit({ kind: 'tool', text: firstLine(`Bash ${unwrapShell(str(item, 'command') ?? '')}`) });
        break;
      case 'mcp_tool_call':
        ctx.emit({ kind: 'tool', text: `${str(item, 'server') ?? 'mcp'}.${str(item, 'tool') ?? 'tool'}` });
        break;
      case 'web_search':
        ctx.emit({ kind: 'tool', text: describeTool('WebSearch', item, ctx.cwd) });
        break;
    }
  }

  function itemCompleted(item: JsonObject | undefined) {
    switch (str(item, 'type')) {
      case 'agent_message': {
        const text = str(item, 'text');
        if (text?.trim()) {
          lastText = text;
          ctx.emit({ kind: 'text', text: firstLine(text) });
        }
        break;
      }
      case 'file_change': {
        const changes = list(item, 'changes').filter(isObject);
        const first = changes[0];
        if (!first) break;
        const verb = CHANGE_VERBS[str(first, 'kind') ?? ''] ?? 'Edit';
        const more = changes.length > 1 ? ` (+${changes.length - 1} more)` : '';
        const what = `${verb} ${displayPath(str(first, 'path') ?? '?', ctx.cwd)}${more}`;
        ctx.emit(
          str(item, 'status') === 'failed' ? { kind: 'error', text: `failed: ${what}` } : { kind: 'tool', text: what },
        );
        break;
      }
      case 'mcp_tool_call': {
        const message = str(obj(item, 'error'), 'message');
        if (message) ctx.emit({ kind: 'error', text: firstLine(message) });
        break;
      }
      case 'error':
        // A warning (unknown model metadata, a deprecation); it does not fail the task.
        ctx.emit({ kind: 'error', text: firstLine(str(item, 'message') ?? 'error') });
        break;
    }
  }
}

export function codexAgent(name: string, config: AgentConfig, configFile?: string): AgentAdapter {
  return cliAgent(name, config, configFile, {
    defaultBin: 'codex',
    resumable: true,
    usageIsCumulative: true,
    authHint: `check OPENAI_API_KEY (or the key its model provider's env_key names; in the environment or agents.${name}.env), or log in with \`codex login\``,
    invocation: codexInvocation,
    parser: codexParser,
  });
}
