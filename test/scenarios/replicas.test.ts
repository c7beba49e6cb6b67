// Data-parallel Server and Offline over replicas (harness/scenarios/replicas.ts): two in-process
// ORT CPU sessions of tiny-bert share one schedule. No timing thresholds: the machine is noisy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOURNAL_FILE, readJournal } from '../../harness/journal.js';
import { runSuite } from '../../harness/run/orchestrate.js';
import type { Suite } from '../../harness/run/suite.js';
import type { ReplicaSummary } from '../../harness/scenarios/replicas.js';
import { assembleReport } from '../../reports/assemble.js';
import { validate } from '../../reports/validate.js';

const CPU = 'ort:cpu?intraOpThreads=1';
const dir = mkdtempSync(join(tmpdir(), 'npuval-replicas-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const quick = { replicas: [CPU], warmupMs: 50, replicaBaselineMs: 200, performanceSampleCount: 8 };

function suite(units: Suite['units']): Suite {
  return { name: 'replicas', devices: [CPU], units } as Suite;
}

const run = (s: Suite, out: string) =>
  runSuite({ suiteObject: s, suite: 'replicas', outDir: join(dir, out), argv: [], log: () => {}, signal: new AbortController().signal });

test('Offline and Server over two replicas: each query on one replica, counts add up, the report validates with scaling efficiency', async () => {
  const r = await run(
    suite([
      { kind: 'scenario', scenario: 'offline', model: 'tiny-bert', settings: { ...quick, minDurationMs: 300, minSampleCount: 32 } },
      {
        kind: 'scenario',
        scenario: 'server',
        model: 'tiny-bert',
        settings: { ...quick, minDurationMs: 300, minQueryCount: 40, targetQps: 150, targetLatencyMs: 1000 },
      },
    ]),
    'both',
  );
  const { records } = readJournal(join(r.outDir, JOURNAL_FILE));
  for (const scenario of ['offline', 'server']) {
    const unit = [...r.state.finished.values()].find((u) => u.id.startsWith(`scenario:${scenario}:`))!;
    assert.ok(unit, scenario);
    const result = unit.result as unknown as {
      replicas: ReplicaSummary;
      counts: { queries: number; samples: number };
      valid: boolean;
      validity: { reasons: string[] };
    };
    const x = result.replicas;
    assert.is(x.count, 2);
    assert.is(x.dispatch, 'least-outstanding');
    assert.equal(x.devices, [CPU, CPU]);
    assert.ok(x.baseline.samplesPerSecond! > 0);
    assert.is(typeof unit.metrics.scaling_efficiency_pct, 'number', scenario);
    assert.ok(unit.metrics.scaling_efficiency_pct! > 0);
    assert.is(
      x.perReplica.reduce((n, p) => n + p.samples, 0),
      result.counts.samples,
      scenario,
    );
    // Validity is the aggregate's, as LoadGen judges it.
    assert.is(result.valid, result.validity.reasons.length === 0);
    // The aggregate run's rows (not the single-replica pass's): every query on exactly one replica.
    const rows = records
      .filter((q) => q.type === 'bench.queries' && q.scenario === scenario && q.replicas === 2)
      .flatMap((q) => {
        assert.equal((q.fields as string[]).at(-1), 'replica');
        return q.rows as unknown[][];
      });
    assert.ok(rows.every((row) => row.at(-1) === 0 || row.at(-1) === 1));
    const perReplica = [0, 1].map((k) => rows.filter((row) => row.at(-1) === k).length);
    assert.equal(
      perReplica,
      x.perReplica.map((p) => p.queries),
    );
    assert.is(perReplica[0]! + perReplica[1]!, rows.length);
    if (scenario === 'server') {
      const ids = rows.map((row) => row[0] as number);
      assert.is(new Set(ids).size, ids.length, 'a query ran on one replica only');
      assert.is(ids.length, result.counts.queries);
      assert.ok(
        perReplica.every((n) => n > 0),
        'both replicas took queries',
      );
    } else {
      const samples = rows.flatMap((row) => row[4] as number[]);
      assert.is(samples.length, result.counts.samples);
    }
    // The single-replica pass ran first and was journaled as such.
    assert.ok(records.some((q) => q.type === 'bench.result' && q.scenario === 'offline' && q.pass === 'single-replica baseline'));
  }
  const report = assembleReport(r.state, { finishedAt: new Date().toISOString(), artifacts: [] });
  assert.equal(validate('run-report', report), []);
});

test('SingleStream with replicas is refused in one sentence (exit 2)', async () => {
  try {
    await run(suite([{ kind: 'scenario', scenario: 'single-stream', model: 'tiny-bert', settings: { replicas: [CPU] } }]), 'ss');
    assert.unreachable();
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    assert.is(e.exitCode, 2, e.message);
    assert.match(e.message, /setting "replicas" applies to the server and offline scenarios only: single-stream is one stream/);
    assert.not.match(e.message, /\n/);
  }
});

test.run();
