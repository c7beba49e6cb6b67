// Tolerance profiles per device class and dtype, and per-test overrides from a file.
// The numbers come from the reference runners, cited in `source`:
// - ONNX's backend runner compares with rtol 1e-3, atol 1e-7 (onnx/backend/test/runner/__init__.py,
//   TestCase defaults rtol=1e-3, atol=1e-7, passed to numpy.testing.assert_allclose).
// - ORT's C++ model tests (onnxruntime/test/providers/cpu/model_tests.cc) use per_sample_tolerance 1e-3
//   and relative_per_sample_tolerance 1e-3, raised to 1e-2 relative for CUDA/OpenVINO;
//   ORT's web test runner (js/web/test/test-runner.ts) uses WEBGPU_THRESHOLD_ABSOLUTE_ERROR 1e-3
//   and, for half-float GPU kernels, WEBGL_HALF_FLOAT_THRESHOLD_ABSOLUTE_ERROR 0.1 with a 1.02 relative ratio.
import { readInputText } from '../input-file.js';
import { parse as parseYaml } from 'yaml';
import type { DType } from '../../devices/types.js';
import { InputError } from '../errors.js';
import type { DeviceClass, Tolerance, ToleranceOverride, ToleranceProfile } from './types.js';

const ONNX_RUNNER = 'ONNX backend runner defaults (onnx/backend/test/runner/__init__.py: rtol 1e-3, atol 1e-7)';
const ORT_MODEL_TESTS =
  'ORT model tests (onnxruntime/test/providers/cpu/model_tests.cc: per_sample_tolerance 1e-3, relative 1e-3; 1e-2 relative for CUDA/OpenVINO) and ORT web test runner (js/web/test/test-runner.ts: WEBGPU_THRESHOLD_ABSOLUTE_ERROR 1e-3)';
const ORT_HALF =
  'ORT web test runner half-float GPU thresholds (js/web/test/test-runner.ts: WEBGL_HALF_FLOAT_THRESHOLD_ABSOLUTE_ERROR 0.1, relative ratio 1.02)';

export const DEFAULT_PROFILES: readonly ToleranceProfile[] = [
  { name: 'cpu-fp32', deviceClass: 'cpu', dtypes: ['float32', 'float64'], rtol: 1e-3, atol: 1e-7, source: ONNX_RUNNER },
  {
    name: 'cpu-half',
    deviceClass: 'cpu',
    dtypes: ['float16', 'bfloat16'],
    rtol: 1e-2,
    atol: 1e-3,
    source: `relative 1e-2 as ${ORT_MODEL_TESTS}; absolute 1e-3 as ORT's GPU threshold`,
  },
  { name: 'accelerator-fp32', deviceClass: 'accelerator', dtypes: ['float32', 'float64'], rtol: 1e-3, atol: 1e-3, source: ORT_MODEL_TESTS },
  { name: 'accelerator-half', deviceClass: 'accelerator', dtypes: ['float16', 'bfloat16'], rtol: 2e-2, atol: 1e-1, source: ORT_HALF },
];

/**
 * A tolerance file's profiles replace the defaults, but a (device class, float dtype) the file
 * leaves out keeps its default profile, added here under its own name so the run's tolerance
 * section lists every profile a comparison used (no silent fallback to another class's numbers).
 */
export function withDefaultProfiles(profiles: readonly ToleranceProfile[]): ToleranceProfile[] {
  const covered = (p: ToleranceProfile, dtype: string) => profiles.some((x) => x.deviceClass === p.deviceClass && x.dtypes.includes(dtype));
  const added = DEFAULT_PROFILES.flatMap((p) => {
    const missing = p.dtypes.filter((d) => !covered(p, d));
    return missing.length
      ? [
          {
            ...p,
            name: `${p.name} (default)`,
            dtypes: missing,
            source: `${p.source}; the tolerance file has no ${p.deviceClass} profile for ${missing.join(', ')}`,
          },
        ]
      : [];
  });
  return [...profiles, ...added];
}

/** Resolves the tolerance for (case, dtype): the last matching override wins over the profile. */
export class ToleranceResolver {
  private readonly compiled: { re: RegExp; o: ToleranceOverride }[];

  constructor(
    readonly deviceClass: DeviceClass,
    readonly profiles: readonly ToleranceProfile[] = DEFAULT_PROFILES,
    readonly overrides: readonly ToleranceOverride[] = [],
  ) {
    this.compiled = overrides.map((o) => ({ re: new RegExp(o.match), o }));
  }

  forCase(caseId: string): (dtype: DType) => Tolerance {
    const hits = this.compiled.filter((c) => c.re.test(caseId)).map((c) => c.o);
    return (dtype) => {
      const p =
        this.profiles.find((x) => x.deviceClass === this.deviceClass && x.dtypes.includes(dtype)) ??
        this.profiles.find((x) => x.deviceClass === this.deviceClass) ??
        DEFAULT_PROFILES[0]!;
      let t: Tolerance = { rtol: p.rtol, atol: p.atol };
      for (const o of hits) t = { rtol: o.rtol ?? t.rtol, atol: o.atol ?? t.atol };
      return t;
    };
  }
}

/** Which profile class a device belongs to: CPU backends get ONNX's reference tolerances. */
export function deviceClassOf(kind: string, backend: string): DeviceClass {
  if (kind === 'ort' && backend === 'cpu') return 'cpu';
  if (kind === 'tfjs' && (backend === 'cpu' || backend === 'wasm')) return 'cpu';
  return 'accelerator';
}

/**
 * Reads a tolerance file (JSON or YAML):
 * `{ "overrides": [ { "match": "<regex on case id>", "rtol": 1e-2, "atol": 1e-5, "reason": "…" } ],
 *    "profiles": [ …optional, replaces the defaults: { name, deviceClass, dtypes, rtol, atol, source } ] }`.
 * Bad content is an InputError naming the file and field.
 */
export function readToleranceFile(path: string): { profiles: ToleranceProfile[] | null; overrides: ToleranceOverride[] } {
  const text = readInputText(path, '--tolerances');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(`--tolerances ${path} is not valid JSON or YAML: ${firstLine((err as Error).message)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new InputError(`--tolerances ${path} must hold an object with "overrides" and/or "profiles"`);
  const d = doc as Record<string, unknown>;
  for (const key of Object.keys(d)) {
    if (key !== 'overrides' && key !== 'profiles')
      throw new InputError(`--tolerances ${path} has unknown field "${key}" (expected "overrides", "profiles")`);
  }
  const overrides = listOf(path, d, 'overrides').map((o, i) => {
    const where = `${path} overrides[${i}]`;
    if (typeof o.match !== 'string') throw new InputError(`--tolerances ${where}.match must be a regular expression string`);
    try {
      new RegExp(o.match);
    } catch {
      throw new InputError(`--tolerances ${where}.match "${o.match}" is not a valid regular expression`);
    }
    if (o.rtol === undefined && o.atol === undefined) throw new InputError(`--tolerances ${where} sets neither rtol nor atol`);
    return {
      match: o.match,
      rtol: num(where, 'rtol', o.rtol, true),
      atol: num(where, 'atol', o.atol, true),
      ...(typeof o.reason === 'string' ? { reason: o.reason } : {}),
    } as ToleranceOverride;
  });
  const profiles =
    d.profiles === undefined
      ? null
      : listOf(path, d, 'profiles').map((p, i) => {
          const where = `${path} profiles[${i}]`;
          if (p.deviceClass !== 'cpu' && p.deviceClass !== 'accelerator')
            throw new InputError(`--tolerances ${where}.deviceClass must be "cpu" or "accelerator"`);
          if (!Array.isArray(p.dtypes) || !p.dtypes.every((x) => typeof x === 'string'))
            throw new InputError(`--tolerances ${where}.dtypes must be a list of dtype names`);
          return {
            name: typeof p.name === 'string' ? p.name : `custom-${i}`,
            deviceClass: p.deviceClass,
            dtypes: p.dtypes as string[],
            rtol: num(where, 'rtol', p.rtol, false)!,
            atol: num(where, 'atol', p.atol, false)!,
            source: typeof p.source === 'string' ? p.source : `tolerance file ${path}`,
          } satisfies ToleranceProfile;
        });
  // An empty list would leave every device on the silent fallback, which the result does not list.
  if (profiles !== null && profiles.length === 0)
    throw new InputError(`--tolerances ${path} profiles is empty; leave it out to keep the default profiles`);
  return { profiles, overrides };
}

function listOf(path: string, d: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const v = d[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'object' && x !== null))
    throw new InputError(`--tolerances ${path} field "${key}" must be a list of objects`);
  return v as Record<string, unknown>[];
}

function num(where: string, key: string, v: unknown, optional: boolean): number | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new InputError(`--tolerances ${where}.${key} must be a non-negative number`);
  return v;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}
