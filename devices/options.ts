// Typed device options: each adapter declares the keys its specs take (`ort:cpu?intraOpThreads=2`)
// with a type, and the registry checks a spec against them before anything is built, so a typo or a
// wrong value is bad input (exit 2) in one sentence instead of being passed on and ignored.
import { DeviceInputError } from './errors.js';
import type { DeviceSpec } from './spec.js';

export type OptionType =
  | { readonly type: 'int'; readonly min?: number; readonly max?: number; readonly doc: string }
  | { readonly type: 'bool'; readonly doc: string }
  | { readonly type: 'string'; readonly doc: string }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly doc: string };

/** Option key → type. Declared `as const satisfies OptionSchema` so enum values stay literal types. */
export type OptionSchema = Readonly<Record<string, OptionType>>;

type ValueOf<T extends OptionType> = T extends { readonly type: 'int' }
  ? number
  : T extends { readonly type: 'bool' }
    ? boolean
    : T extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : string;

/** The parsed options of one spec: only the keys it named, each as its declared type. */
export type OptionValues<S extends OptionSchema> = { readonly [K in keyof S]?: ValueOf<S[K]> };

/**
 * Checks every option of the spec against the schema and converts it to its type. `owner` names
 * what takes the options in the message (e.g. "ort:cpu"). Throws DeviceInputError naming the spec,
 * the key and what is accepted.
 */
export function parseOptions<S extends OptionSchema>(spec: DeviceSpec, schema: S, owner: string): OptionValues<S> {
  const out: Record<string, number | boolean | string> = {};
  for (const [key, text] of Object.entries(spec.options)) {
    const type = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!type) {
      const known = Object.keys(schema).sort();
      throw new DeviceInputError(
        `unknown option "${key}" in "${spec.id}"; ${owner} ${known.length ? `takes ${known.join(', ')}` : 'takes no options'}`,
      );
    }
    out[key] = convert(type, text, () => `option ${key}=${text} in "${spec.id}"`);
  }
  return out as OptionValues<S>;
}

function convert(type: OptionType, text: string, where: () => string): number | boolean | string {
  switch (type.type) {
    case 'int': {
      const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
      const { min, max } = type;
      if (!Number.isSafeInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
        throw new DeviceInputError(`${where()} is not ${integerRange(min, max)}`);
      }
      return n;
    }
    case 'bool':
      if (text !== 'true' && text !== 'false') throw new DeviceInputError(`${where()} is not true or false`);
      return text === 'true';
    case 'enum':
      if (!type.values.includes(text)) throw new DeviceInputError(`${where()} is not one of ${type.values.join(', ')}`);
      return text;
    case 'string':
      return text;
  }
}

function integerRange(min: number | undefined, max: number | undefined): string {
  if (min === 0 && max === undefined) return 'a non-negative integer';
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer of at least ${min}`;
  return max !== undefined ? `an integer of at most ${max}` : 'an integer';
}
