// An endpoint that misbehaves part-way through a run, each way a pre-release server does: a 5xx, a
// reset connection, a garbled SSE stream, an endless stream, a stall. The real CLI runs `npuval llm`
// against a loopback server that answers its first requests properly and then fails one way; the
// report must say what failed (each failed request's cause) and keep the requests finished before.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validate } from '../../reports/validate.js';
import '../../harness/workloads/index.js';
import { npuvalAsync } from '../helpers/cli.js';

type Fault = '5xx' | 'reset' | 'garbled' | 'endless' | 'stall';
/** The cause each fault must be recorded with. */
const CAUSE: Record<Fault, RegExp> = {
  '5xx': /^HTTP 503 from .*: engine overloaded$/,
  reset: /failed: (ECONNRESET|socket hang up)/,
  garbled: /stream sent data that is not JSON/,
  endless: /^timed out after 2000 ms$/,
  stall: /^timed out after 2000 ms$/,
};
/** Requests answered properly before the fault: the warm-up request and two measured ones. */
const GOOD = 3;
const tmp = mkdtempSync(join(tmpdir(), 'npuval-endpoint-faults-'));

const chunk = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const token = (t: string) => chunk({ id: 'c', object: 'text_completion', choices: [{ index: 0, text: t, finish_reason: null }] });

function faultyServer(fault: Fault): Promise<{ url: string; server: Server }> {
  let completions = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model', owned_by: 'test' }] }));
      return;
    }
    req.resume();
    completions += 1;
    if (completions > GOOD && fault === '5xx') {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'engine overloaded', type: 'server_error', code: 'overloaded' } }));
      return;
    }
    if (completions > GOOD && fault === 'reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (completions > GOOD && fault === 'stall') return; // headers, then nothing
    if (completions > GOOD && fault === 'garbled') {
      res.end('data: {"choices": [{"text": \u0000\n\n');
      return;
    }
    if (completions > GOOD && fault === 'endless') {
      const timer = setInterval(() => res.write(token(' x')), 5);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(token(' a') + token(' b') + token(' c') + token(' d') + 'data: [DONE]\n\n');
  });
  return new Promise((ready) =>
    server.listen(0, '127.0.0.1', () => ready({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server })),
  );
}

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = npuvalAsync(...args);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((done) => child.on('close', (code) => done({ code, stderr })));
}

interface Point {
  summary: { requests: number; succeeded: number; failed: number; errors: Record<string, number> };
}

for (const fault of ['5xx', 'reset', 'garbled', 'endless', 'stall'] as const) {
  test(`${fault} after ${GOOD} good responses: the run finishes, the report names the failures and keeps the good requests`, async () => {
    const { url, server } = await faultyServer(fault);
    const out = join(tmp, fault);
    try {
      const r = await run([
        'llm',
        '--device',
        `endpoint:${url}?model=m`,
        '--requests',
        '4',
        '--concurrency',
        '1',
        '--gen-len',
        '4',
        '--no-http-overhead',
        '--timeout',
        '2',
        '--out',
        out,
      ]);
      assert.not.match(r.stderr, /internal error|\n\s+at /, r.stderr);
      assert.is(r.code, 1, `a run with failed requests exits 1\n${r.stderr}`);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { units: { result: { points: Point[] } }[] };
      assert.equal(validate('run-report', report), []);
      const { summary } = report.units[0]!.result.points[0]!;
      assert.equal([summary.requests, summary.succeeded, summary.failed], [4, GOOD - 1, 4 - (GOOD - 1)], JSON.stringify(summary));
      const causes = Object.keys(summary.errors);
      assert.ok(
        causes.length > 0 && causes.every((c) => CAUSE[fault].test(c)),
        `each failure has its cause: ${JSON.stringify(summary.errors)}`,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
}

test.run();
