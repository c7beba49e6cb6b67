// Benchmark: the full ONNX backend suite (Debian libonnx-testdata, 1,072 cases) on ort:cpu
// through `npuval conformance`, in-process and with --isolate, against a bare loop over the same
// cases in the same process (create session, run, compare, release — nothing else).
// Goal: in-process ≤ 2× the bare loop, --isolate ≤ 3×.
// Runs on its own: `node dist/test/bench/conformance.bench.js [reps]` (or `npx tsx …/conformance.bench.ts`);
// exports benchConformance() for a bench runner.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../devices/types.js';
import { readTensorFile } from '../../models/onnx/tensor.js';
import { main } from '../../harness/cli.js';
import { compareTensors } from '../../harness/conformance/compare.js';
import { DEBIAN_ONNX_TESTDATA, discoverCases } from '../../harness/conformance/discover.js';

export interface ConformanceBench {
  readonly cases: number;
  readonly reps: number;
  /** Median wall time per variant, ms. */
  readonly bareMs: number;
  readonly inProcessMs: number;
  readonly isolateMs: number;
  readonly inProcessRatio: number;
  readonly isolateRatio: number;
  /** Median CPU time per variant (this process plus its reaped children), ms: steadier than wall time on a shared machine. */
  readonly cpu: { readonly bareMs: number; readonly inProcessMs: number; readonly isolateMs: number };
  /** Every rep's wall and CPU time, ms, in run order. */
  readonly samples: { readonly bare: number[]; readonly inProcess: number[]; readonly isolate: number[] };
  readonly cpuSamples: { readonly bare: number[]; readonly inProcess: number[]; readonly isolate: number[] };
}

/**
 * CPU ms used so far by this process and its waited-for children (Linux /proc/self/stat utime,
 * stime, cutime, cstime; 10 ms ticks), so --isolate's worker processes count too.
 */
function cpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm field: state is f[0], so utime..cstime (fields 14–17) are f[11]..f[14].
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
}

/** The bare loop: what any runner must do at least. Non-tensor models are skipped, as the runner does. */
async function bareLoop(root: string): Promise<number> {
  const cases = discoverCases([root]);
  let passed = 0;
  for (const c of cases) {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(readFileSync(join(c.dir, 'model.onnx')), {
        intraOpNumThreads: 1,
        executionProviders: ['cpu'],
        logSeverityLevel: 4,
      });
    } catch {
      continue;
    }
    try {
      if (session.inputMetadata.some((m) => !m.isTensor) || session.outputMetadata.some((m) => !m.isTensor)) continue;
      let ok = true;
      for (const set of c.dataSets) {
        const feeds: Record<string, ort.Tensor> = {};
        session.inputNames.forEach((name, k) => {
          const t = readTensorFile(set.inputs[k]!);
          feeds[name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
        });
        const out = await session.run(feeds);
        session.outputNames.forEach((name, k) => {
          const e = readTensorFile(set.outputs[k]!);
          const a = out[name] as unknown as Tensor;
          if (compareTensors(a, e, { rtol: 1e-3, atol: 1e-7 }).mismatches > 0) ok = false;
        });
      }
      if (ok) passed++;
    } catch {
      // unsupported or failing: the bare loop only times
    } finally {
      await session.release();
    }
  }
  return passed;
}

async function cli(args: string[]): Promise<void> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await main(args);
  } finally {
    process.stdout.write = write;
  }
}

export async function benchConformance(reps = 3, root = DEBIAN_ONNX_TESTDATA): Promise<ConformanceBench> {
  const out = mkdtempSync(join(tmpdir(), 'npuval-conf-bench-'));
  const samples = { bare: [] as number[], inProcess: [] as number[], isolate: [] as number[] };
  const cpuSamples = { bare: [] as number[], inProcess: [] as number[], isolate: [] as number[] };
  const measure = async (key: keyof typeof samples, f: () => Promise<unknown>) => {
    const c0 = cpuMs();
    const t0 = performance.now();
    await f();
    samples[key].push(performance.now() - t0);
    cpuSamples[key].push(cpuMs() - c0);
  };
  try {
    await bareLoop(root); // warm the file cache and ORT's lazy initialisation once
    for (let i = 0; i < reps; i++) {
      // Interleaved so drift on a shared machine hits every variant alike.
      await measure('bare', () => bareLoop(root));
      await measure('inProcess', () =>
        cli(['conformance', '--device', 'ort:cpu', '--onnx-tests', root, '--json', '--out', join(out, `in-${i}`)]),
      );
      await measure('isolate', () =>
        cli(['conformance', '--device', 'ort:cpu', '--onnx-tests', root, '--isolate', '--json', '--out', join(out, `iso-${i}`)]),
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bareMs = med(samples.bare),
    inProcessMs = med(samples.inProcess),
    isolateMs = med(samples.isolate);
  return {
    cases: discoverCases([root]).length,
    reps,
    bareMs,
    inProcessMs,
    isolateMs,
    inProcessRatio: inProcessMs / bareMs,
    isolateRatio: isolateMs / bareMs,
    cpu: { bareMs: med(cpuSamples.bare), inProcessMs: med(cpuSamples.inProcess), isolateMs: med(cpuSamples.isolate) },
    samples,
    cpuSamples,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchConformance(Number(process.argv[2] ?? 3));
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`conformance bench, ${r.cases} cases on ort:cpu, median of ${r.reps}:`);
  console.log(`  bare loop (create, run, compare, release): ${f(r.bareMs)}`);
  console.log(`  npuval conformance (in-process):           ${f(r.inProcessMs)}  (${r.inProcessRatio.toFixed(2)}× bare; goal ≤ 2×)`);
  console.log(`  npuval conformance --isolate:              ${f(r.isolateMs)}  (${r.isolateRatio.toFixed(2)}× bare; goal ≤ 3×)`);
  const c = r.cpu;
  console.log(
    `  CPU time (process + children), median: bare ${f(c.bareMs)}, in-process ${f(c.inProcessMs)} (${(c.inProcessMs / c.bareMs).toFixed(2)}×), --isolate ${f(c.isolateMs)} (${(c.isolateMs / c.bareMs).toFixed(2)}×)`,
  );
  console.log(
    `  load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${availableParallelism()} cores`,
  );
  console.log(JSON.stringify({ wall: r.samples, cpu: r.cpuSamples }));
}
