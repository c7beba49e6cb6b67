// Power samplers. No power tool works on this machine, so the tool-based samplers are tested
// against fixture executables on PATH (test/fixtures/power/bin) that print recorded output:
// nvidia-smi replays lines recorded from a real nvidia-smi on an H100 (see the fixture's header);
// furiosa-smi and rbln-stat print the example output published in their vendors' documentation. RAPL is tested against a
// fake powercap tree in a temp dir (NPUVAL_RAPL_ROOT / the sampler's root argument).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  candidateSamplers,
  chooseSampler,
  meanWatts,
  NvidiaSmiSampler,
  parseNvidiaSmiCsv,
  parsePowerTable,
  RaplSampler,
  furiosaSmiSampler,
  rblnStatSampler,
} from '../../devices/power/index.js';
import { createDevice } from '../../devices/index.js';
import { mlpModel } from '../helpers/tiny-model.js';
import { buildWorkload } from '../../harness/scenarios/workload.js';
import { resolveSettings, runScenario } from '../../harness/scenarios/index.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Fixtures are TypeScript-free shell scripts; from dist/ the source tree is two levels further up.
const here = fileURLToPath(new URL('.', import.meta.url));
const candidates = [join(here, '../fixtures/power/bin'), join(here, '../../../test/fixtures/power/bin')];
const FIXTURES = candidates.find((d) => {
  try {
    execFileSync(join(d, 'rbln-stat'));
    return true;
  } catch {
    return false;
  }
})!;
const ORIGINAL_PATH = process.env.PATH ?? '';
const withFixtures = () => {
  process.env.PATH = `${FIXTURES}${delimiter}${ORIGINAL_PATH}`;
};
const withoutFixtures = () => {
  process.env.PATH = '/nonexistent-npuval-path';
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The wattages in the H100 recording the nvidia-smi fixture replays. */
const RECORDED = readFileSync(join(FIXTURES, '../nvidia-smi-h100-lms100.txt'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => Number(l.split(',')[1]));

test.after.each(() => {
  process.env.PATH = ORIGINAL_PATH;
});

test('parses nvidia-smi CSV for one GPU (recorded H100 output), skipping [N/A]', () => {
  const recorded = readFileSync(join(FIXTURES, '../nvidia-smi-h100-lms100.txt'), 'utf8');
  assert.equal(parseNvidiaSmiCsv(recorded, 0).watts, RECORDED);
  assert.is(RECORDED.length, 30);
  assert.is(RECORDED[0], 96.22);
  const text = '0, 71.24\n1, [N/A]\n0, 305.87\n1, [N/A]\n';
  assert.equal(parseNvidiaSmiCsv(text, 0), { watts: [71.24, 305.87], unsupported: 0 });
  assert.equal(parseNvidiaSmiCsv(text, 1), { watts: [], unsupported: 2 });
  assert.equal(parseNvidiaSmiCsv('0, 65.10 W\n', 0).watts, [65.1]); // with units
});

test('parses the Power column of furiosa-smi and rbln-stat tables (recorded documentation output)', () => {
  const furiosa = execFileSync(join(FIXTURES, 'furiosa-smi'), ['info'], { encoding: 'utf8' });
  assert.equal(parsePowerTable(furiosa), [
    { device: 'npu0', watts: 35 },
    { device: 'npu1', watts: 36.5 },
  ]);
  const rbln = execFileSync(join(FIXTURES, 'rbln-stat'), { encoding: 'utf8' });
  assert.equal(parsePowerTable(rbln), [
    { device: 'rbln0', watts: 43.9 },
    { device: 'rbln1', watts: 6.1 },
  ]);
  assert.equal(parsePowerTable('no table here\n'), []);
});

test('meanWatts weights samples by time', () => {
  assert.is(meanWatts([], 100), null);
  assert.is(
    meanWatts(
      [
        { tMs: 0, watts: 10 },
        { tMs: 100, watts: 10 },
      ],
      100,
    ),
    10,
  );
  // 0–50 ms at 10 W, rising to 30 W at 50 ms and held to 100 ms: (10·0 + 20·50 + 30·50)/100 = 25
  assert.is(
    meanWatts(
      [
        { tMs: 0, watts: 10 },
        { tMs: 50, watts: 30 },
      ],
      100,
    ),
    25,
  );
});

test('nvidia-smi sampler streams readings from the -lms loop (fixture on PATH)', async () => {
  withFixtures();
  const s = new NvidiaSmiSampler(20, 0);
  assert.is(await s.check(), null);
  const run = s.start();
  await sleep(200);
  const reading = await run.stop();
  assert.ok(reading.samples.length >= 1);
  assert.ok(reading.samples.every((x) => RECORDED.includes(x.watts)));
  assert.is(reading.sampler, 'nvidia-smi');
  assert.is(reading.intervalMs, 20);
  assert.equal(reading.notes, []);
  // Only GPU 0 was recorded: asking for GPU 1 fails, and the check says why.
  assert.match((await new NvidiaSmiSampler(20, 1).check())!, /nvidia-smi .* failed: fixture: no recorded output for GPU 1/);
});

test('furiosa-smi and rbln-stat samplers poll their tables (fixtures on PATH)', async () => {
  withFixtures();
  for (const [sampler, watts] of [
    [furiosaSmiSampler('npu1', 30), 36.5],
    [rblnStatSampler('rbln0', 30), 43.9],
  ] as const) {
    assert.is(await sampler.check(), null);
    const run = sampler.start();
    await sleep(150);
    const reading = await run.stop();
    assert.ok(reading.samples.length >= 1, sampler.name);
    assert.ok(
      reading.samples.every((x) => x.watts === watts),
      sampler.name,
    );
  }
  assert.match((await furiosaSmiSampler('npu7').check())!, /lists no device npu7 \(it lists npu0, npu1\)/);
});

test('a missing tool is "not found on PATH", and auto says why each sampler failed', async () => {
  withoutFixtures();
  assert.match((await new NvidiaSmiSampler().check())!, /nvidia-smi was not found on PATH/);
  const choice = await chooseSampler(['furiosa-smi', 'rbln-stat', 'nvidia-smi']);
  assert.is(choice.sampler, null);
  if (choice.sampler === null) {
    assert.match(choice.reason, /furiosa-smi: furiosa-smi was not found on PATH; rbln-stat: .*; nvidia-smi: /);
  }
  assert.equal(candidateSamplers('cuda'), ['nvidia-smi']);
  assert.equal(candidateSamplers('cpu'), ['rapl']);
});

function fakeRapl(root: string, uj: number, maxRange = 262143328850): string {
  const dir = join(root, 'intel-rapl:0');
  mkdirSync(join(root, 'intel-rapl:0:0'), { recursive: true }); // a sub-zone, which must not be double-counted
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'name'), 'package-0\n');
  writeFileSync(join(dir, 'max_energy_range_uj'), `${maxRange}\n`);
  writeFileSync(join(dir, 'energy_uj'), `${uj}\n`);
  writeFileSync(join(root, 'intel-rapl:0:0', 'energy_uj'), '999999999\n');
  return join(dir, 'energy_uj');
}

test('RAPL: energy is the counter difference, across a wrap-around (fake powercap tree)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'npuval-rapl-'));
  try {
    assert.match((await new RaplSampler(10, join(root, 'missing')).check())!, /no RAPL package domain/);
    const counter = fakeRapl(root, 9_000_000, 10_000_000);
    const s = new RaplSampler(10, root);
    assert.is(await s.check(), null);
    const run = s.start(); // reads 9 J
    await sleep(40);
    writeFileSync(counter, '9500000\n'); // +0.5 J
    await sleep(40);
    writeFileSync(counter, '2000000\n'); // wrapped: +0.5 J to the top, +2 J after
    await sleep(40);
    const reading = await run.stop();
    assert.ok(Math.abs(reading.energyJoules! - 3) < 1e-9, `energy ${reading.energyJoules}`);
    assert.ok(reading.samples.length >= 2);
    assert.match(reading.source, /package-0/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('RAPL root is configurable with NPUVAL_RAPL_ROOT', async () => {
  const root = mkdtempSync(join(tmpdir(), 'npuval-rapl-'));
  const saved = process.env.NPUVAL_RAPL_ROOT;
  try {
    fakeRapl(root, 1000);
    process.env.NPUVAL_RAPL_ROOT = root;
    const choice = await chooseSampler(['rapl']);
    assert.ok(choice.sampler);
  } finally {
    if (saved === undefined) delete process.env.NPUVAL_RAPL_ROOT;
    else process.env.NPUVAL_RAPL_ROOT = saved;
    rmSync(root, { recursive: true, force: true });
  }
});

test('a scenario run reports energy per query and samples/s per watt from the sampler, or why not', async () => {
  withFixtures();
  const device = createDevice('ort:cpu?intraOpThreads=1');
  const session = await device.open({ bytes: mlpModel().bytes });
  try {
    const workload = buildWorkload(session, {
      name: 'mlp',
      count: 4,
      qslSeed: 1,
      flopsPerSample: 128,
      precision: 'fp32',
      generate: (seed) => ({ X: { type: 'float32', dims: [2, 8], data: Float32Array.from({ length: 16 }, (_, i) => seed * i) } }),
    });
    const settings = resolveSettings('single-stream', { minDurationMs: 300, warmupMs: 20 });
    const measured = await runScenario(session, workload, settings, { device: 'ort:cpu', power: { sampler: new NvidiaSmiSampler(20, 0) } });
    assert.ok(measured.power.measured);
    if (measured.power.measured) {
      assert.is(measured.power.sampler, 'nvidia-smi');
      assert.is(measured.power.intervalMs, 20);
      assert.ok(measured.power.sampleCount >= 1);
      assert.ok(measured.power.avgWatts >= Math.min(...RECORDED) && measured.power.avgWatts <= Math.max(...RECORDED));
      assert.ok(Math.abs(measured.power.joulesPerQuery * measured.counts.queries - measured.power.energyJoules) < 1e-9);
      assert.ok(Math.abs(measured.power.samplesPerSecondPerWatt - measured.throughput.samplesPerSecond! / measured.power.avgWatts) < 1e-9);
    }
    const notMeasured = await runScenario(session, workload, settings, {
      device: 'ort:cpu',
      power: { sampler: null, reason: 'rapl: no RAPL package domain' },
    });
    assert.equal(notMeasured.power, { measured: false, reason: 'rapl: no RAPL package domain' });
  } finally {
    await session.close();
  }
});

test.run();
