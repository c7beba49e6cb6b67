// One LLM load spread over several endpoints (npuval llm --device A --device B --balance …): two
// real `npuval serve` engines (tiny-llama on ort:cpu) on loopback, and a deliberately slow fixture
// endpoint. Round-robin splits 8 requests 4/4; least-outstanding sends fewer to the slow endpoint;
// the aggregate counts are the sums of the per-endpoint ones; report.json validates with the
// per-endpoint breakdown in the unit's result; an in-process device among several is refused (exit 2).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import { DEFAULT_LLM_SETTINGS, type EndpointShare, runLlm } from '../../harness/llm/run.js';
import { SessionPool } from '../../harness/llm/pool.js';
import { BatchEngine } from '../../harness/serve/engine.js';
import { openDecoder, type OpenedDecoder } from '../../harness/serve/open.js';
import { startLlmServer, type LlmServer } from '../../harness/serve/server.js';
import { npuval, npuvalAsync } from '../helpers/cli.js';
import { startSlowServer, type SlowServer } from './slow-server.js';

const model = 'tiny-llama';
const decoders: OpenedDecoder[] = [];
const servers: LlmServer[] = [];
let slow: SlowServer;
const spec = (url: string) => `endpoint:${url}?model=${model}`;

test.before(async () => {
  for (let i = 0; i < 2; i++) {
    const opened = await openDecoder(createDevice('ort:cpu'), model);
    decoders.push(opened);
    servers.push(
      await startLlmServer({ engine: new BatchEngine(opened.decoder, 4), modelName: model, vocabSize: opened.vocab, maxContext: 512 }),
    );
  }
  slow = await startSlowServer(model, 40);
});

test.after(async () => {
  for (const s of servers) await s.close();
  for (const d of decoders) await d.close();
  await slow.close();
});

const sumOf = (shares: readonly EndpointShare[], k: 'requests' | 'succeeded' | 'outputTokens') => shares.reduce((a, e) => a + e[k], 0);

test('the pool: round-robin in turn; least-outstanding picks the least busy, ties in turn', () => {
  const none = {} as never;
  const rr = new SessionPool(
    [
      { id: 'a', session: none },
      { id: 'b', session: none },
      { id: 'c', session: none },
    ],
    'round-robin',
  );
  assert.equal([rr.acquire(), rr.acquire(), rr.acquire(), rr.acquire()], [0, 1, 2, 0]);
  const lo = new SessionPool(
    [
      { id: 'a', session: none },
      { id: 'b', session: none },
    ],
    'least-outstanding',
  );
  assert.is(lo.acquire(), 0);
  assert.is(lo.acquire(), 1);
  assert.is(lo.acquire(), 0);
  lo.release(1);
  assert.is(lo.acquire(), 1); // b has none in flight, a has two
  assert.equal(lo.inFlight(), [2, 1]);
});

test('npuval llm --device A --device B: round-robin splits 8 requests 4/4; the report holds the breakdown and validates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-cluster-'));
  const child = npuvalAsync(
    'llm',
    '--device',
    spec(servers[0]!.url),
    '--device',
    spec(servers[1]!.url),
    '--balance',
    'round-robin',
    '--concurrency',
    '2',
    '--requests',
    '8',
    '--prompt-len',
    '8',
    '--gen-len',
    '8',
    '--no-http-overhead',
    '--out',
    dir,
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(code, 0, out);
  assert.match(out, /one load over 2 endpoints, round-robin/);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
    devices: { spec?: string; id?: string }[];
    units: {
      result: {
        cluster: { devices: string[]; balance: string };
        points: { summary: { requests: number; succeeded: number; outputTokens: number }; endpoints: EndpointShare[] }[];
      };
    }[];
  };
  const result = report.units[0]!.result;
  assert.equal(result.cluster, { devices: [spec(servers[0]!.url), spec(servers[1]!.url)], balance: 'round-robin' });
  const point = result.points[0]!;
  assert.equal(
    point.endpoints.map((e) => [e.device, e.requests, e.succeeded]),
    [
      [spec(servers[0]!.url), 4, 4],
      [spec(servers[1]!.url), 4, 4],
    ],
  );
  assert.is(sumOf(point.endpoints, 'requests'), point.summary.requests);
  assert.is(sumOf(point.endpoints, 'succeeded'), point.summary.succeeded);
  assert.is(sumOf(point.endpoints, 'outputTokens'), point.summary.outputTokens);
  for (const e of point.endpoints) assert.ok(e.ttftP50Ms !== null && e.tpotP99Ms !== null && e.outputTokensPerS! > 0, JSON.stringify(e));
  const v = npuval('report', 'validate', join(dir, 'report.json'));
  assert.is(v.status, 0, v.stdout + v.stderr);
});

test('least-outstanding sends more requests to the fast endpoint than to the slow one; counts add up', async () => {
  const report = await runLlm({
    ...DEFAULT_LLM_SETTINGS,
    device: spec(servers[0]!.url),
    endpoints: [spec(slow.url)],
    balance: 'least-outstanding',
    concurrency: 4,
    requests: 16,
    warmup: 0,
    promptLen: 8,
    genLen: 8,
    httpOverhead: false,
  });
  const p = report.points[0]!;
  const [fast, slowShare] = p.endpoints!;
  assert.is(p.summary.succeeded, 16, JSON.stringify(p.summary.errors));
  assert.is(fast!.requests + slowShare!.requests, 16);
  assert.is(sumOf(p.endpoints!, 'outputTokens'), p.summary.outputTokens);
  assert.ok(fast!.requests > slowShare!.requests, `fast ${fast!.requests}, slow ${slowShare!.requests}`);
  assert.is(slow.received, slowShare!.requests);
});

test('an in-process device among several is refused in one sentence (exit 2)', async () => {
  const child = npuvalAsync('llm', '--device', 'ort:cpu', '--device', spec(servers[0]!.url), '--model', model, '--requests', '1');
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(code, 2, err);
  assert.match(err, /only when each serves its own model.*ort:cpu/);
});

test.run();
