import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { npuval } from '../helpers/cli.js';

test('devices --json lists ort:cpu available and cuda unavailable with a reason', () => {
  const r = npuval('devices', '--json');
  assert.is(r.status, 0, r.stderr);
  const { devices } = JSON.parse(r.stdout) as { devices: { id: string; available: boolean; reason: string | null }[] };
  assert.ok(devices.find((d) => d.id === 'ort:cpu')?.available);
  const cuda = devices.find((d) => d.id === 'ort:cuda');
  assert.is(cuda?.available, false);
  assert.ok((cuda?.reason ?? '').length > 0);
});

test('an unknown device exits 2 with one line that lists what is available', () => {
  const r = npuval('devices', '--device', 'ort:nosuch');
  assert.is(r.status, 2);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('npuval:'));
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /available here: .*ort:cpu/);
  assert.not.match(r.stderr, /\s+at .*\.js:\d+/);
});

test('a malformed spec and an unknown command exit 2', () => {
  assert.is(npuval('devices', '--device', 'ort:cpu:x').status, 2);
  assert.is(npuval('nosuchcommand').status, 2);
});

test('an unknown option exits 2 before the command runs: nothing on stdout, no output dir', () => {
  const out = `${tmpdir()}/npuval-cli-unknown-${process.pid}`;
  const r = npuval('devices', '--device', 'ort:cpu', '--bogus', '--out', out);
  assert.is(r.status, 2, r.stderr);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /Unknown argument: bogus/);
  assert.not.ok(existsSync(out), 'the handler ran and wrote its output');
});

test('a bad option value in a spec lists the available devices; devices --out keeps devices.json', () => {
  const r = npuval('devices', '--device', 'ort:cpu?intraOpThreads=abc');
  assert.is(r.status, 2);
  assert.match(r.stderr, /intraOpThreads=abc.*available here: .*ort:cpu/);
  const out = mkdtempSync(`${tmpdir()}/npuval-cli-`);
  const ok = npuval('devices', '--device', 'ort:cpu', '--json', '--out', out);
  assert.is(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(readFileSync(`${out}/devices.json`, 'utf8')), JSON.parse(ok.stdout));
});

test('--help explains the commands and exit codes', () => {
  const r = npuval('--help');
  assert.is(r.status, 0);
  assert.match(r.stdout, /devices/);
  assert.match(r.stdout, /Exit codes/);
});

test.run();
