// `npuval serve` (its server and engine, in this process on loopback: tiny-llama on ort:cpu) driven
// by the official `openai` npm client: models list and retrieve, chat and completions, streamed with
// usage, n, stop, seeded sampling, the default max_tokens, and every refusal in OpenAI's error shape
// (the client raises BadRequestError / NotFoundError carrying the code and param).
import OpenAI, { BadRequestError, NotFoundError } from 'openai';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import { BatchEngine } from '../../harness/serve/engine.js';
import { openDecoder, type OpenedDecoder } from '../../harness/serve/open.js';
import { startLlmServer, type LlmServer, type ServedRequest } from '../../harness/serve/server.js';

let opened: OpenedDecoder;
let server: LlmServer;
let client: OpenAI;
const model = 'tiny-llama';
const served: ServedRequest[] = [];

test.before(async () => {
  opened = await openDecoder(createDevice('ort:cpu'), model);
  server = await startLlmServer({
    engine: new BatchEngine(opened.decoder, 4),
    modelName: model,
    vocabSize: opened.vocab,
    maxContext: 512,
    onRequest: (r) => served.push(r),
  });
  client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
});
test.after(async () => {
  await server.close();
  await opened.close();
});

const tokens = (text: string) => text.trim().split(/\s+/).filter(Boolean);

test('models: list and retrieve; an unknown id is NotFoundError model_not_found', async () => {
  const list = await client.models.list();
  assert.equal(
    list.data.map((m) => m.id),
    [model],
  );
  const m = await client.models.retrieve(model);
  assert.equal([m.id, m.object, m.owned_by], [model, 'model', 'npuval']);
  const err = await client.models.retrieve('gpt-4o').catch((e: unknown) => e);
  assert.instance(err, NotFoundError);
  assert.is((err as NotFoundError).code, 'model_not_found');
});

test('completions and chat (text parts), unstreamed and streamed with usage: the same greedy tokens', async () => {
  const c = await client.completions.create({ model, prompt: '1 2 3', max_tokens: 6, temperature: 0 });
  assert.is(c.object, 'text_completion');
  assert.is(tokens(c.choices[0]!.text).length, 6);
  assert.is(c.choices[0]!.finish_reason, 'length');
  assert.equal([c.usage!.prompt_tokens, c.usage!.completion_tokens, c.usage!.total_tokens], [3, 6, 9]);

  const chat = await client.chat.completions.create({
    model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '1 2' },
          { type: 'text', text: ' 3' },
        ],
      },
    ],
    max_tokens: 6,
    temperature: 0,
  });
  assert.is(chat.choices[0]!.message.role, 'assistant');
  assert.is(chat.choices[0]!.message.content, c.choices[0]!.text, 'text parts join to the same prompt');

  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: '1 2 3' }],
    max_tokens: 6,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: OpenAI.CompletionUsage | null | undefined = null;
  let finish: string | null = null;
  const roles: string[] = [];
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const ch of chunk.choices) {
      text += ch.delta.content ?? '';
      if (ch.delta.role) roles.push(ch.delta.role);
      finish = ch.finish_reason ?? finish;
    }
    if (chunk.choices.length === 0) assert.ok(chunk.usage, 'the chunk without choices is the usage chunk');
    else assert.is(chunk.usage, null, 'with include_usage, other chunks carry usage: null');
  }
  assert.is(text, c.choices[0]!.text);
  assert.equal(roles, ['assistant']);
  assert.is(finish, 'length');
  assert.equal([usage!.prompt_tokens, usage!.completion_tokens], [3, 6]);

  const cs = await client.completions.create({
    model,
    prompt: [1, 2, 3],
    max_tokens: 6,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let ctext = '';
  let cusage: OpenAI.CompletionUsage | null | undefined = null;
  for await (const chunk of cs) {
    ctext += chunk.choices.map((ch) => ch.text).join('');
    cusage = chunk.usage ?? cusage;
  }
  assert.is(ctext, c.choices[0]!.text);
  assert.is(cusage!.completion_tokens, 6);
});

test('max_tokens defaults to the rest of the context (512 − prompt)', async () => {
  const prompt = Array.from({ length: 505 }, (_, i) => (i * 7) % 512);
  const c = await client.completions.create({ model, prompt, temperature: 0 });
  assert.is(c.usage!.completion_tokens, 7);
  assert.is(tokens(c.choices[0]!.text).length, 7);
});

test('n: one choice per index, unstreamed and streamed; usage counts all of them', async () => {
  const c = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, n: 3, seed: 7 });
  assert.equal(
    c.choices.map((ch) => ch.index),
    [0, 1, 2],
  );
  assert.ok(c.choices.every((ch) => tokens(ch.message.content!).length === 4));
  assert.is(c.usage!.completion_tokens, 12);
  const s = await client.completions.create({ model, prompt: 'hi', max_tokens: 4, n: 2, temperature: 0, stream: true });
  const texts = ['', ''];
  const finishes: (string | null)[] = [null, null];
  for await (const chunk of s)
    for (const ch of chunk.choices) {
      texts[ch.index] += ch.text;
      finishes[ch.index] = ch.finish_reason ?? finishes[ch.index]!;
    }
  assert.is(texts[0], texts[1], 'greedy choices agree');
  assert.is(tokens(texts[0]!).length, 4);
  assert.equal(finishes, ['length', 'length']);
});

test('stop: the output ends before the first stop string (not returned), finish_reason stop, streamed alike', async () => {
  const full = (await client.completions.create({ model, prompt: '5 6 7', max_tokens: 10, temperature: 0 })).choices[0]!.text;
  const ids = tokens(full);
  const stop = ` ${ids[3]} ${ids[4]}`;
  const expected = full.slice(0, full.indexOf(stop));
  const c = await client.completions.create({ model, prompt: '5 6 7', max_tokens: 10, temperature: 0, stop: ['never-there', stop] });
  assert.is(c.choices[0]!.text, expected);
  assert.is(c.choices[0]!.finish_reason, 'stop');
  assert.ok(c.usage!.completion_tokens < 10);
  const s = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: '5 6 7' }],
    max_tokens: 10,
    temperature: 0,
    stop,
    stream: true,
  });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of s)
    for (const ch of chunk.choices) {
      text += ch.delta.content ?? '';
      finish = ch.finish_reason ?? finish;
    }
  assert.is(text, expected);
  assert.is(finish, 'stop');
});

test('seed: the same seed and request give the same tokens; another seed differs at temperature 1', async () => {
  const ask = (seed: number) =>
    client.completions.create({ model, prompt: '9 9', max_tokens: 16, temperature: 1, top_p: 0.95, seed }).then((c) => c.choices[0]!.text);
  const a = await ask(42);
  assert.is(await ask(42), a);
  assert.is.not(await ask(43), a);
  const greedy = (await client.completions.create({ model, prompt: '9 9', max_tokens: 16, temperature: 0 })).choices[0]!.text;
  assert.is.not(a, greedy, 'temperature 1 samples');
  // The seed of every sampled request is journaled, a drawn one too, so any of them can be replayed.
  await client.completions.create({ model, prompt: '9 9', max_tokens: 2 });
  assert.equal(
    served.slice(-5).map((r) => (r.seed === null ? null : typeof r.seed === 'number' && r.seed !== 42 && r.seed !== 43 ? 'drawn' : r.seed)),
    [42, 42, 43, null, 'drawn'],
  );
});

test("refusals in OpenAI's shape: BadRequestError with param and code, NotFoundError for an unknown model", async () => {
  const refused = async (
    p: Promise<unknown>,
    param: string | null,
    code: string | null,
    Cls: typeof BadRequestError | typeof NotFoundError = BadRequestError,
  ) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    assert.instance(err, Cls, `expected ${Cls.name} for ${param}/${code}, got ${String(err)}`);
    const e = err as BadRequestError;
    assert.equal([e.param, e.code, e.type], [param, code, 'invalid_request_error'], e.message);
  };
  const chat = (extra: Record<string, unknown>) =>
    client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
      ...extra,
    } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
  const completion = (extra: Record<string, unknown>) =>
    client.completions.create({ model, prompt: 'hi', max_tokens: 2, ...extra } as unknown as OpenAI.CompletionCreateParamsNonStreaming);
  await refused(chat({ model: 'gpt-4o' }), 'model', 'model_not_found', NotFoundError);
  await refused(chat({ model: undefined }), 'model', 'missing_required_parameter');
  await refused(chat({ temperature: 2.5 }), 'temperature', 'decimal_above_max_value');
  await refused(chat({ temperature: -0.1 }), 'temperature', 'decimal_below_min_value');
  await refused(chat({ top_p: 0 }), 'top_p', 'decimal_below_min_value');
  await refused(chat({ top_p: 1.5 }), 'top_p', 'decimal_above_max_value');
  await refused(chat({ n: 0 }), 'n', 'integer_below_min_value');
  await refused(chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop', 'array_above_max_length');
  await refused(chat({ max_tokens: 600 }), 'max_tokens', 'context_length_exceeded');
  await refused(chat({ logprobs: true }), 'logprobs', 'unsupported_parameter');
  await refused(chat({ top_logprobs: 2 }), 'top_logprobs', 'unsupported_parameter');
  await refused(chat({ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }), 'tools', 'unsupported_parameter');
  await refused(chat({ tool_choice: 'auto' }), 'tool_choice', 'unsupported_parameter');
  await refused(chat({ functions: [{ name: 'f' }] }), 'functions', 'unsupported_parameter');
  await refused(chat({ response_format: { type: 'json_object' } }), 'response_format', 'unsupported_parameter');
  await refused(chat({ logit_bias: { 5: 100 } }), 'logit_bias', 'unsupported_parameter');
  await refused(chat({ presence_penalty: 1 }), 'presence_penalty', 'unsupported_parameter');
  await refused(chat({ colour: 'red' }), 'colour', 'unknown_parameter');
  await refused(chat({ stream_options: { include_usage: true } }), 'stream_options', 'invalid_value');
  await refused(
    chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }] }),
    'messages[0].content[0].type',
    'unsupported_value',
  );
  await refused(completion({ echo: true }), 'echo', 'unsupported_parameter');
  await refused(completion({ logprobs: 2 }), 'logprobs', 'unsupported_parameter');
  await refused(completion({ best_of: 3 }), 'best_of', 'unsupported_parameter');
  await refused(completion({ suffix: 'x' }), 'suffix', 'unsupported_parameter');
  await refused(completion({ prompt: [1, 99999] }), 'prompt', 'invalid_value');
  // Values that mean "not used" change nothing and are accepted.
  const ok = await chat({
    logprobs: false,
    response_format: { type: 'text' },
    presence_penalty: 0,
    logit_bias: {},
    tool_choice: 'none',
    user: 'u',
  });
  assert.is(ok.choices.length, 1);
  // Raw bodies: a missing model is a 400, an unknown route a 404, both with string-or-null codes.
  const raw = await fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.is(raw.status, 400);
  assert.equal(await raw.json(), {
    error: {
      message: 'you must provide a model parameter',
      type: 'invalid_request_error',
      param: 'model',
      code: 'missing_required_parameter',
    },
  });
  const route = await fetch(`${server.url}/embeddings`, { method: 'POST', body: '{}' });
  assert.is(route.status, 404);
  assert.equal(await route.json(), {
    error: { message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error', param: null, code: null },
  });
});

test.run();
