// A scripted model server for end-to-end tests that run the real agent CLIs offline: it speaks
// enough of the Anthropic Messages API (Claude Code) and the OpenAI Responses API (Codex) for a
// CLI to run a whole agent loop against it, on 127.0.0.1 and a free port.
//
// What the "model" answers is decided by a script from the conversation so far: the prompt picks
// the task (a marker such as `Task ID: T001` found in the user's text), and the number of tool
// results already in the conversation picks the step. A step writes a file, runs a shell command,
// calls any tool the request offers, ends the turn with a text, or fails the call with an HTTP
// error in the API's own shape (how a CLI takes an API's failure). Each step is mapped onto the
// tools the request actually offers (Claude Code's Write / Bash, Codex's apply_patch /
// shell-like tools), so the same script drives both CLIs. Every request is recorded.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';

/** Token counts reported for one model response; the CLIs turn them into usage and cost. */
export interface StepUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** One model response. */
export type Step =
  /** Create (or overwrite) a file; a relative path is taken from the agent's working directory. */
  | { kind: 'write'; path: string; content: string; usage?: StepUsage }
  /** Run a shell command in the agent's working directory. */
  | { kind: 'shell'; command: string; usage?: StepUsage }
  /**
   * Call a tool by name with the given input (Anthropic) or JSON arguments (OpenAI function tools;
   * for an OpenAI custom tool such as apply_patch, `input.input` is its raw text).
   */
  | { kind: 'tool'; name: string; input: Record<string, unknown>; usage?: StepUsage }
  /** End the turn with a text. */
  | { kind: 'text'; text: string; usage?: StepUsage }
  /**
   * Answer with an HTTP error in the API's own error shape (`type` defaults to what the API calls
   * that status: `overloaded_error` for 529, `invalid_request_error` for 400, …).
   */
  | { kind: 'fail'; status: number; message: string; type?: string };

/** The steps that are a model's answer (a tool call or a text), not a failure to give one. */
type Answer = Exclude<Step, { kind: 'fail' }>;

export const writeFile = (path: string, content: string, usage?: StepUsage): Step => ({
  kind: 'write',
  path,
  content,
  usage,
});
export const runShell = (command: string, usage?: StepUsage): Step => ({ kind: 'shell', command, usage });
export const callTool = (name: string, input: Record<string, unknown>, usage?: StepUsage): Step => ({
  kind: 'tool',
  name,
  input,
  usage,
});
export const finalText = (text: string, usage?: StepUsage): Step => ({ kind: 'text', text, usage });
export const httpError = (status: number, message: string, type?: string): Step => ({
  kind: 'fail',
  status,
  message,
  ...(type ? { type } : {}),
});

export type Api = 'anthropic' | 'openai';

/** What a script sees of one model request. */
export interface ModelRequest {
  api: Api;
  path: string;
  model: string;
  /** The user's text in the conversation (all user turns joined; not tool results): where markers are looked for. */
  prompt: string;
  /** Tool results already in the conversation: the index of the step to give. */
  toolResults: number;
  /** Names of the tools the request offers. */
  tools: string[];
  /** The agent's working directory, when the request tells it (system prompt / environment context). */
  cwd?: string;
  body: Record<string, unknown>;
}

/**
 * A function from the request to the step to give, or steps keyed by a marker found in the prompt
 * (the key that occurs earliest in it, the longest at one position; `*` matches any prompt). With
 * keyed steps, step N is given when the conversation holds N tool results; past the last step the
 * answer is the text `Done.`; a prompt no key matches gets the text `No script for this prompt.`.
 */
export type Script = ((request: ModelRequest) => Step) | Record<string, Step[]>;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  api?: Api;
  model?: string;
  stream?: boolean;
  /** The parsed JSON body, when there was one. */
  body?: Record<string, unknown>;
  /** The step the script chose, for model calls that the script answered. */
  step?: Step;
  /** The marker (key of a keyed script) that matched, if any. */
  marker?: string;
  status: number;
  time: number;
}

export interface ModelServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const DEFAULT_USAGE: Required<StepUsage> = { input: 1000, output: 50, cacheRead: 0, cacheWrite: 0 };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function usageOf(step: Answer): Required<StepUsage> {
  const u = step.usage ?? {};
  return {
    input: u.input ?? DEFAULT_USAGE.input,
    output: u.output ?? DEFAULT_USAGE.output,
    cacheRead: u.cacheRead ?? DEFAULT_USAGE.cacheRead,
    cacheWrite: u.cacheWrite ?? DEFAULT_USAGE.cacheWrite,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading requests

/** The text of an Anthropic or OpenAI content value: a string or a list of typed parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((part) => (isObject(part) ? str(part.text) : ''))
    .filter(Boolean)
    .join('\n');
}

function cwdIn(text: string): string | undefined {
  const m =
    /<cwd>([^<]+)<\/cwd>/.exec(text) ??
    /Primary working directory: (\S+)/.exec(text) ??
    /Working directory: (\S+)/.exec(text);
  return m?.[1]?.trim();
}

function readAnthropic(path: string, body: Json): ModelRequest {
  const messages = asArray(body.messages).filter(isObject);
  const prompt = messages
    .filter((m) => m.role === 'user')
    .map((m) => textOf(m.content))
    .filter(Boolean)
    .join('\n');
  let toolResults = 0;
  for (const m of messages) {
    for (const part of asArray(m.content)) if (isObject(part) && part.type === 'tool_result') toolResults++;
  }
  const tools = asArray(body.tools)
    .filter(isObject)
    .map((t) => str(t.name));
  const system = typeof body.system === 'string' ? body.system : textOf(body.system);
  return {
    api: 'anthropic',
    path,
    model: str(body.model),
    prompt,
    toolResults,
    tools,
    cwd: cwdIn(system) ?? cwdIn(prompt),
    body,
  };
}

const OPENAI_TOOL_OUTPUTS = new Set([
  'function_call_output',
  'custom_tool_call_output',
  'local_shell_call_output',
  'tool_search_output',
]);

function readOpenAI(path: string, body: Json): ModelRequest {
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : asArray(body.input);
  const items = input.filter(isObject);
  const prompt = items
    .filter((i) => i.role === 'user')
    .map((i) => textOf(i.content))
    .filter(Boolean)
    .join('\n');
  const toolResults = items.filter((i) => OPENAI_TOOL_OUTPUTS.has(str(i.type))).length;
  const tools = asArray(body.tools)
    .filter(isObject)
    .map((t) => str(t.name) || str(t.type));
  return {
    api: 'openai',
    path,
    model: str(body.model),
    prompt,
    toolResults,
    tools,
    cwd: cwdIn(prompt) ?? cwdIn(str(body.instructions)),
    body,
  };
}

function choose(script: Script, request: ModelRequest): { step: Step; marker?: string } {
  if (typeof script === 'function') return { step: script(request) };
  // The key found earliest in the prompt (a prompt may mention other tasks further on); at one
  // position the longest key (`T10` over `T1`).
  let marker: string | undefined;
  let at = Number.POSITIVE_INFINITY;
  for (const key of Object.keys(script)) {
    if (key === '*') continue;
    const i = request.prompt.indexOf(key);
    if (i >= 0 && (i < at || (i === at && key.length > (marker?.length ?? 0)))) {
      marker = key;
      at = i;
    }
  }
  const key = marker ?? ('*' in script ? '*' : undefined);
  const steps = key === undefined ? undefined : script[key];
  if (!steps) return { step: finalText('No script for this prompt.') };
  return { step: steps[request.toolResults] ?? finalText('Done.'), marker: key };
}

// ---------------------------------------------------------------------------------------------
// Mapping steps onto the tools a request offers

interface ToolCall {
  name: string;
  input: Json;
  /** OpenAI custom (freeform) tools take a raw string instead of JSON arguments. */
  freeform?: string;
}

interface OpenAITool {
  type: string;
  name: string;
  parameters: Json;
}

function openaiTools(body: Json): OpenAITool[] {
  return asArray(body.tools)
    .filter(isObject)
    .map((t) => ({
      type: str(t.type),
      name: str(t.name) || str(t.type),
      parameters: isObject(t.parameters) ? t.parameters : {},
    }));
}

/** How Codex's shell-like tool takes a command: a string, or an argv run through `bash -lc`. */
function shellCall(tools: OpenAITool[], command: string): ToolCall {
  const preferred = ['exec_command', 'shell_command', 'shell', 'local_shell'];
  const tool =
    preferred.map((n) => tools.find((t) => t.name === n)).find((t) => t !== undefined) ??
    tools.find((t) => /shell|exec/.test(t.name));
  if (!tool) throw new Error(`no shell-like tool offered (tools: ${tools.map((t) => t.name).join(', ')})`);
  const props = isObject(tool.parameters.properties) ? tool.parameters.properties : {};
  for (const key of ['cmd', 'command']) {
    const prop = props[key];
    if (!isObject(prop)) continue;
    if (prop.type === 'array') return { name: tool.name, input: { [key]: ['bash', '-lc', command] } };
    return { name: tool.name, input: { [key]: command } };
  }
  return { name: tool.name, input: { command: ['bash', '-lc', command] } };
}

/** An apply_patch envelope that adds a file (apply_patch wants a trailing newline on each line). */
function addFilePatch(path: string, content: string): string {
  const lines = content.endsWith('\n') ? content.slice(0, -1).split('\n') : content.split('\n');
  return `*** Begin Patch\n*** Add File: ${path}\n${lines.map((l) => `+${l}`).join('\n')}\n*** End Patch\n`;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function toOpenAICall(step: Exclude<Answer, { kind: 'text' }>, request: ModelRequest): ToolCall {
  const tools = openaiTools(request.body);
  if (step.kind === 'tool') {
    // A custom (freeform) tool such as Codex's apply_patch takes its raw text from `input.input`.
    const custom = tools.find((t) => t.name === step.name)?.type === 'custom';
    const raw = step.input.input;
    return custom && typeof raw === 'string'
      ? { name: step.name, input: {}, freeform: raw }
      : { name: step.name, input: step.input };
  }
  if (step.kind === 'shell') return shellCall(tools, step.command);
  const patch = tools.find((t) => t.name === 'apply_patch');
  // apply_patch can only write content that ends in a newline; anything else goes through the shell.
  if (patch && step.content.endsWith('\n')) {
    const text = addFilePatch(step.path, step.content);
    return patch.type === 'custom'
      ? { name: 'apply_patch', input: {}, freeform: text }
      : { name: 'apply_patch', input: { input: text } };
  }
  const dir = step.path.includes('/') ? step.path.slice(0, step.path.lastIndexOf('/')) : '';
  const mkdir = dir ? `mkdir -p ${shellQuote(dir)} && ` : '';
  return shellCall(tools, `${mkdir}printf '%s' ${shellQuote(step.content)} > ${shellQuote(step.path)}`);
}

function toAnthropicCall(step: Exclude<Answer, { kind: 'text' }>, request: ModelRequest): ToolCall {
  if (step.kind === 'tool') return { name: step.name, input: step.input };
  if (step.kind === 'shell') return { name: 'Bash', input: { command: step.command, description: 'scripted command' } };
  // Claude Code's Write wants an absolute path.
  const filePath = isAbsolute(step.path) || !request.cwd ? step.path : join(request.cwd, step.path);
  return { name: 'Write', input: { file_path: filePath, content: step.content } };
}

// ---------------------------------------------------------------------------------------------
// Answers

function sse(res: ServerResponse, events: Json[]): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const event of events) res.write(`event: ${str(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Splits a string into a few chunks, so that deltas really are deltas. */
function chunks(text: string, size = 24): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

function anthropicAnswer(step: Answer, request: ModelRequest, stream: boolean, res: ServerResponse): void {
  const usage = usageOf(step);
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const model = request.model || 'claude-scripted';
  const block: Json =
    step.kind === 'text'
      ? { type: 'text', text: step.text }
      : (() => {
          const call = toAnthropicCall(step, request);
          return {
            type: 'tool_use',
            id: `toolu_${randomUUID().replaceAll('-', '')}`,
            name: call.name,
            input: call.input,
          };
        })();
  const stopReason = step.kind === 'text' ? 'end_turn' : 'tool_use';
  const usageJson = {
    input_tokens: usage.input,
    output_tokens: usage.output,
    cache_creation_input_tokens: usage.cacheWrite,
    cache_read_input_tokens: usage.cacheRead,
  };
  if (!stream) {
    json(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [block],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: usageJson,
    });
    return;
  }
  const events: Json[] = [
    {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usageJson, output_tokens: 1 },
      },
    },
  ];
  if (block.type === 'text') {
    events.push({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    events.push({ type: 'ping' });
    for (const text of chunks(str(block.text)))
      events.push({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
  } else {
    events.push({ type: 'content_block_start', index: 0, content_block: { ...block, input: {} } });
    events.push({ type: 'ping' });
    for (const partial_json of chunks(JSON.stringify(block.input)))
      events.push({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json } });
  }
  events.push({ type: 'content_block_stop', index: 0 });
  events.push({
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  events.push({ type: 'message_stop' });
  sse(res, events);
}

function openaiAnswer(step: Answer, request: ModelRequest, stream: boolean, res: ServerResponse): void {
  const usage = usageOf(step);
  const responseId = `resp_${randomUUID().replaceAll('-', '')}`;
  const model = request.model || 'gpt-scripted';
  const createdAt = Math.floor(Date.now() / 1000);
  const usageJson = {
    input_tokens: usage.input + usage.cacheRead,
    input_tokens_details: { cached_tokens: usage.cacheRead },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.input + usage.cacheRead + usage.output,
  };
  const base = { id: responseId, object: 'response', created_at: createdAt, model };
  const events: Json[] = [{ type: 'response.created', response: { ...base, status: 'in_progress', output: [] } }];
  events.push({ type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [] } });
  let item: Json;
  if (step.kind === 'text') {
    const itemId = `msg_${randomUUID().replaceAll('-', '')}`;
    const part = { type: 'output_text', text: step.text, annotations: [] };
    item = { id: itemId, type: 'message', role: 'assistant', status: 'completed', content: [part] };
    events.push({
      type: 'response.output_item.added',
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    });
    events.push({
      type: 'response.content_part.added',
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { ...part, text: '' },
    });
    for (const delta of chunks(step.text))
      events.push({ type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta });
    events.push({
      type: 'response.output_text.done',
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text: step.text,
    });
    events.push({ type: 'response.content_part.done', item_id: itemId, output_index: 0, content_index: 0, part });
  } else {
    const call = toOpenAICall(step, request);
    const callId = `call_${randomUUID().replaceAll('-', '')}`;
    if (call.freeform !== undefined) {
      const itemId = `ctc_${randomUUID().replaceAll('-', '')}`;
      item = {
        id: itemId,
        type: 'custom_tool_call',
        status: 'completed',
        call_id: callId,
        name: call.name,
        input: call.freeform,
      };
      events.push({
        type: 'response.output_item.added',
        output_index: 0,
        item: { ...item, status: 'in_progress', input: '' },
      });
      for (const delta of chunks(call.freeform))
        events.push({ type: 'response.custom_tool_call_input.delta', item_id: itemId, output_index: 0, delta });
      events.push({
        type: 'response.custom_tool_call_input.done',
        item_id: itemId,
        output_index: 0,
        input: call.freeform,
      });
    } else {
      const itemId = `fc_${randomUUID().replaceAll('-', '')}`;
      const args = JSON.stringify(call.input);
      item = {
        id: itemId,
        type: 'function_call',
        status: 'completed',
        call_id: callId,
        name: call.name,
        arguments: args,
      };
      events.push({
        type: 'response.output_item.added',
        output_index: 0,
        item: { ...item, status: 'in_progress', arguments: '' },
      });
      for (const delta of chunks(args))
        events.push({ type: 'response.function_call_arguments.delta', item_id: itemId, output_index: 0, delta });
      events.push({ type: 'response.function_call_arguments.done', item_id: itemId, output_index: 0, arguments: args });
    }
  }
  events.push({ type: 'response.output_item.done', output_index: 0, item });
  const completed = { ...base, status: 'completed', output: [item], usage: usageJson };
  events.push({ type: 'response.completed', response: completed });
  if (!stream) {
    json(res, 200, completed);
    return;
  }
  sse(
    res,
    events.map((e, i) => ({ ...e, sequence_number: i })),
  );
}

/** What each API calls an HTTP status in its error body. */
const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};
const OPENAI_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  429: 'rate_limit_exceeded',
};

function anthropicError(step: Extract<Step, { kind: 'fail' }>): Json {
  const type = step.type ?? ANTHROPIC_ERROR_TYPES[step.status] ?? 'api_error';
  return { type: 'error', error: { type, message: step.message } };
}

function openaiError(step: Extract<Step, { kind: 'fail' }>): Json {
  const type = step.type ?? OPENAI_ERROR_TYPES[step.status] ?? 'server_error';
  return { error: { message: step.message, type, param: null, code: step.status === 401 ? 'invalid_api_key' : null } };
}

// ---------------------------------------------------------------------------------------------
// The server

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startModelServer(script: Script): Promise<ModelServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      status: 200,
      time: Date.now(),
    };
    requests.push(record);
    const reply = (status: number, body: unknown) => {
      record.status = status;
      json(res, status, body);
    };
    try {
      const raw = await readBody(req);
      let body: Json | undefined;
      if (raw) {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (isObject(parsed)) body = parsed;
        } catch {
          // Not JSON (or compressed): kept out of the record, answered below by path.
        }
      }
      record.body = body;
      const post = req.method === 'POST';
      if (post && /\/messages\/count_tokens$/.test(path)) {
        record.api = 'anthropic';
        reply(200, { input_tokens: 1000 });
        return;
      }
      if (post && /\/messages$/.test(path) && body) {
        const request = readAnthropic(path, body);
        const { step, marker } = chooseFor(script, request);
        Object.assign(record, { api: 'anthropic', model: request.model, stream: body.stream === true, step, marker });
        if (step.kind === 'fail') reply(step.status, anthropicError(step));
        else anthropicAnswer(step, request, body.stream === true, res);
        return;
      }
      if (post && /\/responses$/.test(path) && body) {
        const request = readOpenAI(path, body);
        const { step, marker } = chooseFor(script, request);
        Object.assign(record, { api: 'openai', model: request.model, stream: body.stream === true, step, marker });
        if (step.kind === 'fail') {
          // OpenAI's API pretty-prints its error bodies.
          record.status = step.status;
          res.writeHead(step.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(openaiError(step), null, 4));
        } else openaiAnswer(step, request, body.stream === true, res);
        return;
      }
      if (req.method === 'GET' && /\/models$/.test(path)) {
        // Anthropic's list shape and OpenAI's list shape together; Codex reads `models` (none here).
        reply(200, { object: 'list', data: [], models: [], has_more: false, first_id: null, last_id: null });
        return;
      }
      reply(404, { type: 'error', error: { type: 'not_found_error', message: `no route for ${req.method} ${path}` } });
    } catch (err) {
      if (!res.headersSent)
        reply(500, {
          type: 'error',
          error: { type: 'api_error', message: err instanceof Error ? err.message : String(err) },
        });
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Requests that offer no tool at all are the CLIs' side calls (a title, a summary, a check): they
 * get a short text and do not consume a step, so the script only sees the agent's own turns.
 */
function chooseFor(script: Script, request: ModelRequest): { step: Step; marker?: string } {
  if (request.tools.length === 0) return { step: finalText('OK') };
  return choose(script, request);
}

/** The model calls (Messages / Responses) among the recorded requests. */
export const modelCalls = (server: ModelServer, api?: Api) =>
  server.requests.filter((r) => r.step !== undefined && (api === undefined || r.api === api));
