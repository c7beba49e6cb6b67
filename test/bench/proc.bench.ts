// What the proc: protocol costs over running ONNX Runtime in npuval's own process:
//  1. Per-call overhead on a tiny model (Y = X + X, float32[4]): ort:cpu in-process vs the reference
//     adapter (the same ORT, in a child process) vs the echo adapter (no runtime: the protocol alone),
//     alternated in rounds; the goal is ≤ 50 µs added per call.
//  2. Pipe throughput for large tensors with the echo adapter: 256 MiB up (a feed, a 1-byte reply) and
//     down (a 4-byte feed, a 256 MiB reply), each alone; the goal is ≥ 1 GB/s each way. Down lands in new
//     memory the caller keeps, so it pays a fresh buffer's page faults, shown apart. Then a 256 MiB
//     Identity on the reference adapter vs in-process ORT, for what a real model pays.
// Each side's first call is a warm-up; ORT runs with allowSpinning=false on both sides (the adapter's default).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createDevice, probeModelBytes } from '../../devices/index.js';
import '../../devices/proc/index.js';
import type { Session, Tensor } from '../../devices/types.js';
import { identityModel } from '../../harness/adapter-check/models.js';
import { table } from '../../harness/output.js';
import { percentile } from '../../harness/stats.js';
import { ECHO, REFERENCE, root } from '../proc/helpers.js';

process.chdir(root);
const ROUNDS = 9;
const CALLS = 2000;
const BIG = 256 << 20;
const REPEATS = 5;
const med = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

async function perCallUs(session: Session, calls: number): Promise<number> {
  const x: Tensor = { type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4) };
  const t = performance.now();
  for (let i = 0; i < calls; i++) await session.run({ X: x });
  return ((performance.now() - t) * 1000) / calls;
}

async function overhead(): Promise<void> {
  const specs = { ort: 'ort:cpu?allowSpinning=false', proc: REFERENCE, echo: ECHO } as const;
  const sessions = Object.fromEntries(
    await Promise.all(
      Object.entries(specs).map(async ([k, spec]) => [k, await createDevice(spec).open({ bytes: probeModelBytes() })] as const),
    ),
  ) as Record<keyof typeof specs, Session>;
  for (const s of Object.values(sessions)) await perCallUs(s, 300);
  const us: Record<keyof typeof specs, number[]> = { ort: [], proc: [], echo: [] };
  const added: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so drift on a shared machine favours neither side.
    const order = (r % 2 ? ['proc', 'ort', 'echo'] : ['ort', 'echo', 'proc']) as (keyof typeof specs)[];
    const round: Partial<Record<keyof typeof specs, number>> = {};
    for (const k of order) round[k] = await perCallUs(sessions[k], CALLS);
    for (const k of order) us[k].push(round[k]!);
    added.push(round.proc! - round.ort!);
  }
  const m = (k: keyof typeof specs) => med(us[k]);
  process.stdout.write(`Per-call overhead, tiny model, ${ROUNDS} rounds × ${CALLS} sequential calls (median per round):\n\n`);
  process.stdout.write(
    table(
      ['path', 'µs per call', 'vs ort:cpu'],
      [
        ['ort:cpu in-process', m('ort').toFixed(1), '1.00×'],
        ['proc: reference adapter (ORT)', m('proc').toFixed(1), `${(m('proc') / m('ort')).toFixed(2)}×`],
        ['proc: echo adapter (protocol only)', m('echo').toFixed(1), `${(m('echo') / m('ort')).toFixed(2)}×`],
      ],
    ) + '\n\n',
  );
  const a = med(added);
  process.stdout.write(`added per call by proc: (median of rounds): ${a.toFixed(1)} µs — goal ≤ 50 µs: ${a <= 50 ? 'met' : 'NOT met'}\n\n`);
  await Promise.all(Object.values(sessions).map((s) => s.close()));
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function throughput(): Promise<void> {
  const echo = await createDevice(ECHO).open({ bytes: probeModelBytes() });
  const big = new Uint8Array(BIG).fill(3);
  const up = () => echo.run({ Upload: { type: 'uint8', dims: [BIG], data: big } });
  const down = () => echo.run({ Download: { type: 'int32', dims: [1], data: Int32Array.of(BIG) } });
  const small = () => echo.run({ Upload: { type: 'uint8', dims: [4], data: big.subarray(0, 4) } });
  await up();
  await down();
  const ups: number[] = [],
    downs: number[] = [],
    base: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    base.push(await time(small));
    ups.push(await time(up));
    downs.push(await time(down));
  }
  await echo.close();
  // What any receiver of new memory pays (ORT in-process too, for its outputs): a fresh buffer, written once.
  const fresh: number[] = [];
  for (let r = 0; r < REPEATS; r++) fresh.push(await time(async () => new Uint8Array(BIG).set(big)));
  const gbps = (s: number) => BIG / Math.max(s - med(base), 1e-9) / 1e9;
  const upG = gbps(med(ups));
  const downG = gbps(med(downs));

  const f = new Float32Array(BIG / 4);
  for (let i = 0; i < f.length; i += 997) f[i] = i;
  const x: Tensor = { type: 'float32', dims: [f.length], data: f };
  const ident: Record<string, number[]> = { ort: [], proc: [] };
  const opened = {
    ort: await createDevice('ort:cpu?allowSpinning=false').open({ bytes: identityModel('float32') }),
    proc: await createDevice(REFERENCE).open({ bytes: identityModel('float32') }),
  };
  for (const s of Object.values(opened)) await s.run({ X: x });
  for (let r = 0; r < 3; r++) for (const k of ['ort', 'proc'] as const) ident[k]!.push(await time(() => opened[k].run({ X: x })));
  await Promise.all(Object.values(opened).map((s) => s.close()));
  const extra = med(ident.proc!) - med(ident.ort!);

  process.stdout.write(
    `Pipe throughput, 256 MiB tensors (median of ${REPEATS}, minus a 4-byte call's ${(med(base) * 1000).toFixed(2)} ms):\n\n`,
  );
  process.stdout.write(
    table(
      ['transfer', 'seconds', 'GB/s', 'goal ≥ 1 GB/s'],
      [
        ['echo adapter: 256 MiB up (npuval → adapter)', med(ups).toFixed(3), upG.toFixed(2), upG >= 1 ? 'met' : 'NOT met'],
        ['echo adapter: 256 MiB down (adapter → npuval)', med(downs).toFixed(3), downG.toFixed(2), downG >= 1 ? 'met' : 'NOT met'],
        ['  of which a fresh 256 MiB buffer, written once', med(fresh).toFixed(3), '', ''],
        ['  down, less the fresh buffer', (med(downs) - med(fresh)).toFixed(3), gbps(med(downs) - med(fresh)).toFixed(2), ''],
        ['Identity 256 MiB, ort:cpu in-process', med(ident.ort!).toFixed(3), '—', ''],
        [
          'Identity 256 MiB, reference adapter',
          med(ident.proc!).toFixed(3),
          `${((2 * BIG) / Math.max(extra, 1e-9) / 1e9).toFixed(2)} (both ways, over the in-process time)`,
          '',
        ],
      ],
    ) + '\n',
  );
  process.stdout.write(`\nproc: / in-process time for the 256 MiB Identity: ${(med(ident.proc!) / med(ident.ort!)).toFixed(2)}×\n`);
}

const load = () => os.loadavg()[0]!.toFixed(2);
process.stdout.write(`${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, load average ${load()} at the start\n\n`);
await overhead();
await throughput();
process.stdout.write(`\nload average ${load()} at the end (other processes on the machine slow both sides)\n`);
process.exit(0);
