// The worker thread of a fuzz campaign (engine.ts): makes inputs from..end and reports each
// outcome as soon as it is known, so the main thread can tell which input hung.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { inputAt, runOne, seedsOf, type InputReport, type InputSource } from './engine.js';
import type { FuzzTarget } from './targets.js';

const { target: name, module, source, from } = workerData as { target: string; module: string; source: InputSource; from: number };
const target = ((await import(module)) as { TARGETS: readonly FuzzTarget[] }).TARGETS.find((t) => t.name === name)!;
const scratch = mkdtempSync(join(tmpdir(), `npuval-fuzz-${name}-`));
try {
  const seeds = 'files' in source ? [] : seedsOf(target);
  const total = 'files' in source ? source.files.length : source.count;
  // Loaded: from here on each input has the hang limit alone.
  parentPort!.postMessage({ ready: true });
  for (let i = from; i < total; i++) {
    const input = 'files' in source ? new Uint8Array(readFileSync(source.files[i]!)) : inputAt(target, seeds, source.seed, i);
    const report: InputReport = { i, outcome: await runOne(target, input, scratch) };
    parentPort!.postMessage(report);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
