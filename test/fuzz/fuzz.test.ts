// The short fuzzing run of `npm test` (300 seeded inputs per reader) and the replay of every input
// a fuzzing run ever found crashing (test/fixtures/fuzz/<target>/): each must now be read or refused
// with the reader's own input error. The long run is `npm run fuzz` (test/fuzz/long.ts).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { campaign, runOne, seedsOf, type CampaignResult } from './engine.js';
import { TARGETS as FAULTY } from './faulty-targets.js';
import { TARGETS } from './targets.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/fuzz/', import.meta.url));
const SHORT_RUN = 300;

const findings = (r: CampaignResult) => [...r.crashes, ...r.hangs].map((f) => `${f.kind} at input ${f.i}: ${f.message}`);

test('the engine reports a crash and a hang in readers that have them, and goes on after the hang', async () => {
  const module = new URL('./faulty-targets.js', import.meta.url);
  const crashing = await campaign(FAULTY[0]!, { seed: 3, count: 200 }, { module });
  assert.ok(crashing.crashes.length > 0, 'a TypeError on a zero byte is a crash');
  assert.ok(crashing.crashes.every((c) => c.message.startsWith('TypeError') && c.input.includes(0)));
  assert.ok(crashing.rejected > 0, 'the documented RangeError is a rejection, not a crash');
  const hanging = await campaign(FAULTY[1]!, { seed: 3, count: 12 }, { module, hangMs: 300 });
  assert.ok(hanging.hangs.length > 0, 'an input that never returns is a hang');
  assert.ok(hanging.hangs.every((h) => h.input.length < 8));
  assert.is(hanging.ok + hanging.hangs.length, 12, 'every input after a hang still ran');
});

for (const target of TARGETS) {
  test(`${target.name}: every seed input reads without error`, async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'npuval-fuzz-seed-'));
    try {
      const seeds = seedsOf(target);
      assert.ok(seeds.length > 0);
      for (const [i, s] of seeds.entries()) assert.equal(await runOne(target, s, scratch), { kind: 'ok' }, `seed ${i}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test(`${target.name}: ${SHORT_RUN} mutated inputs, no crash and no hang`, async () => {
    const r = await campaign(target, { seed: 20261201, count: SHORT_RUN });
    assert.equal(findings(r), []);
    assert.ok(r.rejected > 0, 'mutations reach the reader’s input errors');
  });

  test(`${target.name}: the inputs that once crashed it are read or refused`, async () => {
    const dir = join(FIXTURES, target.name);
    const files = (() => {
      try {
        return readdirSync(dir).map((f) => join(dir, f));
      } catch {
        return [];
      }
    })();
    if (!files.length) return;
    const r = await campaign(target, { files });
    assert.equal(findings(r), []);
    assert.is(r.inputs, files.length);
  });
}

test.run();
