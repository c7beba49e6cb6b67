// Scenario driver overhead and Server scheduling, on ort:cpu in one process:
//  1. SingleStream throughput through runScenario (the path `npuval bench` takes) vs a bare
//     `await session.run()` loop on the same model and samples, alternated in rounds; the goal
//     is a ratio ≥ 0.97.
//  2. Server: achieved (completed) samples/s vs the target QPS, and the p99 scheduling lateness
//     (issued − scheduled) at several rates.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createDevice } from '../../devices/index.js';
import type { Session } from '../../devices/types.js';
import { table } from '../../harness/output.js';
import { percentile } from '../../harness/stats.js';
import {
  buildWorkload,
  loadBenchModel,
  modelWorkload,
  resolveSettings,
  runScenario,
  type Workload,
} from '../../harness/scenarios/index.js';
import { mlpModel } from '../helpers/tiny-model.js';

const ROUNDS = 15;
const ROUND_MS = 400;

/** Samples/s of wall time, and CPU µs (all threads of this process) per sample: the CPU figure is steadier on a busy machine. */
interface Rate {
  perSecond: number;
  cpuUsPerSample: number;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function bareLoop(session: Session, workload: Workload, ms: number): Promise<Rate> {
  const n = workload.samples.length;
  let i = 0;
  const c0 = cpuUs();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) await session.run(workload.samples[i++ % n]!);
  const wall = performance.now() - t0;
  return { perSecond: i / (wall / 1000), cpuUsPerSample: (cpuUs() - c0) / i };
}

async function viaScenario(session: Session, workload: Workload, ms: number): Promise<Rate> {
  const c0 = cpuUs();
  const r = await runScenario(session, workload, resolveSettings('single-stream', { minDurationMs: ms, warmupMs: 0, minQueryCount: 64 }), {
    device: 'ort:cpu',
  });
  // runScenario also builds the result after the timed run; that CPU is counted here too (conservative).
  return { perSecond: r.throughput.samplesPerSecond!, cpuUsPerSample: (cpuUs() - c0) / r.counts.samples };
}

async function overhead(label: string, session: Session, workload: Workload): Promise<unknown[]> {
  await bareLoop(session, workload, 300); // warm both paths up once
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const bare: Rate[] = [];
  const bench: Rate[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first so drift on a shared machine does not favour one side.
    const first = r % 2 === 0;
    const a = first ? await bareLoop(session, workload, ROUND_MS) : null;
    const b = await viaScenario(session, workload, ROUND_MS);
    const c = a ?? (await bareLoop(session, workload, ROUND_MS));
    bare.push(c);
    bench.push(b);
    ratios.push(b.perSecond / c.perSecond);
    cpuRatios.push(c.cpuUsPerSample / b.cpuUsPerSample);
  }
  const med = (xs: number[]) =>
    percentile(
      [...xs].sort((x, y) => x - y),
      0.5,
    );
  return [
    label,
    med(bare.map((x) => x.perSecond)).toFixed(0),
    med(bench.map((x) => x.perSecond)).toFixed(0),
    med(ratios).toFixed(3),
    `${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`,
    `${med(bare.map((x) => x.cpuUsPerSample)).toFixed(2)} / ${med(bench.map((x) => x.cpuUsPerSample)).toFixed(2)}`,
    med(cpuRatios).toFixed(3),
  ];
}

const device = createDevice('ort:cpu?intraOpThreads=1');
const bert = loadBenchModel('tiny-bert');
const bertSession = await device.open({ bytes: bert.bytes! });
const bertWorkload = modelWorkload(bertSession, bert, { count: 32, qslSeed: 3 });
const mlpSession = await device.open({ bytes: mlpModel().bytes });
const mlpWorkload = buildWorkload(mlpSession, {
  name: 'mlp',
  count: 32,
  qslSeed: 3,
  flopsPerSample: null,
  precision: 'fp32',
  generate: (seed) => ({ X: { type: 'float32', dims: [2, 8], data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(seed + i)) } }),
});

process.stdout.write(
  `SingleStream throughput, runScenario vs bare session.run loop (ort:cpu, intraOpThreads=1; median of ${ROUNDS} alternated ${ROUND_MS} ms rounds)\n\n`,
);
const rows = [
  await overhead('tiny-bert (zoo)', bertSession, bertWorkload),
  await overhead('mlp 2×8·8×4 (test helper)', mlpSession, mlpWorkload),
];
process.stdout.write(
  `host: ${os.cpus()[0]?.model.trim()} × ${os.availableParallelism()} CPUs, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}\n\n`,
);
process.stdout.write(
  table(['model', 'bare samples/s', 'bench samples/s', 'ratio (goal ≥ 0.97)', 'range', 'CPU µs/sample bare / bench', 'CPU ratio'], rows) +
    '\n\n',
);

process.stdout.write(
  'Server on tiny-bert: achieved vs target QPS, scheduling lateness (issued − scheduled), latency bound 100 ms at p99\n\n',
);
const serverRows: unknown[][] = [];
for (const qps of [100, 500, 1000, 2000, 4000]) {
  const r = await runScenario(
    bertSession,
    bertWorkload,
    resolveSettings('server', { targetQps: qps, targetLatencyMs: 100, minDurationMs: 2000, warmupMs: 200, minQueryCount: 459 }),
    { device: 'ort:cpu' },
  );
  serverRows.push([
    qps,
    r.throughput.scheduledSamplesPerSecond?.toFixed(1),
    r.throughput.completedSamplesPerSecond?.toFixed(1),
    (r.throughput.completedSamplesPerSecond! / qps).toFixed(3),
    r.latency.issueDelay!.p50.toFixed(3),
    r.latency.issueDelay!.p99.toFixed(3),
    r.latency.sample!.p99.toFixed(3),
    r.result,
  ]);
}
process.stdout.write(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}\n`,
);
process.stdout.write(
  table(
    ['target QPS', 'scheduled/s', 'completed/s', 'achieved/target', 'lateness p50 ms', 'lateness p99 ms', 'latency p99 ms', 'result'],
    serverRows,
  ) + '\n',
);
await bertSession.close();
await mlpSession.close();
