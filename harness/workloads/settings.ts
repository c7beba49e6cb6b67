// Workload settings, declared once. Each unit kind lists its settings here (key, type, default,
// bounds, unit, doc, CLI flag); from that one declaration come the plan-time checks (every error
// names `unit X: setting "k"`), the suite schema's `settings` branch for the kind, the yargs
// options of the kind's command, and the settings table in docs/reference/settings.md.
import type { Options } from 'yargs';
import { InputError } from '../errors.js';
import type { Schema } from '../../reports/schemas/common.js';

interface Common {
  /** One sentence: what it does, what the default means. Shown in --help and the docs. */
  readonly doc: string;
  /** The CLI flag of the kind's command (kebab-case, no dashes); absent: suite-only. */
  readonly flag?: string;
  /** Unit shown beside numbers (ms, s, tokens, …). */
  readonly unit?: string;
  /** The flag takes the value in another unit: setting = flag value × scale (e.g. seconds → ms: 1000). */
  readonly flagScale?: number;
  /** The unit of the flag's value when flagScale is set (shown in --help). */
  readonly flagUnit?: string;
  /** The flag is a string parsed into the setting's value (e.g. a rate that may be "inf"); bad text throws InputError. */
  readonly flagParse?: (text: string, where: string) => unknown;
}

export interface NumberSetting extends Common {
  readonly type: 'integer' | 'number';
  /** null: no default (the workload decides, e.g. per scenario); the doc says what happens. */
  readonly default: number | null;
  readonly min?: number;
  /** The lower bound is exclusive (a duration must be > 0). */
  readonly exclusiveMin?: boolean;
  readonly max?: number;
  /** Infinity is allowed (from the CLI only: JSON has no Infinity), e.g. a request rate of "inf". */
  readonly allowInfinity?: boolean;
}

export interface BooleanSetting extends Common {
  readonly type: 'boolean';
  readonly default: boolean;
}

export interface StringSetting extends Common {
  readonly type: 'string';
  readonly default: string | null;
  /** The allowed values, when it is a choice. */
  readonly values?: readonly string[];
}

/** Symbolic input dims: an object of dim name → positive integer (CLI: repeated `name=value`). */
export interface DimsSetting extends Common {
  readonly type: 'dims';
  readonly default: null;
}

/** A list of integers (sweeps); the CLI flag takes them comma-separated, e.g. 1,2,4,8. */
export interface IntegersSetting extends Common {
  readonly type: 'integers';
  readonly default: null;
  readonly min?: number;
  readonly max?: number;
}

/** A list of non-empty strings (e.g. device specs); the CLI flag is repeated, e.g. --x a --x b. */
export interface StringsSetting extends Common {
  readonly type: 'strings';
  readonly default: null;
}

/** A nested object a workload checks itself (e.g. accuracy thresholds); the schema only says "object". */
export interface ObjectSetting extends Common {
  readonly type: 'object';
  readonly default: null;
}

export type SettingDecl = NumberSetting | BooleanSetting | StringSetting | DimsSetting | IntegersSetting | StringsSetting | ObjectSetting;
export type SettingDecls = Readonly<Record<string, SettingDecl>>;

type ValueOf<D> = D extends NumberSetting
  ? number
  : D extends BooleanSetting
    ? boolean
    : D extends StringSetting
      ? string
      : D extends DimsSetting
        ? Readonly<Record<string, number>>
        : D extends IntegersSetting
          ? readonly number[]
          : D extends StringsSetting
            ? readonly string[]
            : unknown;

/** The checked settings: every declared key, its default filled in (null where there is none). */
export type Resolved<S extends SettingDecls> = {
  readonly [K in keyof S]: S[K]['default'] extends null ? ValueOf<S[K]> | null : ValueOf<S[K]>;
};

/** The vocabulary of token-id inputs, for kinds that feed a user's ONNX file seeded inputs. */
export const VOCAB_SETTING = {
  type: 'integer',
  default: null,
  min: 2,
  max: 1 << 24,
  flag: 'vocab',
  doc: 'Vocabulary size for token-id inputs of an ONNX file (zoo models know theirs)',
} as const satisfies NumberSetting;

/** Values of a model's symbolic input dims (`--dim seq=128`), for kinds that make or check its inputs. */
export const DIMS_SETTING = {
  type: 'dims',
  default: null,
  flag: 'dim',
  doc: 'Symbolic input dims of the model, e.g. sequence_length=128 (a scenario sets the batch dim per query; unset: batch_size/batch/N 1, sequence_length 8, others must be given)',
} as const satisfies DimsSetting;

/** A folder of the user's own input samples instead of seeded ones (models/input-files.ts reads it). */
export const INPUTS_SETTING = {
  type: 'string',
  default: null,
  flag: 'inputs',
  doc: 'Folder of input samples used in turn instead of seeded ones: ONNX test-data input_N.pb (TensorProto; one sample, or one per test_data_set_N/ subfolder) or .npy files named input_N.npy or after the input; checked against the model at plan time',
} as const satisfies StringSetting;

/** A positive count that the flag may write with an SI suffix (3.5G = 3.5e9): FLOPs or bytes the user supplies. */
export function quantitySetting(flag: string, unit: string, max: number, doc: string) {
  return {
    type: 'number',
    default: null,
    min: 0,
    exclusiveMin: true,
    max,
    unit,
    flag,
    flagParse: parseQuantity,
    doc,
  } as const satisfies NumberSetting;
}

const perSample = (what: string) =>
  `${what} of one sample, for your own ONNX file (or in place of a zoo model's analytic count); e.g. 1.2e9 or 3.5G on the CLI. Reported as user-supplied`;

/** FLOPs of one sample (2 per multiply-add): effective compute and utilization for a user's model. */
export const FLOPS_SETTING = quantitySetting('flops', 'FLOP', 1e18, perSample('FLOPs (2 per multiply-add)'));

/** Bytes one sample moves to and from memory: arithmetic intensity and the roofline position. */
export const BYTES_SETTING = quantitySetting('bytes', 'bytes', 1e15, perSample('Bytes moved to and from memory'));

const SI: Readonly<Record<string, number>> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** `1.2e9`, `3.5G`, `800M` → a number; anything else is bad input naming the flag. */
export function parseQuantity(text: string, where: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?\s*([kKMGTP]?)\s*$/i.exec(text);
  const scale = m ? SI[m[3]!] : undefined;
  if (!m || scale === undefined) throw new InputError(`${where} ${text} is not a number such as 1.2e9 or 3.5G (SI suffixes k, M, G, T, P)`);
  return Number(`${m[1]}${m[2] ?? ''}`) * scale;
}

/** How errors name one of a unit's settings: `unit ID: setting "KEY"`. */
export function settingName(unitId: string, key: string): string {
  return `unit ${unitId}: setting "${key}"`;
}

function describeBounds(d: NumberSetting): string {
  const kind = d.type === 'integer' ? 'an integer' : 'a number';
  const parts: string[] = [];
  if (d.min !== undefined) parts.push(`${d.exclusiveMin ? '>' : '≥'} ${d.min}`);
  if (d.max !== undefined) parts.push(`≤ ${d.max}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

/** Checks one value against its declaration; returns the sentence's predicate when it fails. */
function problem(d: SettingDecl, v: unknown): string | null {
  switch (d.type) {
    case 'integer':
    case 'number': {
      const ok =
        typeof v === 'number' &&
        (Number.isFinite(v) || (d.allowInfinity === true && v === Infinity)) &&
        (d.type === 'number' || Number.isInteger(v)) &&
        (d.min === undefined || (d.exclusiveMin ? v > d.min : v >= d.min)) &&
        (d.max === undefined || v <= d.max || v === Infinity);
      return ok ? null : `must be ${describeBounds(d)}${d.unit ? ` (${d.unit})` : ''}`;
    }
    case 'boolean':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'string':
      if (typeof v !== 'string') return d.values ? `must be one of ${d.values.join(', ')}` : 'must be a string';
      return d.values && !d.values.includes(v) ? `must be one of ${d.values.join(', ')}` : null;
    case 'dims':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object of dim name → size';
      for (const [k, n] of Object.entries(v)) {
        if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1 << 20))
          return `: "${k}" must be an integer from 1 to ${1 << 20}`;
      }
      return null;
    case 'integers': {
      const lo = d.min ?? 1,
        hi = d.max ?? 1e9;
      const ok = Array.isArray(v) && v.length > 0 && v.length <= 1000 && v.every((n) => Number.isInteger(n) && n >= lo && n <= hi);
      return ok ? null : `must be a non-empty list of integers from ${lo} to ${hi}`;
    }
    case 'strings':
      return Array.isArray(v) && v.length > 0 && v.length <= 1000 && v.every((x) => typeof x === 'string' && x.length > 0)
        ? null
        : 'must be a non-empty list of non-empty strings';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'must be an object';
  }
}

/**
 * Checks a unit's raw settings completely: unknown keys, types, bounds. Bad input (exit 2) names
 * the unit and the setting. Returns every declared key with its default filled in.
 */
export function resolveDeclared<S extends SettingDecls>(
  decls: S,
  raw: Readonly<Record<string, unknown>>,
  unitId: string,
  name: (key: string) => string = (key) => settingName(unitId, key),
): Resolved<S> {
  const known = Object.keys(decls);
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw new InputError(`${name(key)} is not one of ${known.join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, d] of Object.entries(decls)) {
    const v = raw[key];
    if (v === undefined || v === null) {
      out[key] = d.default;
      continue;
    }
    const p = problem(d, v);
    if (p) throw new InputError(`${name(key)}${p.startsWith(':') ? '' : ' '}${p}`);
    out[key] = v;
  }
  return out as Resolved<S>;
}

/**
 * The JSON Schema of a kind's `settings` object: in suite files (strict: unknown keys fail), or
 * `recorded` as report.json holds them (every key, null where there is no value; JSON has no Infinity).
 */
export function settingsSchema(decls: SettingDecls, recorded = false): Schema {
  const properties: Record<string, Schema> = {};
  for (const [key, d] of Object.entries(decls)) {
    let s: Schema;
    switch (d.type) {
      case 'integer':
      case 'number':
        s = {
          type: d.type,
          ...(d.min !== undefined ? (d.exclusiveMin ? { exclusiveMinimum: d.min } : { minimum: d.min }) : {}),
          ...(d.max !== undefined ? { maximum: d.max } : {}),
        };
        break;
      case 'boolean':
        s = { type: 'boolean' };
        break;
      case 'string':
        s = d.values ? { enum: [...d.values] } : { type: 'string' };
        break;
      case 'dims':
        s = { type: 'object', additionalProperties: { type: 'integer', minimum: 1 } };
        break;
      case 'integers':
        s = {
          type: 'array',
          minItems: 1,
          items: { type: 'integer', minimum: d.min ?? 1, ...(d.max !== undefined ? { maximum: d.max } : {}) },
        };
        break;
      case 'strings':
        s = { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } };
        break;
      case 'object':
        s = { type: 'object' };
        break;
    }
    const nullable = recorded && (d.default === null || (d.type === 'number' && d.allowInfinity));
    properties[key] = nullable ? { anyOf: [{ type: 'null' }, s], description: d.doc } : { ...s, description: d.doc };
  }
  return { type: 'object', properties, additionalProperties: false, ...(recorded ? { required: Object.keys(decls) } : {}) };
}

function defaultText(d: SettingDecl): string {
  if (d.default === null) return '';
  return ` (default ${String(d.default)}${d.unit && d.type !== 'boolean' ? ` ${d.unit}` : ''})`;
}

function flagDefaultText(d: SettingDecl): string {
  const unit = d.flagUnit ? ` ${d.flagUnit}` : '';
  return typeof d.default === 'number' ? ` (in${unit}; default ${d.default / d.flagScale!}${unit})` : ` (in${unit})`;
}

/** yargs options for the settings that have a CLI flag. Defaults stay out of yargs so "not given" is seen. */
export function settingOptions(decls: SettingDecls): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const d of Object.values(decls)) {
    if (!d.flag) continue;
    const describe = d.doc + (d.flagScale ? flagDefaultText(d) : defaultText(d));
    if (d.flagParse) options[d.flag] = { type: 'string', describe };
    else if (d.type === 'integer' || d.type === 'number') options[d.flag] = { type: 'number', describe };
    else if (d.type === 'boolean') options[d.flag] = { type: 'boolean', describe };
    else if (d.type === 'string') options[d.flag] = { type: 'string', describe, ...(d.values ? { choices: [...d.values] } : {}) };
    else if (d.type === 'dims') options[d.flag] = { type: 'string', array: true, describe: `${describe}; name=value, repeatable` };
    else if (d.type === 'integers') options[d.flag] = { type: 'string', describe: `${describe}; comma-separated, e.g. 1,2,4` };
    else if (d.type === 'strings') options[d.flag] = { type: 'string', array: true, describe: `${describe}; repeatable` };
  }
  return options;
}

/** The declaration as its CLI flag sees it: bounds and unit in the flag's unit (e.g. seconds). */
function asFlag(d: SettingDecl): SettingDecl {
  if (!d.flagScale || (d.type !== 'number' && d.type !== 'integer')) return d;
  const scale = d.flagScale;
  return {
    ...d,
    min: d.min === undefined ? undefined : d.min / scale,
    max: d.max === undefined ? undefined : d.max / scale,
    unit: d.flagUnit,
  };
}

/**
 * Checks the flags given against the declarations, so bad input names the flag and its value in the
 * flag's own unit (`--timeout -1 must be a number > 0 …`), not the setting it becomes.
 */
export function checkFlags(decls: SettingDecls, args: Readonly<Record<string, unknown>>): void {
  for (const d of Object.values(decls)) {
    if (!d.flag || args[d.flag] === undefined || d.type === 'dims' || d.type === 'integers' || d.type === 'strings' || d.flagParse)
      continue;
    const v = args[d.flag];
    const p = problem(asFlag(d), v);
    if (p) throw new InputError(`--${d.flag} ${String(v)} ${p}`);
  }
}

/** Raw settings from parsed CLI flags (only those given), for resolveDeclared. */
export function settingsFromArgs(decls: SettingDecls, args: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, d] of Object.entries(decls)) {
    if (!d.flag) continue;
    const v = args[d.flag];
    if (v === undefined) continue;
    if (d.type === 'dims') raw[key] = parseDims(v as readonly string[], `--${d.flag}`);
    else if (d.type === 'integers') raw[key] = parseIntegers(String(v), `--${d.flag}`);
    else if (d.type === 'strings') raw[key] = (Array.isArray(v) ? v : [v]).map(String);
    else if (d.flagParse) raw[key] = d.flagParse(String(v), `--${d.flag}`);
    else raw[key] = d.flagScale && typeof v === 'number' ? v * d.flagScale : v;
  }
  return raw;
}

/** `1,2,4` → [1, 2, 4]; anything else is bad input naming the flag. */
export function parseIntegers(text: string, where: string): number[] {
  const v = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  if (v.length === 0 || v.some((n) => !Number.isInteger(n) || n < 1))
    throw new InputError(`${where} ${text} is not a comma-separated list of positive integers`);
  return v;
}

/** `name=value` pairs → dims; each value a positive integer. */
export function parseDims(pairs: readonly string[], where: string): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z_][\w.]*)=(\d+)$/.exec(pair.trim());
    if (!m || Number(m[2]) < 1)
      throw new InputError(`${where} ${pair}: expected name=value with a positive integer value, e.g. sequence_length=128`);
    dims[m[1]!] = Number(m[2]);
  }
  return dims;
}

/** The settings table for docs/reference/settings.md. */
export function settingsTable(decls: SettingDecls): string {
  const rows = Object.entries(decls).map(([key, d]) => {
    const type = d.type === 'string' && d.values ? d.values.map((v) => `\`${v}\``).join(' \\| ') : d.type;
    const bounds = d.type === 'integer' || d.type === 'number' ? describeBounds(d).replace(/^an? (integer|number) ?/, '') : '';
    const dflt = d.default === null ? '—' : `\`${String(d.default)}\``;
    return `| \`${key}\` | ${type} | ${dflt} | ${bounds || '—'} | ${d.unit ?? '—'} | ${d.flag ? `\`--${d.flag}\`` : '—'} | ${d.doc.replace(/\|/g, '\\|')} |`;
  });
  return ['| setting | type | default | bounds | unit | CLI flag | meaning |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}
