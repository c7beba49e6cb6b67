// LoadGen's mlperf.conf (test/fixtures/mlperf/mlperf.conf, unchanged from mlcommons/inference) read
// as TestSettings::FromConfig reads it, and the scenario workload's mlperfConf setting applying it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../harness/errors.js';
import { confSettings, lookUp, parseConf, readConf } from '../../harness/scenarios/mlperf-conf.js';
import { resolveSettings } from '../../harness/scenarios/settings.js';
import { scenarioWorkload } from '../../harness/workloads/scenario/index.js';
import { resolveDeclared } from '../../harness/workloads/settings.js';

const conf = fileURLToPath(new URL('../../../test/fixtures/mlperf/mlperf.conf', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'npuval-mlperf-conf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('lookup order is model.Scenario, *.Scenario, model.*, *.*', () => {
  const kv = parseConf(
    '*.*.min_duration = 1\nm.*.min_duration = 2\n*.Server.min_duration = 3\n  # indented comment\nm.Server.min_duration = 4\n# whole line\n',
    'x',
  );
  assert.is(lookUp(kv, 'm', 'Server', 'min_duration'), 4);
  assert.is(lookUp(kv, 'other', 'Server', 'min_duration'), 3);
  assert.is(lookUp(kv, 'm', 'Offline', 'min_duration'), 2);
  assert.is(lookUp(kv, 'other', 'Offline', 'min_duration'), 1);
  assert.is(lookUp(kv, 'm', 'Offline', 'max_duration'), undefined);
  assert.throws(
    () => parseConf('a.b.c = fast\n', 'user.conf'),
    (e: Error) => e instanceof InputError && /user\.conf line 1: value needs to be integer or double/.test(e.message),
  );
  assert.throws(() => parseConf('a.b.c : 1\n', 'user.conf'), /expected 'key = value'/);
  // As in LoadGen, a `#` after a value is read as another value, not a comment.
  assert.throws(() => parseConf('a.b.c = 1 # note\n', 'user.conf'), /line 1: value needs to be integer or double, got "#"/);
});

test("LoadGen's mlperf.conf gives resnet50 its official settings per scenario", () => {
  const kv = readConf([conf]);
  const ss = confSettings(kv, 'resnet50', 'single-stream');
  assert.is(ss.overrides.minDurationMs, 600_000);
  assert.is(ss.overrides.targetLatencyPercentile, 0.9);
  assert.is(ss.overrides.performanceSampleCount, 1024);
  assert.is(ss.expectedLatencyNs, 10_000_000); // *.SingleStream.target_latency = 10 (ms): the expected latency
  assert.equal(ss.ignored, ['qsl_rng_seed', 'sample_index_rng_seed', 'schedule_rng_seed']);
  const ms = confSettings(kv, 'resnet50', 'multi-stream');
  assert.is(ms.overrides.minQueryCount, 662);
  assert.is(ms.overrides.samplesPerQuery, 8);
  assert.is(ms.overrides.targetLatencyPercentile, 0.99);
  const server = confSettings(kv, 'resnet50', 'server');
  assert.is(server.overrides.targetLatencyMs, 15); // resnet50.Server.target_latency over *.Server.target_latency = 10
  assert.is(server.overrides.targetQps, 1);
  assert.is(confSettings(kv, 'some-model', 'server').overrides.targetLatencyMs, 10);
  const offline = confSettings(kv, 'resnet50', 'offline');
  assert.is(offline.overrides.minSampleCount, 24_576); // Offline's min_query_count sizes its one query
  assert.is(offline.overrides.expectedSamplesPerSecond, 1);
  assert.is(offline.overrides.targetLatencyPercentile, undefined);
  // The overrides make valid settings.
  assert.is(resolveSettings('server', server.overrides).targetLatencyMs, 15);
});

test('user.conf after mlperf.conf wins; the workload applies the files over the unit settings and notes the seeds', () => {
  const user = join(dir, 'user.conf');
  writeFileSync(user, 'resnet50.Server.target_qps = 250\n*.Server.min_duration = 1000\n');
  const unit = { kind: 'scenario', model: 'tiny-resnet', scenario: 'server', settings: {} } as const;
  const settings = resolveDeclared(
    scenarioWorkload.settings,
    { mlperfConf: `${conf},${user}`, mlperfModel: 'resnet50', minDurationMs: 5 },
    'u',
  );
  const p = scenarioWorkload.resolve(unit as never, settings, { unitId: 'u', device: 'ort:cpu', seed: 7 });
  assert.is(p.loadgen.targetQps, 250);
  assert.is(p.loadgen.targetLatencyMs, 15);
  assert.is(p.loadgen.minDurationMs, 1000);
  assert.is(p.loadgen.seeds.schedule, 7);
  assert.match(p.confNotes.join(' '), /qsl_rng_seed, sample_index_rng_seed, schedule_rng_seed not applied/);
  const missing = resolveDeclared(scenarioWorkload.settings, { mlperfConf: join(dir, 'nope.conf') }, 'u');
  assert.throws(
    () => scenarioWorkload.resolve(unit as never, missing, { unitId: 'u', device: 'ort:cpu', seed: 7 }),
    /unit u: mlperfConf file .*nope\.conf does not exist/,
  );
});

test.run();
