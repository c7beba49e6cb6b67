// `npuval bench`: drive a model through a LoadGen scenario on a device (or, with --micro, time
// single ops at zoo shapes). Writes journal.jsonl, summary.txt (LoadGen's summary layout) and
// summary.json (AIPerf-shaped statistics) to --out.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { candidateSamplers, chooseSampler, SAMPLER_NAMES, type SamplerName } from '../../devices/power/index.js';
import { createDevice } from '../../devices/registry.js';
import type { Device, DeviceDescription } from '../../devices/types.js';
import { listZoo } from '../../models/zoo/index.js';
import { InputError } from '../errors.js';
import { Journal } from '../journal.js';
import { microCases, runMicro, type MicroResult } from '../micro.js';
import { emit, journalDir, table } from '../output.js';
import {
  findPeak, loadBenchModel, lookUpPeak, modelWorkload, renderSummary, resolveSettings, runScenario, startProgress, SCENARIOS,
  type PeakInfo, type PeakSearch, type RunOptions, type ScenarioResult, type ScenarioSettings,
} from '../scenarios/index.js';
import { fmtFlops } from '../scenarios/summary.js';
import type { Command } from './types.js';

interface BenchArgs {
  device?: string[];
  model?: string;
  scenario: string;
  'samples-per-query'?: number;
  qps?: number;
  'latency-bound'?: number;
  'latency-percentile'?: number;
  batch?: string;
  'min-duration'?: number;
  'max-duration'?: number;
  'min-queries'?: number;
  'min-samples'?: number;
  'expected-qps'?: number;
  warmup?: number;
  'qsl-size'?: number;
  seed: number;
  'find-peak': boolean;
  'max-probes': number;
  power: string;
  'power-interval'?: number;
  dim?: string[];
  vocab?: number;
  dtype: string;
  micro: boolean;
  'micro-llama': string;
  'micro-resnet': string;
  tokens: number;
  'micro-time': number;
}

export const benchCommand: Command<BenchArgs> = {
  command: 'bench',
  describe: 'Run a model through an MLPerf LoadGen scenario on a device (VALID/INVALID as LoadGen judges it), or time single ops with --micro',
  builder: (y: Argv) =>
    y
      .usage('npuval bench --device SPEC --model M --scenario single-stream|multi-stream|server|offline [options]\nnpuval bench --device SPEC --micro')
      .option('device', { type: 'string', array: true, describe: 'Device spec, e.g. ort:cpu, ort:cuda:0, ort:cpu?intraOpThreads=1 (with --micro, several may be given)' })
      .option('model', { type: 'string', describe: `Zoo model name (${listZoo().filter((z) => z.ciSized).map((z) => z.name).join(', ')}, …; see npuval models list) or an ONNX file path` })
      .option('scenario', { type: 'string', choices: [...SCENARIOS], default: 'single-stream', describe: 'LoadGen scenario' })
      .option('samples-per-query', { type: 'number', describe: 'MultiStream: samples per query (default 8)' })
      .option('qps', { type: 'number', describe: 'Server: target queries per second, Poisson arrivals (default 100; with --find-peak, the first rate tried)' })
      .option('latency-bound', { type: 'number', describe: 'Latency bound in ms at the metric percentile (Server default 100; optional for single-/multi-stream)' })
      .option('latency-percentile', { type: 'number', describe: 'Metric percentile (default 0.9 single-stream, 0.99 multi-stream and server)' })
      .option('batch', { type: 'string', describe: 'Offline batch sizes, a sweep when several: e.g. 1,2,4,8 (default 1)' })
      .option('min-duration', { type: 'number', describe: 'Min run duration in seconds (default 2)' })
      .option('max-duration', { type: 'number', describe: 'Max run duration in seconds; a run stopped by it is INVALID (default 60)' })
      .option('min-queries', { type: 'number', describe: 'Min query count (default: the early-stopping minimum — 64 single-stream, 662 multi-stream, 459 server; 1 offline)' })
      .option('min-samples', { type: 'number', describe: 'Offline: min samples in the one query (default 64)' })
      .option('expected-qps', { type: 'number', describe: 'Offline: expected samples/s that sizes the one query (LoadGen offline_expected_qps; default: measured in warm-up)' })
      .option('warmup', { type: 'number', describe: 'Untimed warm-up in seconds (default 0.5)' })
      .option('qsl-size', { type: 'number', describe: 'Distinct seeded samples held in memory (default 32)' })
      .option('seed', { type: 'number', default: 1, describe: 'Base seed: schedule = seed, sample index = seed+1, sample data = seed+2 (all recorded)' })
      .option('find-peak', { type: 'boolean', default: false, describe: 'Server: search for the largest VALID QPS (bounded; every probe journaled)' })
      .option('max-probes', { type: 'number', default: 8, describe: 'With --find-peak: at most this many Server runs' })
      .option('power', { type: 'string', choices: ['auto', 'none', ...SAMPLER_NAMES], default: 'auto', describe: 'Power sampler; auto picks by device (nvidia-smi for CUDA, RAPL for CPU, furiosa-smi/rbln-stat when present)' })
      .option('power-interval', { type: 'number', describe: 'Power sampling interval in ms (default 100; 500 for polled vendor tools)' })
      .option('dim', { type: 'string', array: true, describe: 'Symbolic input dim, name=value (e.g. sequence_length=128); the batch dim is set per query' })
      .option('vocab', { type: 'number', describe: 'Vocabulary size for token-id inputs of an ONNX file (zoo models know theirs)' })
      .option('dtype', { type: 'string', choices: ['float32', 'float16'], default: 'float32', describe: 'Zoo model precision (float16: llama presets)' })
      .option('micro', { type: 'boolean', default: false, describe: 'Micro-benchmarks: MatMul, attention block, RMSNorm, SwiGLU MLP, Conv at zoo shapes (tinybench)' })
      .option('micro-llama', { type: 'string', default: 'llama-100m', describe: 'With --micro: the zoo decoder whose shapes the transformer ops use' })
      .option('micro-resnet', { type: 'string', default: 'resnet-50', describe: 'With --micro: the zoo CNN whose first-stage conv is used' })
      .option('tokens', { type: 'number', default: 32, describe: 'With --micro: tokens per run for the transformer ops' })
      .option('micro-time', { type: 'number', default: 300, describe: 'With --micro: ms of timed runs per op' })
      .example('npuval bench --device ort:cpu --model tiny-bert --scenario single-stream', 'p90 latency, VALID/INVALID')
      .example('npuval bench --device ort:cpu --model tiny-resnet --scenario offline --batch 1,2,4,8', 'Offline batch sweep')
      .example('npuval bench --device ort:cpu --model tiny-bert --scenario server --find-peak --latency-bound 20', 'largest VALID QPS')
      .example('npuval bench --device ort:cpu --micro', 'op micro-benchmarks'),
  handler: async (args) => {
    if (!args.device?.length) throw new InputError('bench needs --device SPEC (e.g. --device ort:cpu)');
    const devices = args.device.map((spec) => createDevice(spec));
    if (args.micro) return micro(args, devices, journalDir(args));
    if (devices.length > 1) throw new InputError(`bench runs a scenario on one device, but --device was given ${devices.length} times`);
    if (!args.model) throw new InputError('bench needs --model: a zoo model name or an ONNX file path');
    return scenarios(args, devices[0]!, journalDir(args));
  },
};

async function micro(args: BenchArgs & { json: boolean }, devices: readonly Device[], dir: string): Promise<number> {
  const options = { llama: args['micro-llama'], resnet: args['micro-resnet'], tokens: args.tokens, seed: args.seed };
  const cases = microCases(options);
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const results: MicroResult[] = [];
  try {
    for (const device of devices) {
      for (const r of await runMicro(device, cases, { timeMs: args['micro-time'] })) {
        journal.append('bench.micro', { ...r, seed: args.seed });
        results.push(r);
      }
    }
  } finally {
    journal.close();
  }
  const doc = { devices: devices.map((d) => d.id), options: { ...options, timeMs: args['micro-time'] }, micro: results };
  writeFileSync(join(dir, 'micro.json'), JSON.stringify(doc, null, 2) + '\n');
  emit(args, { ...doc, out: dir }, () => renderMicro(results) + `\n\nWrote ${dir}/micro.json and journal.jsonl`);
  return 0;
}

function renderMicro(results: readonly MicroResult[]): string {
  return table(
    ['device', 'op', 'shapes', 'mean ms', 'p99 ms', '±%', 'runs', 'achieved'],
    results.map((r) => [r.device, r.name, r.shapes, r.meanMs.toFixed(3), r.p99Ms.toFixed(3), r.rmePercent.toFixed(1), r.runs, fmtFlops(r.flopsPerSecond)]),
  );
}

function parseDims(list: readonly string[] | undefined): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const item of list ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(item);
    if (!m) throw new InputError(`--dim ${item} is not name=value with a non-negative integer value`);
    dims[m[1]!] = Number(m[2]);
  }
  return dims;
}

function parseBatches(text: string | undefined): number[] {
  if (text === undefined) return [1];
  const sizes = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new InputError(`--batch ${text} is not a comma-separated list of positive integers`);
  return sizes;
}

const seconds = (s: number | undefined) => (s === undefined ? undefined : s * 1000);

function settingsFrom(args: BenchArgs, batchSize: number): ScenarioSettings {
  if (args['find-peak'] && args.scenario !== 'server') throw new InputError('--find-peak applies to the server scenario only');
  if (args.batch !== undefined && args.scenario !== 'offline') throw new InputError('--batch applies to the offline scenario only');
  return resolveSettings(args.scenario, {
    samplesPerQuery: args['samples-per-query'],
    targetQps: args.qps,
    targetLatencyMs: args['latency-bound'],
    targetLatencyPercentile: args['latency-percentile'],
    minDurationMs: seconds(args['min-duration']),
    maxDurationMs: seconds(args['max-duration']),
    minQueryCount: args['min-queries'],
    minSampleCount: args['min-samples'],
    expectedSamplesPerSecond: args['expected-qps'],
    warmupMs: seconds(args.warmup),
    performanceSampleCount: args['qsl-size'],
    batchSize,
    seeds: { schedule: args.seed, sampleIndex: args.seed + 1, qsl: args.seed + 2 },
  });
}

async function scenarios(args: BenchArgs & { json: boolean }, device: Device, dir: string): Promise<number> {
  const batches = parseBatches(args.batch);
  const settingsList = batches.map((b) => settingsFrom(args, b));
  const model = loadBenchModel(args.model!, { dtype: args.dtype as 'float32' | 'float16', seed: args.seed });
  const description = await device.describe();
  const peak = lookUpPeak(description, model.precision);
  const power = await choosePower(args, description);
  const session = await device.open(model.bytes ? { bytes: model.bytes } : { path: model.path! });
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const results: ScenarioResult[] = [];
  let search: PeakSearch | null = null;
  try {
    const workload = modelWorkload(session, model, {
      count: settingsList[0]!.performanceSampleCount, qslSeed: settingsList[0]!.seeds.qsl, dims: parseDims(args.dim), vocabSize: args.vocab,
    });
    journal.append('bench.start', {
      device: device.id, model: args.model, scenario: args.scenario, description, settings: settingsList,
      flopsPerSample: workload.flopsPerSample, batchInputs: workload.batchInputs,
    });
    const base: RunOptions = { device: device.id, journal, peak, power: power.sampler ? { sampler: power.sampler } : { sampler: null, reason: power.reason } };
    for (const settings of settingsList) {
      const label = `${args.scenario}${settingsList.length > 1 ? ` batch ${settings.batchSize}` : ''}`;
      const progress = startProgress(`npuval bench ${label}`, !args.json);
      try {
        if (args['find-peak']) {
          search = await findPeak(session, workload, settings, { ...base, progress: progress.counters }, { maxProbes: args['max-probes'] });
          results.push(...search.runs);
        } else {
          results.push(await runScenario(session, workload, settings, { ...base, progress: progress.counters, journalTag: settingsList.length > 1 ? { batch: settings.batchSize } : undefined }));
        }
      } finally {
        progress.stop();
      }
    }
  } finally {
    journal.close();
    await session.close();
  }
  const blocks = results.map((r, i) => (search ? `# find-peak probe ${i} at ${r.settings.targetQps} QPS\n` : '') + renderSummary(r));
  writeFileSync(join(dir, 'summary.txt'), blocks.join('\n'));
  // The search's runs are the results; findPeak keeps the verdict and the probe table.
  const findPeakSummary = search ? { peakQps: search.peakQps, firstInvalidQps: search.firstInvalidQps, stoppedBecause: search.stoppedBecause, probes: search.probes } : null;
  const summary = { device: device.id, model: args.model, scenario: args.scenario, results, findPeak: findPeakSummary };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  emit(args, { ...summary, out: dir }, () => renderResults(results, search) + `\n\nWrote ${dir}/summary.txt, summary.json and journal.jsonl`);
  // A peak search succeeds when some rate was VALID (the INVALID probes are how it was bracketed).
  if (search) return search.peakQps !== null ? 0 : 1;
  const allValid = results.length > 0 && results.every((r) => r.valid);
  return allValid ? 0 : 1;
}

async function choosePower(args: BenchArgs, description: DeviceDescription) {
  if (args.power === 'none') return { sampler: null, reason: 'power sampling was turned off (--power none)' } as const;
  const names: SamplerName[] = args.power === 'auto' ? candidateSamplers(description.backend.name) : [args.power as SamplerName];
  const index = /:(\d+)(?:\?|$)/.exec(description.id)?.[1];
  return chooseSampler(names, { intervalMs: args['power-interval'], index: index === undefined ? undefined : Number(index) });
}

function renderResults(all: readonly ScenarioResult[], search: PeakSearch | null): string {
  let results = all;
  const lines: string[] = [];
  if (search) {
    lines.push(table(['probe', 'target QPS', 'result', 'completed samples/s', 'p99 ms'],
      search.probes.map((p) => [p.probe, p.qps.toFixed(1), p.result, p.completedSamplesPerSecond?.toFixed(1), p.p99LatencyMs?.toFixed(3)])));
    lines.push(`Peak VALID QPS: ${search.peakQps === null ? 'none found' : search.peakQps.toFixed(1)} (${search.stoppedBecause})`);
    if (search.best) lines.push('', 'The run at the peak:');
    const last = search.runs.at(-1);
    if (!search.best && last) lines.push(`Last probe (${last.settings.targetQps} QPS) INVALID:`, ...last.validity.reasons.map((x) => `  - ${x}`));
    results = search.best ? [search.best] : [];
  }
  if (results.length) lines.push(table(
    ['scenario', 'batch', 'result', 'metric', 'queries', 'samples/s', 'p50 ms', 'p90 ms', 'p99 ms', 'effective', 'power'],
    results.map((r) => [
      r.loadgenScenario, r.scenario === 'offline' ? r.settings.batchSize : null, r.result,
      `${r.metric.name} ${r.metric.value === null ? 'n/a' : r.metric.unit === 'ms' ? `${r.metric.value.toFixed(3)} ms` : `${r.metric.value.toFixed(1)} ${r.metric.unit}`}`,
      r.counts.queries, r.throughput.samplesPerSecond?.toFixed(1), r.latency.sample?.p50.toFixed(3), r.latency.sample?.p90.toFixed(3), r.latency.sample?.p99.toFixed(3),
      r.compute.effectiveTflops === null ? null : fmtFlops(r.compute.effectiveTflops * 1e12),
      r.power.measured ? `${r.power.avgWatts.toFixed(1)} W` : 'not measured',
    ]),
  ));
  for (const r of results) {
    if (!r.valid) lines.push('', `${r.loadgenScenario}${r.scenario === 'offline' ? ` batch ${r.settings.batchSize}` : ''} INVALID:`, ...r.validity.reasons.map((x) => `  - ${x}`));
  }
  const r0 = results[0];
  if (r0) {
    if (r0.compute.note) lines.push('', `Compute: ${r0.compute.note}`);
    if (!r0.power.measured) lines.push(`Power: not measured (${r0.power.reason})`);
  }
  return lines.join('\n');
}
