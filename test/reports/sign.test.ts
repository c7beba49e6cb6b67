import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../reports/digest.js';
import { generateSigningKey, signDocument, verifyDocument } from '../../reports/sign.js';
import { npuval } from '../helpers/cli.js';
import { makeReport } from './fixture.js';

const { dir, reportPath } = await makeReport();
const bytes = readFileSync(reportPath);
const key = generateSigningKey();
const sig = signDocument(bytes, key.privateKeyPem);

test('canonical JSON follows RFC 8785 (sorted keys, no whitespace, shortest numbers)', () => {
  assert.is(canonicalJson({ b: 1, a: [1e21, 0.1, 'é'], c: { z: null, y: true } }), '{"a":[1e+21,0.1,"é"],"b":1,"c":{"y":true,"z":null}}');
});

test('a signed report verifies, also against the trusted public key', () => {
  const r = verifyDocument(bytes, sig, key.publicKeyPem);
  assert.ok(r.ok, r.problems.join('; '));
});

test('changing any one byte makes verification fail', () => {
  // Positions spread over the file, including whitespace (same canonical JSON) and digits.
  const positions = [0, 1, 2, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 2, bytes.length - 1];
  const ws = bytes.indexOf(0x20);
  positions.push(ws);
  for (const pos of positions) {
    const changed = Buffer.from(bytes);
    changed[pos] = changed[pos] === 0x20 ? 0x09 : changed[pos]! ^ 0x01;
    const r = verifyDocument(changed, sig);
    assert.not.ok(r.ok, `byte ${pos} changed but verification passed`);
  }
});

test('another key is refused when a trusted key is given; a forged signature fails', () => {
  const other = generateSigningKey();
  assert.not.ok(verifyDocument(bytes, sig, other.publicKeyPem).ok);
  const forged = signDocument(bytes, other.privateKeyPem);
  assert.not.ok(verifyDocument(bytes, { ...forged, publicKey: sig.publicKey }).ok);
});

test('npuval report keygen, sign, verify; verify exits 1 after one byte changes', () => {
  const keys = join(dir, 'keys');
  assert.is(npuval('report', 'keygen', '--out', keys).status, 0);
  const signed = npuval('report', 'sign', reportPath, '--key', join(keys, 'npuval-signing.key'));
  assert.is(signed.status, 0, signed.stderr);
  const ok = npuval('report', 'verify', reportPath, '--public-key', join(keys, 'npuval-signing.pub'));
  assert.is(ok.status, 0, ok.stdout + ok.stderr);
  const text = readFileSync(reportPath, 'utf8');
  const tampered = join(dir, 'tampered.json');
  const at = text.indexOf('"samples_per_second": ') + '"samples_per_second": '.length;
  writeFileSync(tampered, text.slice(0, at) + (text[at] === '9' ? '8' : '9') + text.slice(at + 1));
  writeFileSync(tampered + '.sig', readFileSync(reportPath + '.sig'));
  const bad = npuval('report', 'verify', tampered, '--public-key', join(keys, 'npuval-signing.pub'));
  assert.is(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /FAILED/);
});

test.run();
