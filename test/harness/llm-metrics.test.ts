// LLM metric arithmetic against a scripted loopback server: TTFT, TPOT, ICL, E2E and goodput
// equal the values computed by hand from when the server wrote each byte (within 1 ms), with
// split events, an empty first chunk, a role-only first chunk, a usage chunk and a mid-stream error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../../devices/index.js';
import { Journal } from '../../harness/journal.js';
import { DEFAULT_LLM_SETTINGS, overheadLine, runLlm } from '../../harness/llm/run.js';
import { summarize } from '../../harness/stats.js';
import { observeRequest } from '../../harness/llm/client.js';
import { driveLoad } from '../../harness/llm/load.js';
import { requestMetrics, summarizeRun, type RequestMetrics } from '../../harness/llm/metrics.js';
import { arrivalGaps } from '../../harness/llm/random.js';
import { meetsSlo, parseSlo, SLO_PRESETS } from '../../harness/llm/slo.js';
import { DONE, data, delta, startScriptedServer, text, usage, type ScriptedServer } from '../fixtures/llm/scripted-server.js';

let server: ScriptedServer;
const near = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Math.abs(actual! - expected) < 1, `${what}: ${actual} vs hand-computed ${expected}`);
};

/**
 * The hand-computed values come from when the server wrote each byte; the client's stamps differ by
 * the loopback delivery, normally tens of µs. On a loaded 2-core machine the OS can deschedule the
 * process between write and read for over 1 ms, so a comparison is retried (at most 3 runs).
 */
async function retried(fn: () => Promise<void>): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i === 3) throw err;
    }
  }
}

test.before(async () => {
  const split = text(' b');
  server = await startScriptedServer({
    // Writes: 0 empty, 1 'a', 2 half of ' b', 3 rest of ' b', 4 ' c'+' d', 5 usage, 6 [DONE]
    fast: {
      steps: [
        { at: 5, raw: text('') },
        { at: 20, raw: text('a') },
        { at: 28, raw: split.slice(0, 10) },
        { at: 35, raw: split.slice(10) },
        { at: 60, raw: text(' c') + text(' d') },
        { at: 62, raw: usage(3, 4) },
        { at: 63, raw: DONE },
      ],
    },
    // Slow first token: misses a 60 ms TTFT bound. Writes: 0 'a', 1 'b', 2 usage that disagrees, 3 [DONE]
    slow: {
      steps: [
        { at: 90, raw: text('a') },
        { at: 100, raw: text('b') },
        { at: 101, raw: usage(3, 3) },
        { at: 102, raw: DONE },
      ],
    },
    // Role-only first chunk (chat). Writes: 0 role, 1 'x', 2 'y', 3 'z' + [DONE]
    chat: {
      steps: [
        { at: 5, raw: delta({ role: 'assistant' }) },
        { at: 15, raw: delta({ content: 'x' }) },
        { at: 25, raw: delta({ content: 'y' }) },
        { at: 45, raw: delta({ content: 'z' }) + DONE },
      ],
    },
    // Mid-stream error after one token.
    broken: {
      steps: [
        { at: 10, raw: text('a') },
        { at: 20, raw: data({ error: { message: 'KV cache exhausted' } }) },
      ],
    },
    // Refused with 400 (as a server refuses a prompt over its context).
    refused: { status: 400, steps: [{ at: 0, raw: JSON.stringify({ error: { message: 'prompt too long' } }) }] },
  });
});
test.after(() => server.close());

/** Runs the prompts; stored times are relative to `origin` (performance.now(), the server's clock too: one process). */
let origin = 0;
async function observe(spec: string, prompts: string[], concurrency: number): Promise<RequestMetrics[]> {
  const session = await createDevice(spec).openGeneration!();
  origin = performance.now();
  const out: RequestMetrics[] = [];
  await driveLoad({ requests: prompts.length, concurrency }, async (i, scheduled) => {
    const o = await observeRequest(session, {
      index: i,
      originMs: origin,
      scheduledMs: scheduled,
      prompt: prompts[i]!,
      promptTokens: 3,
      maxTokens: 4,
      fixedLength: true,
      timeoutMs: 5000,
      counter: 'chunks',
    });
    out[i] = requestMetrics(o);
  });
  return out.map((r) => r);
}

test('per-request TTFT, TPOT, ICL, E2E equal hand-computed values; usage mismatch and errors recorded', () =>
  retried(async () => {
    server.log.length = 0;
    const results = await observe(`endpoint:${server.url}?model=m`, ['script:fast', 'script:slow', 'script:broken'], 3);
    const byScript = (name: string) => server.log.find((l) => l.script === name)!;
    const [fast, slow, broken] = results as [RequestMetrics, RequestMetrics, RequestMetrics];
    const wf = byScript('fast').writesMs;
    const ws = byScript('slow').writesMs;
    // Hand-computed: TTFT = write of the first non-empty content − send; the empty chunk (write 0) does not count.
    near(fast.ttftMs!, wf[1]! - (origin + fast.startMs), 'fast TTFT');
    near(slow.ttftMs!, ws[0]! - (origin + slow.startMs), 'slow TTFT');
    const ttftFast = fast.ttftMs!;
    const e2eFast = fast.e2eMs!;
    near(e2eFast - ttftFast, wf[4]! - wf[1]!, 'fast E2E − TTFT');
    near(fast.iclMs[0]!, wf[3]! - wf[1]!, 'fast ICL 1 (split event completes at its second half)');
    near(fast.iclMs[1]!, wf[4]! - wf[3]!, 'fast ICL 2');
    assert.is(fast.iclMs[2], 0, 'two events in one read: ICL 0');
    near(fast.tpotMs!, (wf[4]! - wf[1]!) / 3, 'fast TPOT');
    assert.is(fast.outputTokens, 4);
    assert.is(fast.usageMismatch, false);
    assert.is(slow.outputTokens, 3, 'the server usage count is the output token count');
    assert.is(slow.clientTokens, 2);
    assert.is(slow.usageMismatch, true);
    near(slow.tpotMs!, (ws[1]! - ws[0]!) / 2, 'slow TPOT uses usage tokens');
    assert.is(broken.ok, false);
    assert.match(broken.error!, /KV cache exhausted/);
    assert.is(broken.contentMs.length, 1, 'tokens before the error are kept');
  }));

test('TTFT from request start and goodput over the run, hand-computed', () =>
  retried(async () => {
    server.log.length = 0;
    const results = await observe(`endpoint:${server.url}?model=m`, ['script:fast', 'script:slow', 'script:fast', 'script:broken'], 1);
    const logs = server.log;
    const abs = (rel: number) => rel + origin;
    for (const [i, r] of results.entries()) {
      const w = logs[i]!.writesMs;
      const firstContent = logs[i]!.script === 'fast' ? w[1]! : w[0]!;
      near(r.ttftMs!, firstContent - abs(r.startMs), `request ${i} TTFT`);
      assert.ok(r.ttftMs! >= logs[i]!.receivedMs - abs(r.startMs), 'TTFT counts from the client send, before the server got it');
    }
    near(results[0]!.ttftMs!, logs[0]!.writesMs[1]! - abs(results[0]!.startMs), 'first TTFT');
    // E2E: last content − start.
    near(results[1]!.e2eMs!, logs[1]!.writesMs[1]! - abs(results[1]!.startMs), 'slow E2E');
    const slo = parseSlo('ttft=60,tpot=50');
    const summary = summarizeRun(results, slo);
    // Duration: the last response's end − the first request's start.
    const durationMs = Math.max(...results.map((r) => r.endMs)) - results[0]!.startMs;
    near(summary.durationS! * 1000, abs(results[3]!.endMs) - abs(results[0]!.startMs), 'duration');
    // Good: the two fast requests (TTFT ≈ 20 ms, TPOT ≈ 13 ms); slow misses TTFT; broken failed.
    assert.is(summary.slo!.goodRequests, 2);
    near(summary.slo!.goodputRps!, 2 / (durationMs / 1000), 'goodput');
    assert.is(summary.succeeded, 3);
    assert.is(summary.failed, 1);
    assert.equal(Object.keys(summary.errors), ['server error in stream: KV cache exhausted']);
    assert.is(summary.outputTokens, 4 + 3 + 4);
    assert.is(summary.usageMismatches, 1);
    // p99 over 4 requests is the worst: the failed one counts as over every bound.
    assert.is(summary.slo!.met, false);
    assert.ok(summary.ttft && summary.ttft.count === 3 && 'p99' in summary.ttft && summary.ttft.unit === 'ms', 'AIPerf-shaped stats');
  }));

test('chat: a role-only first chunk does not start the TTFT clock', () =>
  retried(async () => {
    server.log.length = 0;
    const [r] = await observe(`endpoint:${server.url}?model=m&api=chat&usage=false`, ['script:chat'], 1);
    const w = server.log[0]!.writesMs;
    near(r!.e2eMs! - r!.ttftMs!, w[3]! - w[1]!, 'E2E − TTFT');
    near(r!.iclMs[0]!, w[2]! - w[1]!, 'ICL');
    assert.is(r!.tokenSource, 'client');
    assert.is(r!.usageMismatch, null);
    assert.is(r!.outputTokens, 3);
  }));

test('a per-request timeout cancels the request and records it as failed', async () => {
  const session = await createDevice(`endpoint:${server.url}?model=m`).openGeneration!();
  const o = await observeRequest(session, {
    index: 0,
    originMs: performance.now(),
    scheduledMs: null,
    prompt: 'script:slow',
    promptTokens: 3,
    maxTokens: 4,
    fixedLength: true,
    timeoutMs: 30,
    counter: 'chunks',
  });
  assert.is(o.ok, false);
  assert.is(o.error, 'timed out after 30 ms');
  assert.is(o.contentMs.length, 0);
});

test('an API key set in the environment never reaches the journal or the report; failed requests keep their error', async () => {
  process.env.NPUVAL_API_KEY = 'sk-never-write-me';
  try {
    const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-key-'));
    const journal = new Journal(join(dir, 'journal.jsonl'));
    server.log.length = 0;
    const report = await runLlm(
      { ...DEFAULT_LLM_SETTINGS, device: `endpoint:${server.url}?model=m`, requests: 2, warmup: 0, promptLen: 4, genLen: 2 },
      { journal },
    );
    journal.close();
    // Synthetic prompts match no script: the server answers 404, and both requests fail with that.
    assert.is(report.points[0]!.summary.failed, 2);
    assert.match(Object.keys(report.points[0]!.summary.errors)[0]!, /HTTP 404.*no script/);
    assert.ok(report.notes.some((n) => /HTTP overhead not measured/.test(n)));
    assert.not.match(readFileSync(join(dir, 'journal.jsonl'), 'utf8'), /sk-never-write-me/);
    assert.not.match(JSON.stringify(report), /sk-never-write-me/);
  } finally {
    delete process.env.NPUVAL_API_KEY;
  }
});

test('a server that answers the HTTP probe with a generation is not timed as overhead', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-probe-'));
  const file = join(dir, 'prompts.jsonl');
  writeFileSync(file, '{"prompt": "script:fast"}\n');
  const report = await runLlm({
    ...DEFAULT_LLM_SETTINGS,
    device: `endpoint:${server.url}?model=m`,
    requests: 1,
    warmup: 0,
    genLen: 4,
    promptFile: file,
  });
  assert.is(report.httpOverhead, null);
  assert.ok(
    report.notes.some((n) => /probe not used: the server answered npuval-http-probe with a generation/.test(n)),
    report.notes.join('\n'),
  );
  // The fixture has no GET /models either, so nothing stands in for the overhead, and the report says so.
  assert.ok(
    report.notes.some((n) => /HTTP overhead not measured: GET .*\/models failed \(HTTP 404\)/.test(n)),
    report.notes.join('\n'),
  );
  assert.is(report.points[0]!.summary.succeeded, 1);
});

test('a probe request refused for another reason than an unknown model is said so; a negative overhead prints its sign', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-probe-'));
  const file = join(dir, 'prompts.jsonl');
  writeFileSync(file, '{"prompt": "script:refused"}\n');
  const report = await runLlm({
    ...DEFAULT_LLM_SETTINGS,
    device: `endpoint:${server.url}?model=m`,
    requests: 1,
    warmup: 0,
    genLen: 4,
    promptFile: file,
  });
  assert.ok(
    report.notes.some((n) => /probe not used: the probe request failed \(HTTP 400 .*prompt too long\)/.test(n)),
    report.notes.join('\n'),
  );
  const stats = summarize([1, 2, 3], 'ms')!;
  const line = overheadLine({
    ttftMethod: 'round-trip',
    tpotMethod: 'streamed-vs-unstreamed',
    description: '',
    ttftMs: stats,
    tpotMs: -0.081,
    streamedTpotMs: 0.1,
    pacedProbeTpotMs: null,
    unstreamedTpotMs: 0.181,
    samples: { ttftMs: [], streamedTpotMs: [], pacedProbeTpotMs: [], unstreamedShortMs: [], unstreamedLongMs: [] },
    genLen: 4,
  });
  assert.match(line, /TPOT −0\.081 ms \(streamed 0\.100 − unstreamed 0\.181 ms per token\)/);
});

test('SLO parsing and MLPerf presets', () => {
  assert.equal(SLO_PRESETS['mlperf:llama3.1-8b']!.ttftMs, 2000);
  assert.equal(SLO_PRESETS['mlperf:llama3.1-8b']!.tpotMs, 100);
  assert.equal(SLO_PRESETS['mlperf:llama3.1-8b-interactive']!.ttftMs, 500);
  assert.equal(SLO_PRESETS['mlperf:llama3.1-8b-interactive']!.tpotMs, 30);
  const s = parseSlo('ttft=500,tpot=30,e2e=9000,p=95');
  assert.equal([s.ttftMs, s.tpotMs, s.e2eMs, s.percentile], [500, 30, 9000, 95]);
  assert.throws(() => parseSlo('ttft=fast'), /ttft=fast/);
  assert.throws(() => parseSlo('p=90'), /sets no bound/);
  assert.throws(() => parseSlo('ttft=5,ttft=6'), /ttft is given more than once/);
  // p is a percent or a fraction alike: up to 1 a fraction (LoadGen's), above 1 a percent.
  for (const [p, percent] of [
    ['99', 99],
    ['0.99', 99],
    ['0.999', 99.9],
    ['99.9', 99.9],
    ['1', 100],
    ['100', 100],
    ['0.5', 50],
  ] as const) {
    assert.is(parseSlo(`ttft=5,p=${p}`).percentile, percent, `p=${p}`);
  }
  for (const p of ['0', '100.5'])
    assert.throws(() => parseSlo(`ttft=5,p=${p}`), /neither a fraction in \(0, 1\] nor a percent in \(1, 100\]/, `p=${p}`);
  assert.ok(meetsSlo({ ok: true, ttftMs: 400, tpotMs: null, e2eMs: 1 }, s), 'one-token request is not held to TPOT');
  assert.not.ok(meetsSlo({ ok: false, ttftMs: 1, tpotMs: 1, e2eMs: 1 }, s));
});

test('gamma gaps: mean 1/rate at any burstiness; burstiness 1 has CV 1 (Poisson), 4 has CV 1/2', () => {
  for (const [b, cv] of [
    [1, 1],
    [4, 0.5],
    [0.5, Math.SQRT2],
  ] as const) {
    const g = arrivalGaps(20000, 10, b, 7);
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    const sd = Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length);
    assert.ok(Math.abs(mean - 100) < 3, `burstiness ${b}: mean ${mean} ms`);
    assert.ok(Math.abs(sd / mean - cv) < 0.05, `burstiness ${b}: CV ${sd / mean}`);
  }
  assert.equal(arrivalGaps(3, 5, 1, 1), arrivalGaps(3, 5, 1, 1), 'seeded');
  assert.equal(arrivalGaps(2, Infinity, 1, 1), [0, 0]);
});

test('rate mode issues on schedule; a concurrency cap holds requests back', async () => {
  let inFlight = 0,
    peak = 0;
  const scheduled: (number | null)[] = [];
  await driveLoad({ requests: 6, rate: Infinity, concurrency: 2 }, async (i, at) => {
    scheduled[i] = at;
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
  });
  assert.is(peak, 2);
  assert.ok(scheduled.every((s) => typeof s === 'number'));
});

test.run();
