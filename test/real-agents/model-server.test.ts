// The scripted model server on its own, over HTTP: the wire shapes the CLIs read, and how a
// script's steps are chosen and mapped onto the tools a request offers.
import { afterEach, describe, expect, test } from 'vitest';
import {
  callTool,
  finalText,
  httpError,
  type ModelServer,
  runShell,
  type Script,
  startModelServer,
  writeFile,
} from '../support/model-server.js';

type Json = Record<string, unknown>;

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(script: Script): Promise<ModelServer> {
  server = await startModelServer(script);
  return server;
}

async function post(path: string, body: Json): Promise<Response> {
  if (!server) throw new Error('no server');
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body, each checked against its `event:` line. */
async function events(res: Response): Promise<Json[]> {
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const out: Json[] = [];
  for (const block of (await res.text()).split('\n\n').filter(Boolean)) {
    const event = /^event: (.+)$/m.exec(block)?.[1];
    const data = JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? 'null') as Json;
    expect(data.type).toBe(event);
    out.push(data);
  }
  return out;
}

const claudeTools = [{ name: 'Write' }, { name: 'Bash' }, { name: 'Read' }];
const claudeBody = (messages: Json[], stream = true): Json => ({
  model: 'claude-test',
  stream,
  system: [{ type: 'text', text: 'Primary working directory: /work/repo\n' }],
  tools: claudeTools,
  messages,
});
const user = (text: string) => ({ role: 'user', content: [{ type: 'text', text }] });
const toolResult = (id: string) => ({
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }],
});
const toolUse = (id: string) => ({ role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: {} }] });

describe('Anthropic Messages', () => {
  test('streams a tool_use built from input_json_delta, with usage, and advances on tool results', async () => {
    await start({
      'Task ID: T1': [writeFile('src/a.txt', 'hello\n', { input: 10, output: 5 }), runShell('make'), finalText('done')],
    });
    const first = await events(await post('/v1/messages', claudeBody([user('Task ID: T1 please')])));
    expect(first.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(first.length - 6).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(first[0]).toMatchObject({
      message: { role: 'assistant', model: 'claude-test', usage: { input_tokens: 10 } },
    });
    expect(first[1]).toMatchObject({ index: 0, content_block: { type: 'tool_use', name: 'Write', input: {} } });
    const json = first
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => (e.delta as { type: string; partial_json: string }).partial_json)
      .join('');
    // A relative path is made absolute from the working directory in the system prompt.
    expect(JSON.parse(json)).toEqual({ file_path: '/work/repo/src/a.txt', content: 'hello\n' });
    expect(first.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } });

    const second = await events(
      await post('/v1/messages', claudeBody([user('Task ID: T1 please'), toolUse('a'), toolResult('a')])),
    );
    expect(second[1]).toMatchObject({ content_block: { type: 'tool_use', name: 'Bash' } });

    const third = await events(
      await post(
        '/v1/messages',
        claudeBody([user('Task ID: T1 please'), toolUse('a'), toolResult('a'), toolUse('b'), toolResult('b')]),
      ),
    );
    expect(third[1]).toMatchObject({ content_block: { type: 'text', text: '' } });
    expect(third.find((e) => e.type === 'content_block_delta')).toMatchObject({
      delta: { type: 'text_delta', text: 'done' },
    });
    expect(third.at(-2)).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 50 } });

    expect(server?.requests.map((r) => [r.path, r.marker, r.step?.kind])).toEqual([
      ['/v1/messages', 'Task ID: T1', 'write'],
      ['/v1/messages', 'Task ID: T1', 'shell'],
      ['/v1/messages', 'Task ID: T1', 'text'],
    ]);
  });

  test('answers without streaming, side calls, token counts, models and unknown paths', async () => {
    await start({ '*': [callTool('Read', { file_path: '/etc/hostname' })] });
    const res = await post('/v1/messages', claudeBody([user('anything')], false));
    expect(await res.json()).toMatchObject({
      type: 'message',
      content: [{ type: 'tool_use', name: 'Read', input: { file_path: '/etc/hostname' } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 1000, output_tokens: 50 },
    });
    // A request offering no tools (a title, a summary) gets a short text and takes no step.
    const side = await post('/v1/messages', { model: 'claude-test', messages: [user('anything')] });
    expect(await side.json()).toMatchObject({ content: [{ type: 'text', text: 'OK' }], stop_reason: 'end_turn' });
    expect(await (await post('/v1/messages/count_tokens', claudeBody([user('x')]))).json()).toEqual({
      input_tokens: 1000,
    });
    expect((await fetch(`${server?.url}/v1/models`)).status).toBe(200);
    expect((await fetch(`${server?.url}/v1/elsewhere`)).status).toBe(404);
    expect(server?.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/messages 200',
      'POST /v1/messages 200',
      'POST /v1/messages/count_tokens 200',
      'GET /v1/models 200',
      'GET /v1/elsewhere 404',
    ]);
  });

  test('a prompt no key matches gets a text; a function script sees the request', async () => {
    await start({ 'Task ID: T9': [runShell('true')] });
    const res = await post('/v1/messages', claudeBody([user('Task ID: T1')], false));
    expect(await res.json()).toMatchObject({ content: [{ type: 'text', text: 'No script for this prompt.' }] });
    await server?.close();

    // The marker found first wins (T10 over T1 at the same place; T2 mentioned later is not it).
    await start({ T1: [finalText('one')], T10: [finalText('ten')], T2: [finalText('two')] });
    const picked = await post('/v1/messages', claudeBody([user('Task T10, after T2.')], false));
    expect(await picked.json()).toMatchObject({ content: [{ type: 'text', text: 'ten' }] });
    await server?.close();

    const seen: { prompt: string; toolResults: number; tools: string[]; cwd?: string }[] = [];
    await start((request) => {
      seen.push({ prompt: request.prompt, toolResults: request.toolResults, tools: request.tools, cwd: request.cwd });
      return finalText(`turn ${request.toolResults}`);
    });
    const answer = await post('/v1/messages', claudeBody([user('go'), toolUse('a'), toolResult('a')], false));
    expect(await answer.json()).toMatchObject({ content: [{ type: 'text', text: 'turn 1' }] });
    expect(seen).toEqual([{ prompt: 'go', toolResults: 1, tools: ['Write', 'Bash', 'Read'], cwd: '/work/repo' }]);
  });
});

const codexTools = (withPatch: boolean): Json[] => [
  {
    type: 'function',
    name: 'exec_command',
    parameters: { type: 'object', properties: { cmd: { type: 'string' }, workdir: { type: 'string' } } },
  },
  ...(withPatch ? [{ type: 'custom', name: 'apply_patch', format: { type: 'grammar' } }] : []),
];
const codexBody = (input: Json[], withPatch = true, stream = true): Json => ({
  model: 'gpt-test',
  stream,
  tools: codexTools(withPatch),
  input: [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context><cwd>/w</cwd>' }] },
    ...input,
  ],
});
const codexUser = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const output = (id: string) => ({ type: 'function_call_output', call_id: id, output: 'ok' });

describe('HTTP errors', () => {
  test("each in its API's own shape: Anthropic's error object, OpenAI's pretty-printed body", async () => {
    await start({ '*': [httpError(529, 'Overloaded')], 'Task T2': [httpError(400, 'bad request', 'custom_error')] });
    const anthropic = await post('/v1/messages', claudeBody([user('anything')]));
    expect(anthropic.status).toBe(529);
    expect(await anthropic.json()).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    const openai = await post('/v1/responses', codexBody([{ role: 'user', content: 'Task T2' }]));
    expect(openai.status).toBe(400);
    const text = await openai.text();
    expect(text.split('\n')[0]).toBe('{');
    expect(JSON.parse(text)).toEqual({
      error: { message: 'bad request', type: 'custom_error', param: null, code: null },
    });
    expect(server?.requests.map((r) => `${r.path} ${r.status} ${r.step?.kind}`)).toEqual([
      '/v1/messages 529 fail',
      '/v1/responses 400 fail',
    ]);
  });
});

describe('OpenAI Responses', () => {
  test('streams a freeform apply_patch, a shell function call and a message, with usage', async () => {
    await start({
      T2: [writeFile('a/b.txt', 'one\ntwo\n'), runShell('ls a > l.txt'), finalText('all done', { cacheRead: 200 })],
    });
    const patch = await events(await post('/v1/responses', codexBody([codexUser('T2')])));
    expect(patch.map((e) => e.sequence_number)).toEqual(patch.map((_, i) => i));
    expect(patch.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      ...Array(patch.length - 6).fill('response.custom_tool_call_input.delta'),
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(patch.at(-2)).toMatchObject({
      item: {
        type: 'custom_tool_call',
        name: 'apply_patch',
        call_id: expect.stringMatching(/^call_/),
        input: '*** Begin Patch\n*** Add File: a/b.txt\n+one\n+two\n*** End Patch\n',
      },
    });
    expect(patch.at(-1)).toMatchObject({
      response: { status: 'completed', usage: { input_tokens: 1000, output_tokens: 50, total_tokens: 1050 } },
    });

    const shell = await events(await post('/v1/responses', codexBody([codexUser('T2'), output('x')])));
    const call = shell.find((e) => e.type === 'response.output_item.done')?.item as Json;
    expect(call).toMatchObject({ type: 'function_call', name: 'exec_command' });
    expect(JSON.parse(String(call.arguments))).toEqual({ cmd: 'ls a > l.txt' });
    const deltas = shell.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta);
    expect(deltas.join('')).toBe(call.arguments);

    const text = await events(await post('/v1/responses', codexBody([codexUser('T2'), output('x'), output('y')])));
    expect(
      text
        .filter((e) => e.type === 'response.output_text.delta')
        .map((e) => e.delta)
        .join(''),
    ).toBe('all done');
    expect(text.at(-1)).toMatchObject({
      response: { usage: { input_tokens: 1200, input_tokens_details: { cached_tokens: 200 }, output_tokens: 50 } },
    });
  });

  test('without apply_patch (or for content with no final newline) a file is written through the shell', async () => {
    await start({ T3: [writeFile('x y/z.txt', "it's\nhere")] });
    const res = await post('/v1/responses', codexBody([codexUser('T3')], false, false));
    const body = (await res.json()) as { output: Json[] };
    expect(body.output[0]).toMatchObject({ type: 'function_call', name: 'exec_command' });
    expect(JSON.parse(String(body.output[0]?.arguments))).toEqual({
      cmd: `mkdir -p 'x y' && printf '%s' 'it'\\''s\nhere' > 'x y/z.txt'`,
    });
    expect(server?.requests[0]).toMatchObject({ api: 'openai', model: 'gpt-test', stream: false, marker: 'T3' });
  });
});
