// Parses device spec strings (`ort:cpu`, `ort:cuda:1?deviceId=1`, `tfjs:wasm`,
// `endpoint:http://host:port/v1?model=NAME`, `proc:<command>`) into a structured form.
// Parsing knows nothing about what is installed; the registry decides availability.
import { DeviceInputError } from './errors.js';
import type { DeviceKind } from './types.js';

export interface DeviceSpec {
  /** The spec as given, normalised (options sorted) so equal devices compare equal. */
  readonly id: string;
  readonly kind: DeviceKind;
  /** ORT EP name, tfjs backend, endpoint URL or process command. */
  readonly target: string;
  /** Device index for `ort:<ep>:N`, else null. */
  readonly index: number | null;
  readonly options: Readonly<Record<string, string>>;
}

const KINDS: readonly DeviceKind[] = ['ort', 'tfjs', 'endpoint', 'proc'];

export function parseDeviceSpec(spec: string): DeviceSpec {
  const colon = spec.indexOf(':');
  if (colon <= 0) {
    throw new DeviceInputError(`device spec "${spec}" has no kind; expected one of ${KINDS.map((k) => k + ':…').join(', ')}`);
  }
  const kind = spec.slice(0, colon) as DeviceKind;
  const rest = spec.slice(colon + 1);
  if (!KINDS.includes(kind)) {
    throw new DeviceInputError(`device spec "${spec}" has unknown kind "${kind}"; expected one of ${KINDS.join(', ')}`);
  }
  if (kind === 'endpoint') return parseEndpoint(spec, rest);
  if (kind === 'proc') {
    if (rest.trim() === '') throw new DeviceInputError(`device spec "${spec}" names no command after "proc:"`);
    return { id: spec, kind, target: rest, index: null, options: {} };
  }
  const q = rest.indexOf('?');
  const head = q < 0 ? rest : rest.slice(0, q);
  const options = q < 0 ? {} : parseQuery(spec, rest.slice(q + 1));
  const [target, indexText, ...extra] = head.split(':');
  if (!target || !/^[a-z][a-z0-9_-]*$/i.test(target) || extra.length > 0) {
    throw new DeviceInputError(`device spec "${spec}" is malformed; expected ${kind}:<name>[:<index>][?key=value&…]`);
  }
  let index: number | null = null;
  if (indexText !== undefined) {
    if (!/^\d+$/.test(indexText)) throw new DeviceInputError(`device spec "${spec}" has a non-numeric device index "${indexText}"`);
    index = Number(indexText);
  }
  const id = `${kind}:${target.toLowerCase()}${index === null ? '' : ':' + index}${formatQuery(options)}`;
  return { id, kind, target: target.toLowerCase(), index, options };
}

function parseEndpoint(spec: string, rest: string): DeviceSpec {
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    throw new DeviceInputError(`device spec "${spec}" does not hold a valid URL after "endpoint:"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DeviceInputError(`device spec "${spec}" must use http or https, not ${url.protocol}`);
  }
  const options: Record<string, string> = {};
  for (const [k, v] of url.searchParams) options[k] = v;
  url.search = '';
  const base = url.toString().replace(/\/$/, '');
  return { id: `endpoint:${base}${formatQuery(options)}`, kind: 'endpoint', target: base, index: null, options };
}

function parseQuery(spec: string, query: string): Record<string, string> {
  const options: Record<string, string> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DeviceInputError(`device spec "${spec}" has option "${part}" without a value; write key=value`);
    options[decodeURIComponent(part.slice(0, eq))] = decodeURIComponent(part.slice(eq + 1));
  }
  return options;
}

function formatQuery(options: Readonly<Record<string, string>>): string {
  const keys = Object.keys(options).sort();
  if (keys.length === 0) return '';
  return '?' + keys.map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(options[k]!)}`).join('&');
}
