import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDeviceSpec } from '../../devices/spec.js';
import { createDevice } from '../../devices/registry.js';

test('ort specs parse EP, index and options, and normalise option order', () => {
  const s = parseDeviceSpec('ort:CUDA:1?b=2&a=x%20y');
  assert.is(s.kind, 'ort');
  assert.is(s.target, 'cuda');
  assert.is(s.index, 1);
  assert.equal(s.options, { a: 'x y', b: '2' });
  assert.is(s.id, 'ort:cuda:1?a=x%20y&b=2');
});

test('endpoint specs keep the URL and take query parameters as options', () => {
  const s = parseDeviceSpec('endpoint:http://127.0.0.1:8000/v1/?model=llama');
  assert.is(s.target, 'http://127.0.0.1:8000/v1');
  assert.equal(s.options, { model: 'llama' });
});

test('malformed specs are rejected with a sentence naming the spec', () => {
  for (const bad of ['cpu', 'ort:', 'ort:cpu:x', 'ort:cpu?threads', 'nosuch:cpu', 'endpoint:not a url', 'endpoint:ftp://x', 'proc:']) {
    assert.throws(() => parseDeviceSpec(bad), (e: Error & { exitCode?: number }) => e.exitCode === 2 && e.message.includes(`"${bad}"`), bad);
  }
});

test('unknown EPs and bad options are bad input (exit 2), listing what is available', () => {
  assert.throws(() => createDevice('ort:nosuch', ['ort:cpu']), (e: Error & { exitCode?: number }) =>
    e.exitCode === 2 && /not an ONNX Runtime execution provider; available here: ort:cpu/.test(e.message));
  assert.throws(() => createDevice('ort:cpu?graphOptimizationLevel=max'), (e: Error & { exitCode?: number }) => e.exitCode === 2);
  assert.throws(() => createDevice('ort:cpu?intraOpThreads=-1'), (e: Error & { exitCode?: number }) => e.exitCode === 2);
});

test.run();
