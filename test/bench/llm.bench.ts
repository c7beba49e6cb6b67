// LLM benchmarks on ort:cpu:
//  1. Decode roofline: decode tokens/s of the ~100M zoo decoder (llama-100m, fp32) at batch 1 vs
//     the memory-bandwidth roofline (bandwidth measured in the same run by two copy kernels, the
//     larger taken); printed as a ratio, goal ≥ 0.7. Default threads and one intra-op thread.
//  2. HTTP overhead: the same continuous-batching engine in-process and through `npuval serve` (a
//     child process) + the endpoint client, one request at a time, interleaved with the report's
//     probes: TTFT/TPOT differences held against the HTTP overhead the report states.
// NPUVAL_BENCH_LLM overrides the model of part 1 (e.g. tiny-llama for a quick run);
// NPUVAL_BENCH_LLM_DEVICES its devices, ';'-separated (e.g. ort:cpu;ort:cpu?intraOpThreads=4);
// NPUVAL_BENCH_HTTP_DEVICES the devices of part 2 (default ort:cpu?allowSpinning=false and
// ort:cpu?intraOpThreads=1: with ORT's default spinning threads the in-process engine, which shares
// this process with the client, takes the cores from the client's next request); NPUVAL_BENCH_PARTS=roofline|http one part.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevice, type GenerationSession } from '../../devices/index.js';
import { observeRequest } from '../../harness/llm/client.js';
import { DecoderModel } from '../../harness/serve/decoder.js';
import { BatchEngine } from '../../harness/serve/engine.js';
import { engineSession } from '../../harness/serve/generation.js';
import { requestMetrics } from '../../harness/llm/metrics.js';
import { measureHttpOverhead, openProbe } from '../../harness/llm/overhead.js';
import { DEFAULT_LLM_SETTINGS, overheadLine, runLlm } from '../../harness/llm/run.js';
import { syntheticPrompt } from '../../harness/llm/text.js';
import { buildZooModel } from '../../models/zoo/index.js';
import { seededRng } from '../../harness/random.js';
import { bootstrapInterval, median } from '../../harness/stats.js';
import { table } from '../../harness/output.js';

const MODEL = process.env.NPUVAL_BENCH_LLM ?? 'llama-100m';
const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '—' : v.toFixed(d));

async function roofline(): Promise<void> {
  const rows: unknown[][] = [];
  const devices = process.env.NPUVAL_BENCH_LLM_DEVICES?.split(';').filter(Boolean) ?? ['ort:cpu', 'ort:cpu?intraOpThreads=1'];
  for (const device of devices) {
    const r = await runLlm({ ...DEFAULT_LLM_SETTINGS, device, model: MODEL, batch: 1, promptLen: 32, genLen: 64, requests: 3, warmup: 1 });
    const p = r.points[0]!;
    const s = p.split!;
    const [host, copy, read] = r.bandwidth!.measurements;
    const gbs = (m: typeof host) => (m ? `${f(m.bytesPerS / 1e9)} / ${f(m.medianBytesPerS / 1e9)}` : '—');
    rows.push([
      device,
      gbs(host),
      gbs(copy),
      gbs(read),
      f(r.bandwidth!.rooflineBytesPerS / 1e9),
      f(s.decodeStepMs?.p50, 2),
      f(s.decodeTokensPerS),
      f(s.decodeBytesPerS! / 1e9, 2),
      f(s.rooflineTokensPerS),
      f(s.rooflineRatio, 2),
      s.rooflineRatio !== null && s.rooflineRatio >= 0.7 ? 'yes' : 'no',
    ]);
  }
  console.log(`decode roofline: ${MODEL} fp32, batch 1, prompt 32, 64 tokens × 3 requests (+1 warm-up)`);
  console.log(
    table(
      [
        'device',
        'memcpy GB/s best/median',
        'device copy GB/s',
        'device read GB/s',
        'roofline GB/s',
        'step ms p50',
        'decode tok/s',
        'decode GB/s',
        'roofline tok/s',
        'ratio',
        '≥ 0.7',
      ],
      rows,
    ),
  );
  console.log(
    'bytes per step = every weight once + the KV cache read (models/cost.ts); copy bandwidth counts bytes read + written (STREAM convention), the read kernel (ReduceSum) bytes read; the roofline is the largest.',
  );
}

async function startServe(model: string, device: string, out: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = fileURLToPath(new URL(`../fixtures/llm/cli-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const proc = spawn(
    process.execPath,
    [...process.execArgv, child, 'serve', '--device', device, '--model', model, '--port', '0', '--max-batch', '4', '--json', '--out', out],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    proc.once('exit', (code) => reject(new Error(`npuval serve exited ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGINT');
      }),
  };
}

/**
 * Part 2. The report's HTTP overhead is measured first, exactly as `npuval llm` measures it (its pace
 * for the paced probes included). Then rounds interleave one request of each kind — in-process (the
 * same engine code in this process), endpoint, TTFT probe, paced probe — so drift on this shared
 * machine hits all four alike, and the differences are held against the overhead round by round.
 */
async function httpOverhead(model: string, device: string): Promise<void> {
  const P = 32,
    G = 32,
    rounds = 64,
    warm = 4;
  const out = mkdtempSync(join(tmpdir(), 'npuval-bench-serve-'));
  const server = await startServe(model, device, out);
  const local = await createDevice(device).open({ bytes: buildZooModel(model) });
  try {
    const endpoint = createDevice(`endpoint:${server.url}?model=${model}`);
    const prompt = (i: number) => {
      const ids = syntheticPrompt(P, 512, 1000 + i);
      return { prompt: ids, ids, tokens: P };
    };
    const notes: string[] = [];
    const stated = await measureHttpOverhead(
      endpoint,
      { prompt, vocab: 512, genLen: G, counter: 'chunks', timeoutMs: 10_000, requests: rounds, tpotRequests: rounds / 2 },
      notes,
    );
    if (!stated || stated.tpotMethod !== 'paced-probe')
      throw new Error(`the overhead was not measured with the probe: ${notes.join('; ')}`);
    const pace = stated.unstreamedTpotMs!;
    const sessions = {
      inproc: engineSession(new BatchEngine(new DecoderModel(local, model), 4)),
      endpoint: await endpoint.openGeneration!(),
      probe: await openProbe(endpoint),
      paced: await openProbe(endpoint, pace),
    };
    const rows: Record<keyof typeof sessions, { ttft: number; tpot: number }[]> = { inproc: [], endpoint: [], probe: [], paced: [] };
    for (let i = 0; i < warm + rounds; i++) {
      for (const [kind, session] of Object.entries(sessions) as [keyof typeof sessions, GenerationSession][]) {
        const m = requestMetrics(
          await observeRequest(session, {
            index: i,
            originMs: 0,
            scheduledMs: null,
            prompt: prompt(i).prompt,
            promptTokens: P,
            maxTokens: G,
            fixedLength: true,
            timeoutMs: 10_000,
            counter: 'chunks',
          }),
        );
        if (!m.ok) throw new Error(`${kind} request ${i} failed: ${m.error}`);
        if (i >= warm) rows[kind].push({ ttft: m.ttftMs!, tpot: m.tpotMs! });
      }
    }
    // Δ − overhead with a 95 % bootstrap interval over the rounds (resampled as pairs, so each
    // round's four requests stay together). within: Δ ≤ overhead; within noise: above it by less
    // than the interval can tell from 0; OVER: above it beyond the noise.
    const rng = seededRng(7);
    const verdict = (delta: (i: number) => number, overhead: (i: number) => number) => {
      const idx = rows.inproc.map((_, i) => i);
      const stat = ([s]: readonly (readonly number[])[]) => median(s!.map(delta)) - median(s!.map(overhead));
      const b = bootstrapInterval([idx], stat, () => rng.next());
      const word = b.estimate <= 0 ? 'within' : b.low <= 0 ? 'within noise' : 'OVER';
      return [f(median(idx.map(delta)), 3), f(median(idx.map(overhead)), 3), `${f(b.estimate, 3)} [${f(b.low, 3)}, ${f(b.high, 3)}]`, word];
    };
    const med = (kind: keyof typeof rows, key: 'ttft' | 'tpot') => f(median(rows[kind].map((r) => r[key])), 3);
    console.log(
      `\nHTTP overhead on ${device}: ${model}, prompt ${P}, ${G} tokens, one request at a time; ${rounds} interleaved rounds after ${warm}; medians in ms`,
    );
    console.log(`stated by the report: ${overheadLine(stated)}`);
    console.log(
      table(
        [
          'metric',
          'in-process',
          'endpoint',
          'probe',
          'paced probe',
          'Δ endpoint − in-process',
          'overhead',
          'Δ − overhead [95 %]',
          'verdict',
        ],
        [
          [
            'TTFT',
            med('inproc', 'ttft'),
            med('endpoint', 'ttft'),
            med('probe', 'ttft'),
            '—',
            ...verdict(
              (i) => rows.endpoint[i]!.ttft - rows.inproc[i]!.ttft,
              (i) => rows.probe[i]!.ttft,
            ),
          ],
          [
            'TPOT',
            med('inproc', 'tpot'),
            med('endpoint', 'tpot'),
            '—',
            med('paced', 'tpot'),
            ...verdict(
              (i) => rows.endpoint[i]!.tpot - rows.inproc[i]!.tpot,
              (i) => rows.paced[i]!.tpot - pace,
            ),
          ],
        ],
      ),
    );
    console.log(
      `TTFT overhead = probe TTFT (no generation); TPOT overhead = paced probe TPOT − the pace (${f(pace, 3)} ms, the unstreamed per-token time the report measured).`,
    );
    // Continuous batching through the server, as tokens/s at concurrency 1 and 4.
    const base = { ...DEFAULT_LLM_SETTINGS, promptLen: P, genLen: G, requests: 32, warmup: 4, bandwidth: false, httpOverhead: false };
    const ep = await runLlm({ ...base, device: endpoint.id, sweepConcurrency: [1, 4] });
    console.log(
      `tokens/s through npuval serve (max batch 4): ${ep.points.map((p) => `c${p.concurrency} ${f(p.summary.outputTokensPerS, 0)}`).join(', ')}`,
    );
  } finally {
    await local.close();
    await server.stop();
  }
}

const parts = process.env.NPUVAL_BENCH_PARTS ?? 'roofline,http';
if (parts.includes('roofline')) await roofline();
if (parts.includes('http')) {
  for (const device of process.env.NPUVAL_BENCH_HTTP_DEVICES?.split(';').filter(Boolean) ?? [
    'ort:cpu?allowSpinning=false',
    'ort:cpu?intraOpThreads=1',
  ])
    await httpOverhead('tiny-llama', device);
}
