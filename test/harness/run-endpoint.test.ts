// `npuval run` against a serving endpoint (a real `npuval serve` on loopback): the llm unit runs
// through the OpenAI-compatible client; units that need tensors are skipped with the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSuite } from '../../harness/run/orchestrate.js';
import { writeReports } from '../../harness/run/outputs.js';
import { validate } from '../../reports/validate.js';
import { npuvalAsync } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-run-endpoint-'));
const server = npuvalAsync('serve', '--device', 'ort:cpu', '--model', 'tiny-llama', '--port', '0', '--json', '--out', join(dir, 'serve'));
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
  });
  server.on('exit', (code) => reject(new Error(`npuval serve exited ${code}`)));
});

test.after(async () => {
  const exited = new Promise((resolve) => server.on('exit', resolve));
  server.kill('SIGINT');
  await exited;
});

test('llm units run on the endpoint; tensor units are skipped with the reason', async () => {
  const suitePath = join(dir, 'suite.json');
  writeFileSync(
    suitePath,
    JSON.stringify({
      name: 'endpoint',
      units: [
        { kind: 'llm', settings: { requests: 4, promptLen: 8, genLen: 4, warmup: 1, concurrency: 2 } },
        { kind: 'scenario', scenario: 'single-stream', model: 'tiny-bert' },
      ],
    }),
  );
  const device = `endpoint:${url}?model=tiny-llama`;
  const result = await runSuite({
    suite: suitePath,
    devices: [device],
    outDir: join(dir, 'out'),
    argv: [],
    log: () => {},
    signal: new AbortController().signal,
  });
  const { report } = await writeReports(result.outDir, result.state, result.inputs);
  assert.equal(validate('run-report', report), []);
  const [llm, scenario] = report.units;
  assert.is(llm!.kind, 'llm');
  assert.is(llm!.status, 'pass', llm!.error?.message);
  assert.ok((llm!.metrics.output_tokens_per_second ?? 0) > 0);
  assert.is(scenario!.status, 'skipped');
  assert.match(scenario!.notes[0]!, /serving endpoint/);
  assert.is(report.models.length, 0, 'an endpoint holds its own model; nothing was built or hashed here');
});

test.run();
