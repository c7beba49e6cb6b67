// A response without any content token is a failed request: a loopback server streams role-only and
// empty chunks (with a usage chunk claiming tokens, and without one) and [DONE]; the client records
// those requests as failed with "no tokens in the response", and the run summary counts them so.
// Fixed-length requests record whether the server honoured the requested token count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import { observeRequest } from '../../harness/llm/client.js';
import { NO_TOKENS, requestMetrics, summarizeRun } from '../../harness/llm/metrics.js';
import { DONE, delta, startScriptedServer, text, usage, type ScriptedServer } from '../fixtures/llm/scripted-server.js';

let server: ScriptedServer;

test.before(async () => {
  server = await startScriptedServer({
    roleOnly: {
      steps: [
        { at: 0, raw: delta({ role: 'assistant', content: '' }) },
        { at: 1, raw: delta({}) },
        { at: 2, raw: usage(3, 4) + DONE },
      ],
    },
    empty: { steps: [{ at: 0, raw: delta({ content: '' }) + delta({ content: '' }) + DONE }] },
    full: {
      steps: [
        { at: 0, raw: delta({ role: 'assistant' }) },
        { at: 1, raw: delta({ content: ' 1' }) + delta({ content: ' 2' }) + delta({ content: ' 3' }) + delta({ content: ' 4' }) },
        { at: 2, raw: usage(3, 4) + DONE },
      ],
    },
    short: {
      steps: [
        { at: 0, raw: text(' 1') + text(' 2') },
        { at: 1, raw: usage(3, 2) + DONE },
      ],
    },
  });
});
test.after(() => server.close());

async function observe(api: 'chat' | 'completions', script: string, fixedLength = true) {
  const session = await createDevice(`endpoint:${server.url}?model=m&api=${api}`).openGeneration!();
  return observeRequest(session, {
    index: 0,
    originMs: performance.now(),
    scheduledMs: null,
    prompt: `script:${script}`,
    promptTokens: 3,
    maxTokens: 4,
    fixedLength,
    timeoutMs: 5000,
    counter: 'chunks',
  });
}

test('role-only and empty chunks: the request failed, with no tokens in the response', async () => {
  const results = [];
  for (const script of ['roleOnly', 'empty', 'full']) {
    const o = await observe('chat', script);
    results.push(requestMetrics(o));
  }
  const [roleOnly, empty, full] = results;
  assert.equal([roleOnly!.ok, roleOnly!.error], [false, NO_TOKENS]);
  assert.equal([empty!.ok, empty!.error], [false, NO_TOKENS]);
  assert.equal([full!.ok, full!.outputTokens], [true, 4]);
  const summary = summarizeRun(results);
  assert.equal([summary.succeeded, summary.failed], [1, 2]);
  assert.equal(summary.errors, { [NO_TOKENS]: 2 });
  assert.is(summary.outputTokens, 4, 'failed requests add no tokens, whatever their usage says');
  // The rule holds for observations from anywhere, not only from this client.
  const m = requestMetrics({ ...full!, contentMs: [], ok: true, error: null });
  assert.equal([m.ok, m.error], [false, NO_TOKENS]);
});

test('fixed length: whether the server honoured the requested token count is recorded per request', async () => {
  const full = await observe('chat', 'full');
  assert.equal([full.requestedTokens, full.lengthHonoured], [4, true]);
  const short = await observe('completions', 'short');
  assert.equal([short.ok, short.lengthHonoured], [true, false]);
  assert.is(requestMetrics(short).outputTokens, 2);
  assert.is((await observe('completions', 'short', false)).lengthHonoured, null, 'not asked for a fixed length');
  assert.is((await observe('chat', 'roleOnly')).lengthHonoured, null, 'a failed request honours nothing');
});

test.run();
