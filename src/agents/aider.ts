import type { AgentConfig } from '../cli/config.js';
import { cliAgent, promptFitsArgv } from './cli-agent.js';
import { displayPath, firstLine } from './json-lines.js';
import type { Invocation, ParsedOutcome, ParserContext, StreamParser } from './stream.js';
import type { AgentAdapter, AgentRequest } from './types.js';

/**
 * `aider --message PROMPT --yes-always --no-auto-commits`: one message, every confirmation answered
 * yes, no commits of its own (taskwave commits the task's work itself, so `--no-dirty-commits` too).
 * Its history files go next to the prompt file and `.gitignore` is left alone, so that nothing of
 * aider's own lands in the task's commit. A prompt too large for argv is read from the prompt file
 * (`--message-file`). Aider has no session to resume by id, and no turn limit.
 */
export function aiderInvocation(config: AgentConfig, req: AgentRequest, exe = 'aider'): Invocation {
  const onArgv = promptFitsArgv(req.prompt) && !req.prompt.startsWith('-');
  const argv = [exe, ...(onArgv ? ['--message', req.prompt] : ['--message-file', req.promptFile])];
  argv.push('--yes-always', '--no-auto-commits', '--no-dirty-commits', '--no-gitignore');
  argv.push('--no-pretty', '--no-stream', '--no-check-update');
  argv.push('--chat-history-file', `${req.promptFile}.aider.chat.history.md`);
  argv.push('--input-history-file', `${req.promptFile}.aider.input.history`);
  if (config.model) argv.push('--model', config.model);
  argv.push(...(config.args ?? []));
  return { argv };
}

/** `Tokens: 12k sent, 1.2k cache write, 8.1k cache hit, 310 received. Cost: $0.02 message, $0.09 session.` */
const USAGE_LINE =
  /^Tokens: ([\d.]+k?) sent(?:, ([\d.]+k?) cache write)?(?:, ([\d.]+k?) cache (?:hit|read))?, ([\d.]+k?) received\.(?:\s+Cost: \$([\d.]+) message, \$([\d.]+) session\.)?/;
const EDIT_LINE = /^Applied edit to (.+)$/;
const ERROR_LINE = /^(?:litellm\.)?[A-Za-z]*(?:Error|Exception)\b:?\s/;

/**
 * Aider prints text, not events. It says `Applied edit to FILE` for each edit and a `Tokens: ...`
 * line after each model call (token counts rounded to `1.2k`). It exits 0 even when every model
 * call failed, so an error line with no model call completed is reported as the agent's failure.
 */
export function aiderParser(ctx: ParserContext): StreamParser {
  let lastText: string | undefined;
  let lastError: string | undefined;
  let calls = 0;
  let sessionCost: number | undefined;
  const tokens = { input: 0, output: 0, cacheRead: 0 };
  return {
    line(text) {
      const line = text.trim();
      if (!line) return;
      const usage = USAGE_LINE.exec(line);
      if (usage) {
        calls++;
        // `sent` is aider's own input count (cache writes added in); hits are shown as a part of it.
        tokens.input += count(usage[1]);
        tokens.cacheRead += count(usage[3]);
        tokens.output += count(usage[4]);
        if (usage[6]) sessionCost = Number(usage[6]);
        return;
      }
      const edit = EDIT_LINE.exec(line);
      if (edit?.[1]) {
        ctx.emit({ kind: 'tool', text: `Edit ${displayPath(edit[1], ctx.cwd)}` });
        return;
      }
      if (ERROR_LINE.test(line)) {
        lastError = firstLine(line);
        ctx.emit({ kind: 'error', text: lastError });
        return;
      }
      lastText = line;
      ctx.emit({ kind: 'text', text: firstLine(line) });
    },
    outcome(): ParsedOutcome {
      const out: ParsedOutcome = { summary: lastText };
      if (calls > 0) {
        out.usage = {
          inputTokens: tokens.input,
          outputTokens: tokens.output,
          cacheReadTokens: tokens.cacheRead,
          turns: calls,
          ...(sessionCost !== undefined ? { costUsd: sessionCost } : {}),
        };
      } else if (lastError) {
        out.error = lastError;
      }
      return out;
    },
  };
}

/** `310` or `1.2k`, as aider rounds them. */
function count(text: string | undefined): number {
  if (!text) return 0;
  return text.endsWith('k') ? Math.round(Number(text.slice(0, -1)) * 1000) : Number(text);
}

export function aiderAgent(name: string, config: AgentConfig, configFile?: string): AgentAdapter {
  return cliAgent(name, config, configFile, {
    defaultBin: 'aider',
    resumable: false,
    invocation: aiderInvocation,
    parser: aiderParser,
  });
}
