// CLI conventions every command keeps: exit 70 for an internal error (1 only for a finished run that
// failed), a one-value option given twice refused, --seed for drawn values and --weight-seed for
// weights, and no --out folder left by a command refused on bad input.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../harness/cli.js';
import { commands } from '../../harness/commands/index.js';
import type { Command } from '../../harness/commands/types.js';
import { EXIT } from '../../harness/errors.js';
import { npuval } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-cli-consistency-'));

/** Runs the CLI in this process, returning its exit code and what it wrote to stderr. */
async function mainHere(...argv: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test('an internal error (a bug) exits 70, not 1, in one sentence; the stack only with --verbose', async () => {
  const boom: Command = {
    command: 'boom',
    describe: 'test-only: throws a plain Error',
    builder: (y) => y,
    handler: async () => {
      throw new TypeError('x is not a function');
    },
  };
  (commands as Command[]).push(boom);
  try {
    const r = await mainHere('boom');
    assert.is(r.code, 70);
    assert.is(EXIT.internal, 70);
    assert.is(r.stderr, 'npuval: internal error: x is not a function (run with --verbose for the stack trace)\n');
    const v = await mainHere('boom', '--verbose');
    assert.is(v.code, 70);
    assert.match(v.stderr, /TypeError: x is not a function\n\s+at /);
  } finally {
    (commands as Command[]).pop();
  }
});

test('a one-value option given twice exits 2 naming it; repeatable ones (--device of devices, bench, run) are arrays', () => {
  const r = npuval('serve', '--device', 'ort:cpu', '--device', 'tfjs:cpu', '--model', 'tiny-llama', '--out', join(dir, 'twice'));
  assert.is(r.status, 2, r.stderr);
  assert.is(r.stderr, 'npuval: --device was given 2 times; it takes one value\n');
  assert.not.ok(existsSync(join(dir, 'twice')));
  assert.match(
    npuval('compare', 'a.json', 'b.json', '--max-regression', '1', '--max-regression', '2').stderr,
    /--max-regression was given 2 times/,
  );
  const ok = npuval('devices', '--device', 'ort:cpu', '--device', 'tfjs:cpu', '--json');
  assert.is(ok.status, 0, ok.stderr);
  assert.equal(
    (JSON.parse(ok.stdout) as { devices: { id: string }[] }).devices.map((d) => d.id),
    ['ort:cpu', 'tfjs:cpu'],
  );
});

test("--seed seeds drawn values (default 1); weights take --weight-seed (default the zoo's); export refuses --seed", () => {
  const inputs = npuval('models', 'inputs', 'nosuch.onnx', '--help');
  assert.match(inputs.stdout, /--seed\s+inputs: seed of the input values \(default 1\)/);
  assert.match(inputs.stdout, /--weight-seed\s+export: seed of the dummy weights[^[]*\[number\] \[default: 0\]/);
  assert.match(npuval('serve', '--help').stdout, /--weight-seed\s+Seed of a zoo model's dummy weights[^[]*\[number\] \[default: 0\]/);
  const r = npuval('models', 'export', 'tiny-llama', '--out', join(dir, 'export', 'x.onnx'), '--seed', '5');
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /the weights' seed is --weight-seed/);
  assert.not.ok(existsSync(join(dir, 'export')));
});

test('a command refused on bad input leaves no --out folder', () => {
  const refused: [string, string[], number][] = [
    ['devices', ['devices', '--device', 'ort:nosuch'], 2],
    ['models inspect', ['models', 'inspect', join(dir, 'missing.onnx')], 2],
    ['models inputs', ['models', 'inputs', join(dir, 'missing.onnx')], 2],
    ['report render', ['report', 'render', join(dir, 'missing.json')], 2],
    ['compare', ['compare', join(dir, 'a.json'), join(dir, 'b.json')], 2],
    ['serve', ['serve', '--device', 'ort:cpu', '--model', 'tiny-bert'], 2],
    ['bench', ['bench', '--device', 'ort:cpu', '--model', 'nosuch-model'], 2],
  ];
  for (const [name, argv, code] of refused) {
    const out = join(dir, name.replace(' ', '-'));
    const r = npuval(...argv, '--out', out);
    assert.is(r.status, code, `${name}: ${r.stderr}`);
    assert.not.ok(existsSync(out), `${name} left ${out}`);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
