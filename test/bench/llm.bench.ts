// LLM benchmarks on ort:cpu:
//  1. Decode roofline: decode tokens/s of the ~100M zoo decoder (llama-100m, fp32) at batch 1 vs
//     the memory-bandwidth roofline (bandwidth measured in the same run by two copy kernels, the
//     larger taken); printed as a ratio, goal ≥ 0.7. Default threads and one intra-op thread.
//  2. HTTP overhead: the same continuous-batching engine measured in-process and through
//     `npuval serve` (a child process) + the endpoint client, concurrency 1 and 4: TTFT/TPOT
//     differences held against the HTTP overhead the report measures (the serve probe: a streamed
//     request through the same route and client with no generation).
// NPUVAL_BENCH_LLM overrides the model of part 1 (e.g. tiny-llama for a quick run);
// NPUVAL_BENCH_LLM_DEVICES its devices, ';'-separated (e.g. ort:cpu;ort:cpu?intraOpThreads=4);
// NPUVAL_BENCH_HTTP_DEVICES the devices of part 2 (default ort:cpu and ort:cpu?allowSpinning=false); NPUVAL_BENCH_PARTS=roofline|http one part.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, readJournal } from '../../harness/journal.js';
import { DEFAULT_LLM_SETTINGS, runLlm, type LlmReport, type LlmSettings } from '../../harness/llm/run.js';
import { seededRng } from '../../harness/scenarios/random.js';
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
    const [host, dev] = r.bandwidth!.measurements;
    rows.push([
      device, `${f(host!.bytesPerS / 1e9)} / ${f(host!.medianBytesPerS / 1e9)}`, dev ? `${f(dev.bytesPerS / 1e9)} / ${f(dev.medianBytesPerS / 1e9)}` : '—',
      f(r.bandwidth!.rooflineBytesPerS / 1e9), f(s.decodeStepMs?.p50, 2), f(s.decodeTokensPerS), f(s.decodeBytesPerS! / 1e9, 2), f(s.rooflineTokensPerS), f(s.rooflineRatio, 2),
      s.rooflineRatio !== null && s.rooflineRatio >= 0.7 ? 'yes' : 'no',
    ]);
  }
  console.log(`decode roofline: ${MODEL} fp32, batch 1, prompt 32, 64 tokens × 3 requests (+1 warm-up)`);
  console.log(table(['device', 'memcpy GB/s best/median', 'device kernel GB/s best/median', 'roofline GB/s', 'step ms p50', 'decode tok/s', 'decode GB/s', 'roofline tok/s', 'ratio', '≥ 0.7'], rows));
  console.log('bytes per step = every weight once + the KV cache read (models/cost.ts); copy bandwidth counts bytes read + written (STREAM convention).');
}

async function startServe(model: string, device: string, out: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = fileURLToPath(new URL(`../fixtures/llm/cli-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const proc = spawn(process.execPath, [...process.execArgv, child, 'serve', '--device', device, '--model', model, '--port', '0', '--max-batch', '4', '--json', '--out', out], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    stop: () => new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGINT');
    }),
  };
}

async function httpOverhead(model: string, device: string): Promise<void> {
  const base = { ...DEFAULT_LLM_SETTINGS, promptLen: 32, genLen: 32, requests: 64, warmup: 4, bandwidth: false };
  const out = mkdtempSync(join(tmpdir(), 'npuval-bench-serve-'));
  const server = await startServe(model, device, out);
  const journaled = async (name: string, settings: LlmSettings) => {
    const journal = new Journal(join(out, name));
    try {
      return await runLlm(settings, { journal });
    } finally {
      journal.close();
    }
  };
  let ep: LlmReport;
  try {
    ep = await journaled('endpoint.jsonl', { ...base, device: `endpoint:${server.url}?model=${model}`, sweepConcurrency: [1, 4] });
  } finally {
    await server.stop();
  }
  const ip = await journaled('inprocess.jsonl', { ...base, device, model, batch: 4, sweepConcurrency: [1, 4] });
  // Per-request values of a point, from the client journals; the server's own, from its journal
  // (each point is `warmup` requests, then `requests` measured ones, after the overhead requests).
  const perRequest = (file: string, point: string, key: 'ttftMs' | 'tpotMs') =>
    readJournal(join(out, file)).records.filter((r) => r.type === 'llm.request' && r.point === point).map((r) => r[key] as number);
  const served = readJournal(join(out, 'journal.jsonl')).records.filter((r) => r.type === 'serve.requests')
    .flatMap((r) => r.requests as { ttftMs: number; tpotMs: number; probe: boolean; route: string }[]).filter((q) => !q.probe);
  const points = served.slice(served.length - ep.points.length * (base.warmup + base.requests));
  const per = base.warmup + base.requests;
  const serverSide = (i: number, key: 'ttftMs' | 'tpotMs') => median(points.slice(i * per + base.warmup, (i + 1) * per).map((q) => q[key]));

  const o = ep.httpOverhead;
  const rng = seededRng(7);
  const random = () => rng.next();
  const G = base.genLen;
  const slope = (long: readonly number[], short: readonly number[]) => (median(long) - median(short)) / (G - 1);
  const rows = ep.points.map((e, i) => {
    const n = ip.points[i]!;
    const [eT, iT, eP, iP] = [perRequest('endpoint.jsonl', e.label, 'ttftMs'), perRequest('inprocess.jsonl', n.label, 'ttftMs'), perRequest('endpoint.jsonl', e.label, 'tpotMs'), perRequest('inprocess.jsonl', n.label, 'tpotMs')];
    // Δ − overhead with a 95 % bootstrap interval over every sample in it; "within" when the
    // interval reaches 0 or below: the difference is not larger than the overhead beyond noise.
    let ttftVerdict = '—', tpotVerdict = '—';
    if (o && e.concurrency === 1) {
      const t = bootstrapInterval([eT, iT, o.samples.ttftMs], ([a, b, c]) => median(a!) - median(b!) - median(c!), random);
      ttftVerdict = `${f(t.estimate, 2)} [${f(t.low, 2)}, ${f(t.high, 2)}] ${t.low <= 0 ? 'within' : 'OVER'}`;
      if (o.tpotMs !== null) {
        const p = bootstrapInterval([eP, iP, o.samples.streamedTpotMs, o.samples.unstreamedLongMs, o.samples.unstreamedShortMs],
          ([a, b, c, d, e]) => median(a!) - median(b!) - (median(c!) - slope(d!, e!)), random);
        tpotVerdict = `${f(p.estimate, 3)} [${f(p.low, 3)}, ${f(p.high, 3)}] ${p.low <= 0 ? 'within' : 'OVER'}`;
      }
    }
    return [
      `c${e.concurrency}`, f(n.summary.outputTokensPerS), f(e.summary.outputTokensPerS),
      f(median(iT), 2), f(serverSide(i, 'ttftMs'), 2), f(median(eT), 2), f(median(eT) - median(iT), 2), ttftVerdict,
      f(median(iP), 3), f(serverSide(i, 'tpotMs'), 3), f(median(eP), 3), f(median(eP) - median(iP), 3), tpotVerdict,
    ];
  });
  console.log(`\nHTTP overhead on ${device}: ${model}, prompt 32, ${G} tokens, ${base.requests} requests per point; engine max batch 4 both ways; medians`);
  console.log(o ? `measured HTTP overhead (${o.description}):\n  TTFT p50 ${f(o.ttftMs.p50, 3)} ms (${o.ttftMethod}); TPOT ${f(o.tpotMs, 3)} ms = streamed ${f(o.streamedTpotMs, 3)} − unstreamed ${f(o.unstreamedTpotMs, 3)} ms per token` : `HTTP overhead not measured: ${ep.notes.join('; ')}`);
  console.log(table(['load', 'in-proc tok/s', 'serve tok/s', 'TTFT in-proc', 'TTFT server-side', 'TTFT client', 'ΔTTFT', 'ΔTTFT − overhead [95 %]', 'TPOT in-proc', 'TPOT server-side', 'TPOT client', 'ΔTPOT', 'ΔTPOT − overhead [95 %]'], rows));
  console.log('Held against the overhead at c1 only: it is measured one request at a time. Server-side = the serve process\'s own clock (arrival → first token; first → last token).');
}

const parts = process.env.NPUVAL_BENCH_PARTS ?? 'roofline,http';
if (parts.includes('roofline')) await roofline();
if (parts.includes('http')) {
  for (const device of process.env.NPUVAL_BENCH_HTTP_DEVICES?.split(';').filter(Boolean) ?? ['ort:cpu', 'ort:cpu?allowSpinning=false']) await httpOverhead('tiny-llama', device);
}
