// Interruption, end to end with the real CLI in a child process: SIGINT and SIGTERM while `npuval llm`
// waits on an endpoint that never answers (the HTTP-overhead phase, --timeout 120) stop it long before
// the request timeout, cancel the request in flight, and leave partial reports marked incomplete with
// the resume command; a signal at a seeded random point of a short suite, then --resume, keeps every
// unit that finished before it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readJournal } from '../../harness/journal.js';
import { seededRng } from '../../harness/random.js';
import type { RunReport, UnitRecord } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { npuval, npuvalAsync } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-signals-'));
/** The request timeout the runs are given; every run must end well before it. */
const REQUEST_TIMEOUT_S = 120;
/** A generous bound: far above the few seconds an interruption takes, far below the request timeout. */
const EXIT_BOUND_MS = 60_000;

/**
 * An OpenAI-style endpoint whose model list and streamed generations answer and whose unstreamed
 * generations never do: the overhead phase streams a request, then waits on an unstreamed one.
 */
async function stallingEndpoint(): Promise<{
  url: string;
  server: Server;
  /** Resolves when the first unstreamed request arrives (and stalls). */
  firstPost: Promise<void>;
  /** Resolves when that request's connection is closed by the client. */
  firstClosed: Promise<void>;
}> {
  let arrived!: () => void;
  let closed!: () => void;
  const firstPost = new Promise<void>((r) => (arrived = r));
  const firstClosed = new Promise<void>((r) => (closed = r));
  const server = createServer((req: IncomingMessage, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'm' }] }));
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const request = JSON.parse(body) as { stream?: boolean; max_tokens?: number };
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (let i = 0; i < (request.max_tokens ?? 1); i++)
          res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: ' a' }] })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      req.socket.once('close', closed);
      arrived();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server, firstPost, firstClosed };
}

const journalOf = (out: string) => readJournal(join(out, 'journal.jsonl')).records;
const reportOf = (out: string) => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`npuval llm: ${signal} while a request stalls in the HTTP-overhead phase exits ${code} at once, cancels the request, and leaves an incomplete report with the resume command`, async () => {
    const endpoint = await stallingEndpoint();
    const out = join(dir, `llm-${signal}`);
    const child = npuvalAsync(
      'llm',
      '--device',
      `endpoint:${endpoint.url}?model=m`,
      '--requests',
      '4',
      '--gen-len',
      '4',
      '--timeout',
      String(REQUEST_TIMEOUT_S),
      '--out',
      out,
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const events: string[] = [];
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (c) => {
        events.push('exit');
        resolve(c);
      }),
    );
    // Cancelled by the abort, the request closes before the reports are written; abandoned, only when the process ends.
    void endpoint.firstClosed.then(() =>
      events.push(stderr.includes('Resume with') ? 'request closed after the reports' : 'request closed'),
    );
    await endpoint.firstPost;
    const sentAt = Date.now();
    child.kill(signal);
    const bound = new Promise<'still running'>((r) => setTimeout(() => r('still running'), EXIT_BOUND_MS).unref());
    const result = await Promise.race([exited, bound]);
    if (result === 'still running') child.kill('SIGKILL');
    endpoint.server.closeAllConnections();
    endpoint.server.close();
    assert.is(result, code, stderr);
    assert.ok(Date.now() - sentAt < REQUEST_TIMEOUT_S * 1000);
    // The run's abort reached the HTTP request: its connection closed before the reports were written.
    assert.is(events[0], 'request closed', `${events.join(', ')}\n${stderr}`);
    assert.match(stderr, new RegExp(`interrupted \\(${signal}\\)`));
    assert.ok(stderr.includes(`Resume with: npuval run --resume ${out}`), stderr);
    const report = reportOf(out);
    assert.equal(validate('run-report', report), []);
    assert.is(report.complete, false);
    assert.equal(
      report.sessions.map((s) => s.outcome),
      ['interrupted'],
    );
    assert.ok(report.notes.some((n) => /did not finish/.test(n)));
    const stop = journalOf(out).find((r) => r.type === 'run-interrupted');
    assert.is(stop?.signal, signal, 'the journal names the signal');
    for (const f of ['report.md', 'junit.xml', 'results.csv']) assert.ok(existsSync(join(out, f)), f);
  });
}

test('a signal at a seeded random point of a short suite, then --resume: the units finished before it are kept, the rest run once', async () => {
  const rng = seededRng(20261201);
  const units = 4;
  const suite = join(dir, 'short.json');
  writeFileSync(
    suite,
    JSON.stringify({
      name: 'short',
      seed: 1,
      devices: ['ort:cpu'],
      units: Array.from({ length: units }, (_, i) => ({ kind: 'micro', id: `probe-${i + 1}`, settings: { iterations: 300 } })),
    }),
  );
  const out = join(dir, 'short');
  // Where: as unit k starts (seeded), after a seeded pause of up to 300 ms; which: SIGINT or SIGTERM.
  const k = 1 + rng.int(units);
  const pauseMs = rng.int(300);
  const [signal, code] = rng.int(2) ? (['SIGTERM', 143] as const) : (['SIGINT', 130] as const);
  const child = npuvalAsync('run', '--suite', suite, '--out', out);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let sent = false;
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && stderr.includes(`[${k}/${units}]`)) {
      sent = true;
      setTimeout(() => child.kill(signal), pauseMs);
    }
  });
  const exitCode = await exited;
  assert.ok(sent, stderr);
  // The suite may have finished within the pause: then there is nothing to resume.
  if (exitCode !== code) {
    assert.is(exitCode, 0, stderr);
    assert.is(reportOf(out).complete, true);
    return;
  }
  const before = journalOf(out)
    .filter((r) => r.type === 'unit-end')
    .map((r) => r.unit as UnitRecord);
  assert.ok(before.length < units, 'the signal came before the last unit finished');
  assert.is(reportOf(out).complete, false);
  assert.ok(stderr.includes(`Resume with: npuval run --resume ${out}`), stderr);

  const resumed = npuval('run', '--resume', out);
  assert.is(resumed.status, 0, resumed.stderr);
  const report = reportOf(out);
  assert.equal(validate('run-report', report), []);
  assert.is(report.complete, true);
  assert.equal(
    report.sessions.map((s) => s.outcome),
    ['interrupted', 'completed'],
  );
  assert.is(report.units.length, units);
  for (const u of before) {
    const kept = report.units.find((r) => r.id === u.id)!;
    assert.equal([kept.finishedAt, kept.attempts, kept.metrics], [u.finishedAt, 1, u.metrics], `${u.id} was kept, not run again`);
  }
  const ends = journalOf(out).filter((r) => r.type === 'unit-end');
  assert.is(ends.length, units, 'every unit finished exactly once');
});

test.run();
