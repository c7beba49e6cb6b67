// The endpoint: adapter against a scripted loopback server: SSE framing (split events, several
// per read, comments, [DONE]), role-only and empty chunks, usage, in-stream and HTTP errors,
// API key handling.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { createDevice, probe } from '../../devices/index.js';
import { requestBody } from '../../devices/endpoint/openai.js';
import type { GenerateEvent, GenerationSession } from '../../devices/types.js';
import { DONE, delta, startScriptedServer, text, usage, data, type ScriptedServer } from '../fixtures/llm/scripted-server.js';

let server: ScriptedServer;

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

test.before(async () => {
  const splitEvent = text(' b');
  server = await startScriptedServer({
    framing: {
      steps: [
        { at: 0, raw: ': comment before anything\n\n' },
        { at: 5, raw: text('') },
        { at: 10, raw: text('a') },
        { at: 15, raw: splitEvent.slice(0, 12) },
        { at: 25, raw: splitEvent.slice(12) },
        { at: 30, raw: text(' c') + ': keep-alive\n\n' + text(' d') },
        { at: 35, raw: usage(7, 4) },
        { at: 36, raw: DONE },
      ],
    },
    chat: {
      steps: [
        { at: 0, raw: delta({ role: 'assistant' }) },
        { at: 10, raw: delta({ content: 'x' }) },
        { at: 20, raw: delta({ content: 'y' }) + DONE },
      ],
    },
    broken: {
      steps: [
        { at: 0, raw: text('a') },
        { at: 5, raw: data({ error: { message: 'engine fell over', code: 500 } }) },
      ],
    },
    truncated: { steps: [{ at: 0, raw: text('a') }] },
    refused: { status: 400, steps: [{ at: 0, raw: JSON.stringify({ error: { message: 'max_tokens is too large' } }) }] },
  });
});
test.after(() => server.close());

async function collect(session: GenerationSession, prompt: string): Promise<GenerateEvent[]> {
  const out: GenerateEvent[] = [];
  for await (const e of session.generate({ prompt, maxTokens: 4 })) out.push(e);
  return out;
}

test('framing: split events join, batched events separate, comments dropped, usage read, stamps at arrival', async () => {
  const session = await createDevice(`endpoint:${server.url}?model=m`).openGeneration!();
  const events = await collect(session, 'script:framing');
  assert.equal(
    events.map((e) => e.text),
    ['', 'a', ' b', ' c', ' d', ''],
  );
  assert.equal(events[5]!.usage, { promptTokens: 7, completionTokens: 4 });
  const writes = server.log.at(-1)!.writesMs;
  // The split event is complete only when its second half arrives (write 4), not at write 3.
  assert.ok(events[2]!.time >= writes[4]!, 'split event stamped at the read that completed it');
  // Two events in one write share one arrival stamp.
  assert.is(events[3]!.time, events[4]!.time);
});

test('chat: role-only first chunk carries no text', async () => {
  const session = await createDevice(`endpoint:${server.url}?model=m&api=chat&usage=false`).openGeneration!();
  const events = await collect(session, 'script:chat');
  assert.equal(
    events.map((e) => e.text),
    ['', 'x', 'y'],
  );
  assert.ok(events.every((e) => e.usage === null));
});

test('an error inside the stream, a stream cut before [DONE] and an HTTP error all reject with the cause', async () => {
  const session = await createDevice(`endpoint:${server.url}?model=m`).openGeneration!();
  await rejects(collect(session, 'script:broken'), /engine fell over/);
  await rejects(collect(session, 'script:truncated'), /without \[DONE\]/);
  await rejects(collect(session, 'script:refused'), /HTTP 400.*max_tokens is too large/);
});

test('API key: sent as a bearer token from the environment, never in the description', async () => {
  process.env.NPUVAL_TEST_KEY = 'sk-secret-123';
  try {
    const device = createDevice(`endpoint:${server.url}?model=m&apiKeyEnv=NPUVAL_TEST_KEY`);
    await collect(await device.openGeneration!(), 'script:chat');
    assert.is(server.log.at(-1)!.authorization, 'Bearer sk-secret-123');
    const described = JSON.stringify(await device.describe());
    assert.not.match(described, /sk-secret/);
    assert.match(described, /NPUVAL_TEST_KEY/);
  } finally {
    delete process.env.NPUVAL_TEST_KEY;
  }
});

test('cancellation aborts the request', async () => {
  const session = await createDevice(`endpoint:${server.url}?model=m`).openGeneration!();
  const controller = new AbortController();
  const it = session.generate({ prompt: 'script:framing', maxTokens: 4, signal: controller.signal });
  const seen: string[] = [];
  await rejects(
    (async () => {
      for await (const e of it) {
        seen.push(e.text);
        if (e.text === 'a') controller.abort(new Error('stop now'));
      }
    })(),
    /stop now|abort/i,
  );
  assert.equal(seen, ['', 'a']);
});

test('probing: a server that answers is available; a closed loopback port is not, with the reason', async () => {
  const ok = await probe(`endpoint:${server.url}?model=m`);
  assert.ok(ok.available, ok.reason ?? '');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const down = await probe(`endpoint:http://127.0.0.1:${port}/v1?model=m`);
  assert.is(down.available, false);
  assert.match(down.reason!, /unreachable.*ECONNREFUSED/);
  // Without ?model= the name comes from GET /models; this server has none.
  let err: (Error & { exitCode?: number }) | null = null;
  await createDevice(`endpoint:${server.url}`).openGeneration!().catch((e: Error) => (err = e));
  assert.is(err!.exitCode, 3);
});

test('request bodies: fixed length, usage, chat messages, token-id prompts', () => {
  const base = { model: 'm', maxTokens: 8, fixedLength: true, includeUsage: true, sendIgnoreEos: true } as const;
  assert.equal(requestBody({ ...base, api: 'completions', prompt: [1, 2] }), {
    model: 'm',
    max_tokens: 8,
    stream: true,
    prompt: [1, 2],
    stream_options: { include_usage: true },
    ignore_eos: true,
    min_tokens: 8,
  });
  assert.equal(requestBody({ ...base, api: 'chat', prompt: 'hi', includeUsage: false, sendIgnoreEos: false }), {
    model: 'm',
    max_tokens: 8,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.throws(() => requestBody({ ...base, api: 'chat', prompt: [1] }), /text prompts/);
});

test('bad options are bad input', () => {
  assert.throws(() => createDevice(`endpoint:${server.url}?api=grpc`), /api=grpc .* is not one of completions, chat/);
  assert.throws(
    () => createDevice(`endpoint:${server.url}?colour=red`),
    /unknown option "colour" .*takes api, apiKeyEnv, ignoreEos, model, usage/,
  );
  assert.throws(() => createDevice(`endpoint:${server.url}?usage=no`), /usage=no .* is not true or false/);
});

test('an endpoint generates with its own model and runs no tensors: open() is bad input; the session says what it accepts', async () => {
  const device = createDevice(`endpoint:${server.url}?model=m&api=chat`);
  assert.equal(device.capabilities, { tensors: false, generation: 'own-model' });
  let err: (Error & { exitCode?: number }) | null = null;
  await device.open({ bytes: new Uint8Array() }).catch((e: Error) => (err = e));
  assert.is(err!.exitCode, 2);
  assert.match(err!.message, /serving endpoint.*does not run tensors/);
  const session = await device.openGeneration!({ model: 'other' });
  assert.is(session.model, 'other');
  assert.is(session.acceptsTokenIds, false, 'a chat route takes text only');
});

test.run();
