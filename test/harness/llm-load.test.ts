// AIPerf / vLLM-style LLM load: seeded length distributions (normal with stddev, vLLM's range
// ratio), the request-count rule (a default that keeps p99 off the maximum, never below the
// concurrency), request-rate sweeps, the interpolated percentile of LLM statistics against numpy's
// rule by hand, throughputs that add up, --flops/--bytes for a user's decoder, and the in-process
// engine refusing a concurrency above its max batch. Real ORT sessions on tiny-llama, real CLI processes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Journal, readJournal } from '../../harness/journal.js';
import { drawLengths, lengthBounds } from '../../harness/llm/lengths.js';
import { requestMetrics as requestMetricsOf, summarizeRun } from '../../harness/llm/metrics.js';
import { DEFAULT_LLM_SETTINGS, requestsFor, requestsForPercentile, runLlm, type LlmSettings } from '../../harness/llm/run.js';
import { percentile, percentileLinear, summarize } from '../../harness/stats.js';
import '../../harness/workloads/index.js';
import { exportZooModel } from '../../models/zoo/index.js';
import { npuval, repoRoot } from '../helpers/cli.js';

/** Equal up to floating-point rounding (numpy's own lerp rounds differently in the last bit). */
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);
const mean = (v: readonly number[]) => v.reduce((a, x) => a + x, 0) / v.length;
const std = (v: readonly number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
const inProcess: LlmSettings = {
  ...DEFAULT_LLM_SETTINGS,
  device: 'ort:cpu',
  model: 'tiny-llama',
  promptLen: 8,
  genLen: 4,
  warmup: 0,
  bandwidth: false,
};

test('lengths: seeded normal (stddev) and uniform (range ratio) draws are reproducible, with the asked mean and spread', () => {
  const normal = { mean: 128, stddev: 16, rangeRatio: 0 };
  const a = drawLengths(4000, normal, 7);
  assert.equal(a, drawLengths(4000, normal, 7), 'same seed, same lengths');
  assert.not.equal(a.slice(0, 20), drawLengths(20, normal, 8), 'another seed, other lengths');
  assert.ok(
    a.every((v) => Number.isInteger(v) && v >= 80 && v <= 176),
    'truncated at ±3σ',
  );
  assert.ok(Math.abs(mean(a) - 128) < 1, `mean ${mean(a)}`);
  // ±3σ truncation of a normal keeps 98.7 % of its variance (σ 15.9 instead of 16); rounding adds 1/12.
  assert.ok(Math.abs(std(a) - 16) < 0.8, `std ${std(a)}`);
  const uniform = { mean: 100, stddev: 0, rangeRatio: 0.5 };
  const u = drawLengths(4000, uniform, 3);
  assert.equal(lengthBounds(uniform), { min: 50, max: 150 });
  assert.is(Math.min(...u), 50);
  assert.is(Math.max(...u), 150);
  assert.ok(Math.abs(mean(u) - 100) < 1.5, `mean ${mean(u)}`);
  // Uniform integers on [50, 150]: σ = √((101² − 1)/12) ≈ 29.2.
  assert.ok(Math.abs(std(u) - 29.15) < 1, `std ${std(u)}`);
  assert.equal(drawLengths(3, { mean: 9, stddev: 0, rangeRatio: 0 }, 1), [9, 9, 9], 'no distribution: the mean');
  assert.equal(lengthBounds({ mean: 2, stddev: 5, rangeRatio: 0 }).min, 1, 'never below one token');
});

test('LLM percentiles: numpy linear interpolation by hand; the summary is labelled; scenarios keep LoadGen', () => {
  const v = [10, 1, 4, 3, 2];
  const sorted = [...v].sort((a, b) => a - b);
  // numpy.percentile([1,2,3,4,10], q): h = 4·q/100; p90 → 4 + 0.6·(10 − 4) = 7.6; p99 → 4 + 0.96·6 = 9.76; p50 → 3; p25 → 2.
  close(percentileLinear(sorted, 0.9), 7.6);
  close(percentileLinear(sorted, 0.99), 9.76);
  assert.is(percentileLinear(sorted, 0.5), 3);
  assert.is(percentileLinear(sorted, 0.25), 2);
  assert.is(percentileLinear([5], 0.99), 5);
  // LoadGen's order statistic picks sorted[floor(5·0.9)] = 10: the rules differ, and summarize keeps LoadGen's unless told.
  assert.is(percentile(sorted, 0.9), 10);
  assert.is(summarize(v, 'ms')!.p90, 10);
  const s = summarize(v, 'ms', 'linear')!;
  assert.equal([s.avg, s.p50], [4, 3]);
  close(s.p90, 7.6);
  close(s.p95, 8.8);
  // 100 values 1..100: numpy p99 = 99.01 (not the maximum 100).
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.ok(Math.abs(percentileLinear(hundred, 0.99) - 99.01) < 1e-9);
  const obs = (index: number, ttft: number) => ({
    index,
    scheduledMs: null,
    sentMs: 0,
    contentMs: [ttft, ttft + 10],
    endMs: ttft + 10,
    ok: true,
    error: null,
    promptTokens: 5,
    usage: null,
    clientTokens: 2,
  });
  const run = summarizeRun(v.map((t, i) => requestMetricsOf(obs(i, t))));
  assert.is(run.percentileRule, 'linear-interpolation (numpy default, as AIPerf/vLLM)');
  close(run.ttft!.p90, 7.6);
  assert.is(run.tokensPerSPerUser!.avg, 100, '1000 / TPOT of 10 ms');
});

test('request counts: the default keeps p99 off the maximum and covers the concurrency', () => {
  assert.is(requestsFor({ requests: null }, null), 100);
  assert.is(requestsFor({ requests: null }, 16), 100);
  assert.is(requestsFor({ requests: null }, 64), 256);
  assert.is(requestsFor({ requests: 7 }, 64), 7, 'an explicit count is kept');
  assert.equal([99, 95, 90, 50, 100].map(requestsForPercentile), [100, 20, 10, 2, 1]);
});

test('npuval llm: --requests below --concurrency and a concurrency above the in-process max batch are refused (exit 2, one sentence)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-refuse-'));
  const llm = (out: string, ...flags: string[]) =>
    npuval('llm', '--device', 'ort:cpu', '--model', 'tiny-llama', '--no-bandwidth', '--out', join(dir, out), ...flags);
  const few = llm('a', '--concurrency', '16', '--requests', '4');
  assert.is(few.status, 2, few.stderr);
  assert.match(few.stderr, /--requests 4 is below concurrency 16/);
  assert.not.match(few.stderr, /\n\s+at /, 'no stack trace');
  const over = llm('b', '--concurrency', '4', '--batch', '2', '--requests', '4');
  assert.is(over.status, 2, over.stderr);
  assert.match(over.stderr, /concurrency 4 exceeds the in-process engine's max batch 2; raise --batch or lower --concurrency/);
  const search = llm('c', '--slo', 'ttft=1000', '--sla-search', 'concurrency', '--requests', '8');
  assert.is(search.status, 2, search.stderr);
  assert.match(search.stderr, /--requests 8 is too few for --sla-search: the SLO's p99 needs at least 100 requests per point/);
});

test("report.md and report.html show an llm unit's per-request statistics (mean, p50 … p99) beside its headline", () => {
  const out = join(mkdtempSync(join(tmpdir(), 'npuval-llm-details-')), 'out');
  const r = npuval(
    'llm',
    '--device',
    'ort:cpu',
    '--model',
    'tiny-llama',
    '--no-bandwidth',
    '--concurrency',
    '2',
    '--requests',
    '4',
    '--prompt-len',
    '8',
    '--gen-len',
    '4',
    '--out',
    out,
  );
  assert.is(r.status, 0, r.stderr);
  const unit = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { units: { details?: string[] }[] }).units[0]!;
  const header = unit.details!.find((l) => /\bmean\b.*\bp50\b.*\bp90\b.*\bp95\b.*\bp99\b/.test(l));
  assert.ok(header, unit.details!.join('\n'));
  assert.ok(unit.details!.some((l) => /TTFT/.test(l)));
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /### Details/);
  assert.ok(md.includes(`    ${header}`), 'the table is an indented code block in report.md');
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<pre>[^<]*per-request statistics/);
});

test('in-process under load: --batch defaults to the concurrency, so no request waits for a slot it was promised', async () => {
  const r = await runLlm({ ...inProcess, concurrency: 3, requests: 6 });
  const p = r.points[0]!;
  assert.is(p.batch, 3);
  assert.is(p.engine!.maxBatch, 3);
  assert.ok(p.maxInFlight! <= 3 && p.maxInFlight! >= 1);
  const err = await runLlm({ ...inProcess, concurrency: 3, requests: 6, batch: 2 }).catch((e: Error & { exitCode?: number }) => e);
  assert.is((err as { exitCode?: number }).exitCode, 2);
});

test("the default suite's load unit keeps every request of its concurrency in the engine's batch", () => {
  const suite = JSON.parse(readFileSync(join(repoRoot, 'harness/run/suites/default.json'), 'utf8')) as {
    units: { kind: string; settings?: { concurrency?: number; batch?: number } }[];
  };
  const loads = suite.units.filter((u) => u.kind === 'llm' && u.settings?.concurrency);
  assert.ok(loads.length >= 1);
  for (const u of loads) assert.ok((u.settings!.batch ?? u.settings!.concurrency!) >= u.settings!.concurrency!, JSON.stringify(u));
});

test('a request-rate sweep gives one point per rate; lengths drawn as asked are the lengths sent; throughputs add up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-rate-'));
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const settings: LlmSettings = {
    ...inProcess,
    seed: 5,
    requests: 6,
    concurrency: 2,
    sweepRate: [200, Infinity],
    promptLen: 10,
    promptLenStddev: 3,
    genLen: 5,
    genLenStddev: 1,
  };
  const r = await runLlm(settings, { journal });
  journal.close();
  assert.equal(
    r.points.map((p) => p.rate),
    [200, Infinity],
  );
  const prompts = drawLengths(6, { mean: 10, stddev: 3, rangeRatio: 0 }, 5 * 7919 + 1);
  const gens = drawLengths(6, { mean: 5, stddev: 1, rangeRatio: 0 }, 5 * 7919 + 2);
  for (const p of r.points) {
    const s = p.summary;
    assert.is(s.succeeded, 6);
    assert.is(p.concurrency, 2);
    assert.ok(p.maxInFlight! <= 2, 'the cap held');
    assert.is(
      s.inputTokens,
      prompts.reduce((a, v) => a + v, 0),
      'the drawn prompt lengths were sent',
    );
    assert.is(
      s.outputTokens,
      gens.reduce((a, v) => a + v, 0),
      'and the drawn output lengths generated',
    );
    assert.is(s.inputTokensPerRequest!.avg, mean(prompts));
    assert.ok(Math.abs(s.totalTokensPerS! - (s.inputTokensPerS! + s.outputTokensPerS!)) < 1e-9 * s.totalTokensPerS!);
    assert.ok(Math.abs(s.inputTokensPerS! - s.inputTokens / s.durationS!) < 1e-9 * s.inputTokensPerS!);
    assert.match(p.lengthsDrawn.prompt, /normal mean 10 σ 3/);
  }
  const requests = readJournal(join(dir, 'journal.jsonl')).records.filter((x) => x.type === 'llm.request');
  assert.equal(
    requests.slice(0, 6).map((x) => [x.promptTokens, x.maxTokens]),
    prompts.map((v, i) => [v, gens[i]]),
    'each request journaled with the lengths it was given',
  );
  // The same seed draws the same lengths again.
  const again = await runLlm({ ...settings, sweepRate: [Infinity] });
  assert.is(again.points[0]!.summary.inputTokens, r.points[0]!.summary.inputTokens);
});

test('static batches draw one length per batch; --flops/--bytes give a user decoder prefill and decode TFLOP/s and the roofline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-flops-'));
  const { path } = await exportZooModel('tiny-llama', join(dir, 'exported.onnx'));
  const F = 2e6;
  const r = await runLlm({
    ...inProcess,
    model: path,
    batch: 2,
    requests: 6,
    rangeRatio: 0.5,
    promptLen: 8,
    genLen: 4,
    flopsPerToken: F,
    bytesPerToken: 3e6,
    bandwidth: true,
  });
  assert.equal(r.model.cost, { flops: 'user --flops', bytes: 'user --bytes' });
  const p = r.points[0]!;
  const split = p.split!;
  const batches = drawLengths(3, { mean: 8, stddev: 0, rangeRatio: 0.5 }, 0 * 7919 + 1);
  assert.is(p.summary.inputTokens, 2 * batches.reduce((a, v) => a + v, 0), 'each batch of 2 shares one drawn prompt length');
  const prefillS = (split.prefillMs!.avg * split.prefillMs!.count) / 1000;
  const expected = (2 * F * batches.reduce((a, v) => a + v, 0)) / prefillS / 1e12;
  assert.ok(Math.abs(split.prefillTflops! - expected) < 1e-9 * expected, `${split.prefillTflops} vs ${expected}`);
  assert.ok(Math.abs(split.decodeTflops! - (split.decodeTokensPerS! * F) / 1e12) < 1e-9 * split.decodeTflops!);
  assert.ok(split.rooflineRatio! > 0, 'decode bytes/s against the measured bandwidth');
  const none = await runLlm({ ...inProcess, model: path, requests: 2 });
  assert.equal(none.model.cost, { flops: null, bytes: null });
  assert.is(none.points[0]!.split!.decodeTflops, null);
});

test.run();
