// npuval adapter-check on real processes: the reference adapter passes every check (a 256 MiB tensor
// through the pipes included); each test adapter that breaks the protocol in one way fails the row
// that checks it and passes the others asked for; exit codes 0, 1 and 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../devices/proc/index.js';
import { type CheckName, CHECKS, checkAdapter } from '../../harness/adapter-check/index.js';
import { faulty, npuval, REFERENCE, root } from './helpers.js';

process.chdir(root);

test('the reference adapter passes every check, a 256 MiB tensor there and back included (exit 0, --json)', () => {
  const r = npuval('adapter-check', REFERENCE, '--json', '--timeout', '3');
  assert.is(r.status, 0, r.stderr + r.stdout);
  const report = JSON.parse(r.stdout) as {
    rows: { check: string; status: string; detail: string }[];
    failed: number;
    adapter: { name: string; protocol: number };
  };
  assert.equal(
    report.rows.map((row) => row.check),
    [...CHECKS],
  );
  for (const row of report.rows) assert.is(row.status, 'pass', `${row.check}: ${row.detail}`);
  assert.equal(report.adapter.name, 'npuval-ort-node');
  const large = report.rows.find((row) => row.check === 'large-tensor')!;
  assert.match(large.detail, /^256 MiB float32 there and back in [\d.]+ s/);
  assert.match(report.rows.find((row) => row.check === 'dtypes')!.detail, /all 13 claimed types round-trip bit for bit/);
});

test('a broken hello fails the handshake and skips the rest; the table names it (exit 1)', () => {
  const r = npuval('adapter-check', faulty('bad-handshake'), '--timeout', '2', '--check', 'handshake', 'ping');
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /handshake\s+FAIL\s+[\d.]+ s\s+capabilities is missing or not an object/);
  assert.match(r.stdout, /ping\s+skip\s+[\d.]+ s\s+the handshake failed/);
  assert.match(r.stdout, /the adapter: 1 passed, 1 failed, 1 skipped/);
});

test('a spec that is not a proc: command is bad input (exit 2)', () => {
  for (const spec of ['ort:cpu', `proc:node "unterminated`]) {
    const r = npuval('adapter-check', spec);
    assert.is(r.status, 2, `${spec}: ${r.stderr}`);
  }
  assert.is(npuval('adapter-check', REFERENCE, '--check', 'no-such-check').status, 2);
});

/** Each fault fails exactly the rows named, among the checks asked for. */
const FAULTS: [string, CheckName[], Partial<Record<CheckName, RegExp>>][] = [
  [
    'wrong-version',
    ['version-negotiation', 'ping'],
    { 'version-negotiation': /answered with a "ok" frame, not error "unsupported-version"/ },
  ],
  ['garbage', ['run', 'shutdown'], { run: /the adapter wrote bytes that are not a frame: "vendor-sdk 3\.1 initialised on card 0/ }],
  ['crash', ['ping', 'run'], { run: /the adapter exited with status 3/ }],
  ['hang', ['ping', 'run'], { run: /no frame within 2\.5 s/ }],
  [
    'unclosed-shutdown',
    ['ping', 'shutdown', 'stdin-eof'],
    {
      shutdown: /bye was answered, but the process had not exited 2\.5 s later/,
      'stdin-eof': /stdin closed, but the process had not exited/,
    },
  ],
  [
    'dies-on-malformed',
    ['run', 'malformed-frames'],
    { 'malformed-frames': /after a header that is not JSON: the adapter exited with status 1/ },
  ],
];

/** Checks one fault's adapter; the rows it must fail are failing's keys, every other row asked for passes. */
async function checkFault(fault: string, checks: CheckName[], failing: Partial<Record<CheckName, RegExp>>): Promise<void> {
  const report = await checkAdapter({ spec: faulty(fault), timeoutMs: 2500, largeBytes: 1 << 20, only: checks });
  const byName = new Map(report.rows.map((r) => [r.check, r]));
  for (const name of ['start', 'handshake', ...checks] as CheckName[]) {
    const row = byName.get(name);
    assert.ok(row, `${fault}: ${name} ran`);
    const want = failing[name];
    assert.is(row!.status, want ? 'fail' : 'pass', `${fault}, ${name}: ${row!.detail}`);
    if (want) assert.match(row!.detail, want);
  }
  assert.is(report.failed, Object.keys(failing).length, fault);
}

// Three at a time: most of their time is waiting for what the faults withhold.
for (let i = 0; i < FAULTS.length; i += 3) {
  const group = FAULTS.slice(i, i + 3);
  test(`test adapters that break the protocol (${group.map(([f]) => f).join(', ')}) fail the rows that check it and pass the rest`, async () => {
    await Promise.all(group.map(([fault, checks, failing]) => checkFault(fault, checks, failing)));
  });
}

test.run();
