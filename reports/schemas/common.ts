// Small builders shared by the schema modules, so every object is strict unless said otherwise.

export type Schema = Record<string, unknown>;

/** An object whose listed properties are all required unless named in `optional`, and nothing else allowed. */
export function strictObject(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: false,
  };
}

export const str: Schema = { type: 'string' };
export const nonEmpty: Schema = { type: 'string', minLength: 1 };
export const int: Schema = { type: 'integer' };
export const nonNegInt: Schema = { type: 'integer', minimum: 0 };
export const num: Schema = { type: 'number' };
export const bool: Schema = { type: 'boolean' };
export const dateTime: Schema = { type: 'string', format: 'date-time' };
export const sha256: Schema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
export const nullable = (s: Schema): Schema => ({ anyOf: [{ type: 'null' }, s] });
export const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
export const mapOf = (values: Schema): Schema => ({ type: 'object', additionalProperties: values });
