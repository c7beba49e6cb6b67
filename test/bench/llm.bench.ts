// LLM benchmarks on ort:cpu:
//  1. Decode roofline: decode tokens/s of the ~100M zoo decoder (llama-100m, fp32) at batch 1 vs
//     the memory-bandwidth roofline (bandwidth measured in the same run by two copy kernels, the
//     larger taken); printed as a ratio, goal ≥ 0.7. Default threads and one intra-op thread.
//  2. HTTP overhead: the same continuous-batching engine measured in-process and through
//     `npuval serve` (a child process) + the endpoint client, concurrency 1: TTFT/TPOT differences
//     next to a bare HTTP round trip (GET /v1/models).
// NPUVAL_BENCH_LLM overrides the model of part 1 (e.g. tiny-llama for a quick run);
// NPUVAL_BENCH_LLM_DEVICES its devices, ';'-separated (e.g. ort:cpu;ort:cpu?intraOpThreads=4);
// NPUVAL_BENCH_HTTP_DEVICES the devices of part 2 (default ort:cpu); NPUVAL_BENCH_PARTS=roofline|http one part.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJournal } from '../../harness/journal.js';
import { DEFAULT_LLM_SETTINGS, runLlm, type LlmReport } from '../../harness/llm/run.js';
import { percentile } from '../../harness/stats.js';
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
  const base = { ...DEFAULT_LLM_SETTINGS, promptLen: 32, genLen: 32, requests: 16, warmup: 2, bandwidth: false };
  const out = mkdtempSync(join(tmpdir(), 'npuval-bench-serve-'));
  const server = await startServe(model, device, out);
  let ep: LlmReport, ip: LlmReport;
  try {
    ep = await runLlm({ ...base, device: `endpoint:${server.url}?model=${model}`, sweepConcurrency: [1, 4] });
  } finally {
    await server.stop();
  }
  ip = await runLlm({ ...base, device, model, batch: 4, sweepConcurrency: [1, 4] });
  // The server journals its own TTFT (request arrival → first token chosen) per request, in order:
  // each point is `warmup` requests, then `requests` measured ones.
  const served = readJournal(join(out, 'journal.jsonl')).records.filter((r) => r.type === 'serve.requests').flatMap((r) => (r.requests as { ttftMs: number }[]).map((q) => q.ttftMs));
  const per = base.warmup + base.requests;
  const serverTtft = (i: number) => percentile(served.slice(i * per + base.warmup, (i + 1) * per).sort((a, b) => a - b), 0.5);
  const rows = ep.points.map((e, i) => {
    const n = ip.points[i]!.summary, s = e.summary;
    return [
      `c${e.concurrency}`, f(n.outputTokensPerS), f(s.outputTokensPerS), f(n.ttft!.p50, 2), f(serverTtft(i), 2), f(s.ttft!.p50, 2), f(s.ttft!.p50 - n.ttft!.p50, 2),
      f(n.tpot!.p50, 3), f(s.tpot!.p50, 3), f(s.tpot!.p50 - n.tpot!.p50, 3),
    ];
  });
  console.log(`\nHTTP overhead on ${device}: ${model}, prompt 32, 32 tokens, 16 requests per point; engine max batch 4 both ways`);
  console.log(table(['load', 'in-process tok/s', 'serve tok/s', 'TTFT p50 in-proc', 'TTFT p50 server-side', 'TTFT p50 client', 'ΔTTFT ms', 'TPOT p50 in-proc', 'TPOT p50 serve', 'ΔTPOT ms'], rows));
  console.log(`bare HTTP round trip (GET /v1/models, keep-alive): p50 ${f(ep.httpRoundTripMs?.p50, 3)} ms, p99 ${f(ep.httpRoundTripMs?.p99, 3)} ms`);
}

const parts = process.env.NPUVAL_BENCH_PARTS ?? 'roofline,http';
if (parts.includes('roofline')) await roofline();
if (parts.includes('http')) {
  for (const device of process.env.NPUVAL_BENCH_HTTP_DEVICES?.split(';').filter(Boolean) ?? ['ort:cpu']) await httpOverhead('tiny-llama', device);
}
