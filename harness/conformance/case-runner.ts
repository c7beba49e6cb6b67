// Runs one test case on one device in this process: load the model, feed every data set by graph
// input order, compare every output, release. Never throws: every outcome becomes a CaseResult.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device, DeviceKind, Feeds, OpenOptions, Session, Value } from '../../devices/types.js';
import { ONNX_DTYPE_NAME, readValueFile, type ValueKind as FileKind } from '../../models/onnx/tensor.js';
import { classifyError, oneLine } from './classify.js';
import { compareValue } from './compare.js';
import { INT4_TYPES, readModelInfo, type DeclaredValue, type ModelInfo } from './model-info.js';
import type { ToleranceResolver } from './tolerances.js';
import type { CaseResult, Cause, CaseStatus, Mismatch, TestCase } from './types.js';

export interface CaseContext {
  readonly device: Device;
  readonly deviceKind: DeviceKind;
  readonly openOptions: OpenOptions;
  readonly tolerances: ToleranceResolver;
}

interface Partial {
  status: CaseStatus;
  cause: Cause | null;
  reason: string | null;
  mismatch?: Mismatch | null;
}

/** Runs one case; resolves with its result (never rejects). */
export async function runCase(tc: TestCase, ctx: CaseContext): Promise<CaseResult> {
  const t0 = performance.now();
  let info: ModelInfo | null = null;
  let bytes: Uint8Array | null = null;
  let outcome: Partial;
  try {
    bytes = readFileSync(join(tc.dir, 'model.onnx'));
    info = readModelInfo(bytes, `${tc.id}/model.onnx`);
  } catch (err) {
    outcome = { status: 'error', cause: 'data', reason: oneLine((err as Error).message) };
  }
  if (info && bytes) outcome = await runLoaded(tc, info, bytes, ctx);
  return {
    id: tc.id,
    suite: tc.suite,
    status: outcome!.status,
    cause: outcome!.cause,
    reason: outcome!.reason,
    ops: info?.nodeOps ?? [],
    nodeOps: info?.nodeOps ?? [],
    opset: info?.opset ?? null,
    irVersion: info?.irVersion ?? null,
    dataSets: tc.dataSets.length,
    mismatch: outcome!.mismatch ?? null,
    ms: round(performance.now() - t0),
  };
}

async function runLoaded(tc: TestCase, info: ModelInfo, bytes: Uint8Array, ctx: CaseContext): Promise<Partial> {
  if (tc.incomplete) return { status: 'skipped', cause: 'incomplete-data', reason: tc.incomplete };

  let session: Session;
  try {
    session = await ctx.device.open(info.externalData ? { path: join(tc.dir, 'model.onnx') } : { bytes }, ctx.openOptions);
  } catch (err) {
    return { ...classifyError(err, 'load', info.opset) };
  }
  try {
    // The runtime loaded the model (its verdict comes first); now what the JavaScript binding cannot carry.
    const binding = ctx.deviceKind === 'ort' ? bindingLimit(info) : null;
    if (binding) return { status: 'unsupported', cause: 'binding', reason: binding };
    const tolFor = ctx.tolerances.forCase(tc.id);
    for (const set of tc.dataSets) {
      let feeds: Feeds, expected: Value[];
      try {
        const plan = feedPlan(info, set.inputs.length);
        if (typeof plan === 'string') return { status: 'skipped', cause: 'incomplete-data', reason: `${set.name}: ${plan}` };
        if (set.outputs.length !== info.outputs.length) {
          return {
            status: 'skipped',
            cause: 'incomplete-data',
            reason: `${set.name} has ${set.outputs.length} output files but the graph declares ${info.outputs.length} outputs`,
          };
        }
        feeds = {};
        for (const [k, input] of plan.entries()) feeds[input.name] = readValueFile(set.inputs[k]!, fileKind(input));
        expected = info.outputs.map((o, k) => readValueFile(set.outputs[k]!, fileKind(o)));
      } catch (err) {
        const reason = `${set.name}: ${oneLine(messageOf(err))}`;
        // Element types no npuval Tensor can hold (complex, float4): a type gap, not broken data.
        if (/npuval cannot (represent|read)/.test(reason)) return { status: 'unsupported', cause: 'type', reason };
        return { status: 'error', cause: 'data', reason };
      }
      let actual: Record<string, Value>;
      try {
        actual = await session.run(
          feeds,
          info.outputs.map((o) => o.name),
        );
      } catch (err) {
        return { ...classifyError(err, 'run', info.opset) };
      }
      for (let k = 0; k < info.outputs.length; k++) {
        const name = info.outputs[k]!.name;
        const m = compareValue(name, set.name, actual[name], expected[k]!, tolFor);
        if (m)
          return { status: 'fail', cause: m.what === 'values' ? 'tolerance' : m.what, reason: `${set.name}: ${m.message}`, mismatch: m };
      }
    }
    return { status: 'pass', cause: null, reason: null };
  } finally {
    await session.close().catch(() => undefined);
  }
}

/**
 * Which graph inputs the data set's input_K files feed, in graph order: all inputs when there is a
 * file for each, else the inputs that are not initializers (ONNX's runner feeds the same way).
 */
export function feedPlan(info: ModelInfo, files: number): readonly DeclaredValue[] | string {
  if (files === info.inputs.length) return info.inputs;
  const free = info.inputs.filter((i) => !i.initializer);
  if (files === free.length) return free;
  return `${files} input files, but the graph has ${free.length} inputs to feed (${info.inputs.length} with initializers)`;
}

function fileKind(v: DeclaredValue): FileKind {
  return v.kind === 'sequence' || v.kind === 'optional' || v.kind === 'map' ? v.kind : 'tensor';
}

/** Element types onnxruntime-common's Tensor has no JavaScript type for (complex, bfloat16, float8, float4). */
const NO_JS_TENSOR_TYPE = new Set([14, 15, 16, 17, 18, 19, 20, 23]);

/**
 * onnxruntime-node feeds and returns tensors only (inputs raise an error; a sequence output raises
 * "Non tensor type is temporarily not supported"; an optional output crashed the process in
 * test_if_opt), has no JavaScript tensor type for complex, bfloat16, float8 or float4 elements, and
 * aborts the process on int4/uint4 outputs. Such models are loaded (the runtime's verdict first) but not run on ORT.
 */
export function bindingLimit(info: ModelInfo): string | null {
  const feeds = info.inputs.filter((i) => !i.initializer && i.kind !== 'tensor');
  const outs = info.outputs.filter((o) => o.kind !== 'tensor');
  if (feeds.length || outs.length) {
    const what = [...feeds.map((i) => `input "${i.name}" is a ${i.kind}`), ...outs.map((o) => `output "${o.name}" is a ${o.kind}`)].join(
      ', ',
    );
    return `onnxruntime-node (the JavaScript binding, not the runtime) feeds and returns tensors only: ${what}`;
  }
  const noType = [...info.inputs.filter((i) => !i.initializer), ...info.outputs].find(
    (v) => v.elemType !== null && NO_JS_TENSOR_TYPE.has(v.elemType),
  );
  if (noType) {
    return `onnxruntime-node (the JavaScript binding, not the runtime) has no tensor type for ${ONNX_DTYPE_NAME[noType.elemType!] ?? noType.elemType} ("${noType.name}")`;
  }
  const int4 = info.outputs.find((o) => o.elemType !== null && INT4_TYPES.has(o.elemType));
  if (int4) return `onnxruntime-node aborts the process when an output is int4/uint4 (output "${int4.name}"): a binding limitation`;
  return null;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
