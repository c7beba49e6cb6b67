// Finds test cases in ONNX backend-test layout under any directories: every folder holding a
// model.onnx is a case (its sub-folders are not searched further); test_data_set_N folders hold
// input_K.pb / output_K.pb. Works for Debian's libonnx-testdata (node/, simple/,
// pytorch-converted/, pytorch-operator/) and for any newer ONNX release's data in the same layout.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { DataSet, TestCase } from './types.js';

/** Where Debian's `libonnx-testdata` installs the ONNX 1.12 backend test data. */
export const DEBIAN_ONNX_TESTDATA = '/usr/share/libonnx-testdata/data';

const DATA_SET = /^test_data_set_(\d+)$/;
const TENSOR_FILE = /^(input|output)_(\d+)\.pb$/;

/**
 * Every case under `roots`, sorted by id. A root that does not exist is bad input (exit 2).
 * Ids are `<parent folder>/<case folder>` (e.g. `node/test_abs`) so they read the same whichever
 * level the root names; a clash between roots gets `~2`, `~3` appended.
 */
export function discoverCases(roots: readonly string[]): TestCase[] {
  const found: TestCase[] = [];
  const seen = new Map<string, number>();
  for (const root of roots) {
    const abs = resolve(root);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      throw new InputError(`--onnx-tests ${root} is not a directory`);
    }
    for (const dir of caseDirs(abs)) {
      let id = `${basename(dirname(dir))}/${basename(dir)}`;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      if (n > 1) id = `${id}~${n}`;
      found.push(readCase(id, dir));
    }
  }
  return found.sort((a, b) => naturalCompare(a.id, b.id));
}

function caseDirs(dir: string): string[] {
  if (existsSync(join(dir, 'model.onnx'))) return [dir];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Follow symlinked folders too: test data is often linked in from elsewhere.
    const path = join(dir, entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isDirectory())) {
      out.push(...caseDirs(path));
    }
  }
  return out;
}

/** Reads one case folder's data-set layout; never throws for odd contents (they make the case incomplete). */
export function readCase(id: string, dir: string): TestCase {
  const suite = basename(dirname(dir));
  const sets: { n: number; set: DataSet }[] = [];
  const problems: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const m = DATA_SET.exec(entry.name);
    if (!m || !entry.isDirectory()) continue;
    const setDir = join(dir, entry.name);
    const inputs: { k: number; path: string }[] = [];
    const outputs: { k: number; path: string }[] = [];
    for (const file of readdirSync(setDir)) {
      const f = TENSOR_FILE.exec(file);
      if (!f) continue;
      (f[1] === 'input' ? inputs : outputs).push({ k: Number(f[2]), path: join(setDir, file) });
    }
    inputs.sort((a, b) => a.k - b.k);
    outputs.sort((a, b) => a.k - b.k);
    const gap = (list: { k: number }[], what: string) => {
      const bad = list.findIndex((x, i) => x.k !== i);
      if (bad >= 0) problems.push(`${entry.name} has ${what}_${list[bad]!.k}.pb but no ${what}_${bad}.pb`);
    };
    gap(inputs, 'input');
    gap(outputs, 'output');
    if (outputs.length === 0) problems.push(`${entry.name} has no output_K.pb`);
    sets.push({ n: Number(m[1]), set: { name: entry.name, inputs: inputs.map((x) => x.path), outputs: outputs.map((x) => x.path) } });
  }
  sets.sort((a, b) => a.n - b.n);
  if (sets.length === 0) problems.push('no test_data_set_N folder');
  return { id, suite, dir, dataSets: sets.map((s) => s.set), incomplete: problems.length ? problems.join('; ') : null };
}

/** Orders `test_x_2` before `test_x_10`. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
