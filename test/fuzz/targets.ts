// The readers npuval points at input it did not write, each with valid seed inputs, the way the
// product calls it, and the error class that is its documented answer to bad input.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { createDevice } from '../../devices/index.js';
import { EndpointError, streamedEvents } from '../../devices/endpoint/session.js';
import { decodeValues, encodeFrame, FrameReader, isBadFrame, PayloadBuilder, encodeValues, WireError } from '../../devices/proc/wire.js';
import { JournalFormatError, readJournal } from '../../harness/journal.js';
import { seededRng, type Rng } from '../../harness/random.js';
import { planUnits, resolveUnit } from '../../harness/run/plan.js';
import '../../harness/workloads/index.js';
import { BUILTIN_SUITES, parseDocument, type Suite } from '../../harness/run/suite.js';
import { inspectModel } from '../../models/inspect.js';
import { decodeModel, decodeValueBytes, onnx } from '../../models/onnx/tensor.js';
import { assembleReport, journalState, JournalContentError } from '../../reports/assemble.js';
import { mutateJson, type LengthField } from './mutate.js';

export interface FuzzTarget {
  readonly name: string;
  /** What the target reads, for the figures table. */
  readonly reads: string;
  /** Valid inputs the mutations start from; each must read without error. */
  seeds(): Uint8Array[];
  /** Reads one input as npuval does; `scratch` is a folder of this worker's own, for readers that take files. */
  run(input: Uint8Array, scratch: string): void | Promise<void>;
  /** The reader's documented answer to bad input. */
  expected(err: unknown): boolean;
  /** A mutation that knows the input's structure (used for half the rounds when present). */
  mutate?(rng: Rng, input: Uint8Array, other: Uint8Array): Uint8Array;
  /** Offsets of length fields in the input, for length-field corruption. */
  lengthFields?(input: Uint8Array): LengthField[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = join(ROOT, 'test', 'fuzz', 'corpus');
const ONNX_TEST_DATA = '/usr/share/libonnx-testdata/data/node';
const EXTERNAL_FILE = 'weights.bin';
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Exit code 2 (bad input) is what every npuval reader's input error carries. */
/** The part of a protobufjs message class the structural mutation uses. */
interface ProtoType {
  decode(bytes: Uint8Array): object;
  toObject(message: never, options: Record<string, unknown>): Record<string, unknown>;
  fromObject(object: Record<string, unknown>): object;
  encode(message: never): { finish(): Uint8Array };
}

const isInputError = (err: unknown) => (err as { exitCode?: unknown } | null)?.exitCode === 2;

/** Files under `dir` whose name matches, in sorted order, up to `limit` files of at most `maxBytes` (small inputs mutate fast). */
function filesUnder(dir: string, match: RegExp, maxBytes: number, limit: number): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (out.length >= limit) return;
      const p = join(d, n);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (match.test(n) && s.size <= maxBytes) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** ONNX test cases: the project's fixtures, plus the Debian ONNX test data when installed (fixed, sorted selection). */
function onnxFiles(match: RegExp, limit: number): Uint8Array[] {
  const files = [
    ...filesUnder(join(ROOT, 'test', 'fixtures', 'conformance'), match, 64 << 10, limit),
    ...filesUnder(ONNX_TEST_DATA, match, 16 << 10, limit),
  ];
  return files.map((f) => new Uint8Array(readFileSync(f)));
}

/** Splits a stream's bytes into reads the way a socket might (sizes fixed by the input itself, so replays match). */
function reads(input: Uint8Array): Uint8Array[] {
  const rng = seededRng(input.length * 31 + (input[0] ?? 0));
  const out: Uint8Array[] = [];
  for (let at = 0; at < input.length; ) {
    const n = rng.int(3) === 0 ? input.length : 1 + rng.int(48);
    out.push(input.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function* asStream(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** JSON text mutated as a tree when it parses; otherwise left to the byte mutators (returned unchanged). */
function mutateJsonText(rng: Rng, input: Uint8Array, parse: (s: string) => unknown, print: (v: unknown) => string): Uint8Array {
  let value: unknown;
  try {
    value = parse(text.decode(input));
  } catch {
    return input;
  }
  return utf8.encode(print(mutateJson(rng, value)));
}

/** A protobuf message decoded, mutated as a tree (dims, types, lengths that disagree) and encoded again. */
function mutateProto(type: ProtoType): (rng: Rng, input: Uint8Array) => Uint8Array {
  return (rng, input) => {
    let tree: unknown;
    try {
      tree = type.toObject(type.decode(input) as never, { longs: Number, bytes: String, enums: Number });
    } catch {
      return input;
    }
    try {
      return type.encode(type.fromObject(mutateJson(rng, tree) as Record<string, unknown>) as never).finish();
    } catch {
      // A value protobufjs cannot encode (a string where a number goes): the byte mutators take over.
      return input;
    }
  };
}

const onnxModel: FuzzTarget = {
  name: 'onnx-model',
  reads: 'ONNX ModelProto (decodeModel + inspectModel: `npuval models inspect`, every model file)',
  seeds: () => onnxFiles(/^model\.onnx$/, 40),
  mutate: mutateProto(onnx.ModelProto as unknown as ProtoType),
  run: (input) => {
    inspectModel(decodeModel(input, 'fuzz.onnx'), 'fuzz.onnx', input.length);
  },
  expected: isInputError,
};

const tensorProto: FuzzTarget = {
  name: 'tensor-proto',
  reads: 'ONNX TensorProto (conformance test_data_set_*/input_N.pb, output_N.pb)',
  seeds: () => [
    // Test data of sequence and optional cases holds other protos: only what reads as a tensor is a seed.
    ...onnxFiles(/^(input|output)_\d+\.pb$/, 24).filter((b) => {
      try {
        decodeValueBytes(b, 'tensor', 'seed.pb', '/nonexistent');
        return true;
      } catch {
        return false;
      }
    }),
    // Data kept in a file beside the tensor (run() puts EXTERNAL_FILE in the scratch folder).
    ...[1, 7, 10].map((dataType) =>
      onnx.TensorProto.encode({
        name: 'w',
        dims: [2],
        dataType,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: EXTERNAL_FILE },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(dataType === 7 ? 16 : dataType === 10 ? 4 : 8) },
        ],
      }).finish(),
    ),
  ],
  mutate: mutateProto(onnx.TensorProto as unknown as ProtoType),
  // External data resolves in the worker's scratch folder, which holds one data file.
  run: (input, scratch) => {
    if (!existsSync(join(scratch, EXTERNAL_FILE))) writeFileSync(join(scratch, EXTERNAL_FILE), new Uint8Array(16));
    decodeValueBytes(input, 'tensor', 'fuzz.pb', scratch);
  },
  expected: isInputError,
};

const SSE_STREAMS = [
  'data: {"choices":[{"text":"Hello"}]}\n\ndata: {"choices":[{"text":" world","finish_reason":"length"}]}\n\n' +
    'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n',
  ': keep-alive\r\n\r\ndata: {"choices":[{"delta":{"role":"assistant"}}]}\r\n\r\ndata: {"choices":[{"delta":{"content":"a"}}]}\r\n\r\n' +
    'event: message\r\nid: 7\r\ndata: {"choices":[{"delta":{"content":"b"},"finish_reason":"stop"}]}\r\n\r\ndata: [DONE]\r\n\r\n',
  'data: {"choices":[{"text":"x"}]}\n\ndata: [DONE]\n\ndata: {"choices":[{"text":"after"}]}\n\n',
  'retry: 100\ndata: {"id":"c1","object":"text_completion","choices":[{"index":0,"text":"\\u00e9\\ud83d\\ude00","logprobs":null}]}\n\ndata: [DONE]\n\n',
];

const sse: FuzzTarget = {
  name: 'sse',
  reads: 'an endpoint’s SSE stream (timedEvents + chunk parsing: what every streamed request reads)',
  seeds: () => SSE_STREAMS.map((s) => utf8.encode(s)),
  run: async (input) => {
    // The stream as read from a socket; completions or chat chosen by the input so both parsers are reached.
    for await (const _ of streamedEvents(asStream(reads(input)), input.length % 2 ? 'chat' : 'completions', 'fuzz://sse'));
  },
  expected: (err) => err instanceof EndpointError,
  mutate: (rng, input) => {
    // A data line's JSON mutated as a tree: the chunk parser sees well-formed JSON of the wrong shape.
    const lines = text.decode(input).split('\n');
    const data = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('data: {'));
    if (!data.length) return input;
    const [line, at] = data[rng.int(data.length)]!;
    lines[at] = `data: ${text.decode(mutateJsonText(rng, utf8.encode(line.slice(6).trimEnd()), JSON.parse, (v) => JSON.stringify(v)))}`;
    return utf8.encode(lines.join('\n'));
  },
};

const journal: FuzzTarget = {
  name: 'journal',
  reads: 'journal.jsonl (readJournal, journalState, assembleReport: `--resume` and the reports)',
  seeds: () => readdirSync(join(CORPUS, 'journal')).map((f) => new Uint8Array(readFileSync(join(CORPUS, 'journal', f)))),
  run: (input, scratch) => {
    const path = join(scratch, 'journal.jsonl');
    writeFileSync(path, input);
    assembleReport(journalState(readJournal(path).records), { finishedAt: new Date(0).toISOString(), artifacts: [] });
  },
  expected: (err) => err instanceof JournalFormatError || err instanceof JournalContentError,
  mutate: (rng, input) => {
    const lines = text.decode(input).split('\n');
    const at = rng.int(lines.length);
    switch (rng.int(4)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(rng.int(lines.length + 1), 0, lines[at]!);
        break;
      default:
        lines[at] = text.decode(mutateJsonText(rng, utf8.encode(lines[at]!), JSON.parse, (v) => JSON.stringify(v)));
    }
    return utf8.encode(lines.join('\n'));
  },
};

/** Suite files as users write them: the examples and the built-in suites, as YAML and as JSON. */
function suiteSeeds(): Uint8Array[] {
  const examples = readdirSync(join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(ROOT, 'examples', f))));
  // Not `default`: its MatMul micro unit builds the op's zoo cases while planning (over a second per input).
  const builtins = Object.entries(BUILTIN_SUITES)
    .filter(([name]) => name !== 'default')
    .flatMap(([, s]) => [utf8.encode(JSON.stringify(s, null, 2)), utf8.encode(YAML.stringify(s))]);
  return [...examples, ...builtins];
}

const suite: FuzzTarget = {
  name: 'suite',
  reads: 'suite files, YAML or JSON (parse, schema check, plan, every unit resolved: `npuval run --suite FILE`)',
  seeds: suiteSeeds,
  run: (input, scratch) => {
    const source = text.decode(input);
    const name = /^\s*[{[]/.test(source) ? 'suite.json' : 'suite.yaml';
    const s = parseDocument(source, join(scratch, name), 'suite', 'suite file') as Suite;
    // Devices named are parsed as `run` does before probing (a malformed spec is bad input).
    const named = [s.devices, ...s.units.map((u) => u.devices)].flatMap((d) => (Array.isArray(d) ? d : []));
    for (const spec of new Set([...named, ...s.units.flatMap((u) => (u.reference ? [u.reference] : []))])) createDevice(spec);
    for (const u of planUnits(s, ['ort:cpu', 'tfjs:cpu'], null, (p) => resolve(scratch, p))) resolveUnit(u, s.seed ?? 1);
  },
  // Bad input (exit 2); a device kind this machine lacks (exit 3) is the suite's right answer too.
  expected: (err) => isInputError(err) || (err as { exitCode?: unknown } | null)?.exitCode === 3,
  mutate: (rng, input) =>
    mutateJsonText(
      rng,
      input,
      (s) => YAML.parse(s),
      (v) => (rng.int(2) ? JSON.stringify(v) : YAML.stringify(v)),
    ),
};

/** Frames of a proc conversation: a hello reply, a run request with every kind of value, a run reply, a bad header. */
function procSeeds(): Uint8Array[] {
  const payload = new PayloadBuilder();
  const inputs = encodeValues(
    {
      x: { type: 'float32', dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
      ids: { type: 'int64', dims: [1, 2], data: BigInt64Array.of(7n, -1n) },
      half: { type: 'float16', dims: [2], data: Uint16Array.of(0x3c00, 0xc000) },
      s: { type: 'string', dims: [2], data: ['a', 'ü'] },
      seq: [{ type: 'int32', dims: [1], data: Int32Array.of(3) }, null],
      none: null,
    },
    payload,
    'run',
  );
  const frames = [
    encodeFrame({ type: 'ok', id: 0, version: 1, adapter: { name: 'fuzz', version: '1' }, capabilities: { dtypes: ['float32'] } }),
    encodeFrame({ type: 'run', id: 2, handle: 'm1', inputs }, payload),
    encodeFrame({ type: 'ok', id: 2, outputs: inputs }, payload),
    encodeFrame({ type: 'token', id: 3, tokens: [450], text: ' The', t_us: 48210 }),
  ];
  const concat = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) out.set(p, at), (at += p.byteLength);
    return out;
  };
  return [...frames.map(concat), concat(frames.flat())];
}

const procFrame: FuzzTarget = {
  name: 'proc-frame',
  reads: '`proc:` adapter frames (FrameReader over socket-sized reads, every value descriptor decoded)',
  seeds: procSeeds,
  run: (input) => {
    const reader = new FrameReader();
    for (const chunk of reads(input)) {
      for (const f of reader.push(chunk)) {
        if (isBadFrame(f)) continue;
        for (const key of ['inputs', 'outputs'] as const) {
          const descs = f.header[key];
          if (descs !== undefined && !Array.isArray(descs)) decodeValues(descs, f.payload, key);
        }
      }
    }
  },
  expected: (err) => err instanceof WireError,
  // The frame prefixes' header (u32) and payload (u64) lengths.
  lengthFields: (input) => {
    const fields: LengthField[] = [];
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    for (let at = 0; at + 16 <= input.length; ) {
      fields.push({ offset: at + 4, width: 4 }, { offset: at + 8, width: 8 });
      const next = at + 16 + view.getUint32(at + 4, true) + Number(view.getBigUint64(at + 8, true));
      if (!(next > at) || !Number.isSafeInteger(next)) break;
      at = next;
    }
    return fields;
  },
  mutate: (rng, input) => {
    // A header's JSON mutated as a tree, its length field kept right, so the value decoder is reached.
    if (input.length < 16) return input;
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const headerBytes = view.getUint32(4, true);
    if (16 + headerBytes > input.length) return input;
    const json = mutateJsonText(rng, input.subarray(16, 16 + headerBytes), JSON.parse, (v) => JSON.stringify(v));
    const out = new Uint8Array(input.length - headerBytes + json.length);
    out.set(input.subarray(0, 16));
    new DataView(out.buffer).setUint32(4, json.length, true);
    out.set(json, 16);
    out.set(input.subarray(16 + headerBytes), 16 + json.length);
    return out;
  },
};

export const TARGETS: readonly FuzzTarget[] = [onnxModel, tensorProto, sse, journal, suite, procFrame];
