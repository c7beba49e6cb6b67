// The accuracy runner: one model on a device and on a reference device, the same seeded inputs
// on both; per-output agreement (cosine, max abs/rel error, top-1/top-5 for logits) and, for
// decoder-with-past models, greedy-token agreement over K generated tokens with the KV cache
// (the generation loop is harness/llm's: DecoderModel + generateStatic). Thresholds → pass/fail.
import { readInputText } from '../input-file.js';
import { parse as parseYaml } from 'yaml';
import type { Device, ModelSource, Session, Tensor } from '../../devices/types.js';
import { seededInputs } from '../../models/inputs.js';
import { inspectFile } from '../../models/inspect.js';
import { InputError } from '../errors.js';
import type { Journal } from '../journal.js';
import { DecoderModel } from '../serve/decoder.js';
import { generateStatic } from '../llm/generate.js';
import { isTensor, pairStats, toFloat64, topKAgreement } from './metrics.js';

/** A device failed to open or run a valid model: the run finished with a failure (exit 1). */
export class AccuracyRunError extends Error {
  readonly exitCode = 1;
}

/** Thresholds; a check whose threshold is null is reported but does not decide pass/fail. */
export interface AccuracyCriteria {
  /** Lowest acceptable cosine similarity of any output on any sample. */
  readonly minCosine: number | null;
  readonly maxAbsError: number | null;
  readonly maxRelError: number | null;
  /** Lowest acceptable fraction of logits rows whose argmax agrees. */
  readonly minTop1: number | null;
  /** Lowest acceptable fraction of logits rows where the reference's argmax is in the device's top 5. */
  readonly minTop5: number | null;
  /** Lowest acceptable fraction of greedy tokens generated before the first divergence (mean over samples). */
  readonly minTokenAgreement: number | null;
}

/** npuval's defaults (not a standard's): fp32-on-fp32 agreement a correct kernel set reaches easily. */
export const DEFAULT_CRITERIA: AccuracyCriteria = {
  minCosine: 0.999,
  maxAbsError: null,
  maxRelError: null,
  minTop1: 0.99,
  minTop5: 1,
  minTokenAgreement: 1,
};

export interface AccuracyOptions {
  readonly device: Device;
  readonly reference: Device;
  /** A zoo preset name or an ONNX file path, as the user named it. */
  readonly model: string;
  /** The model's bytes or file, opened on both devices. */
  readonly source: ModelSource;
  /** Vocabulary of token-id inputs (zoo decoders know theirs); null: from the logits width, else the inputs' default. */
  readonly vocabSize: number | null;
  /** Seeded samples (default 4); sample i uses seed + i. */
  readonly samples?: number;
  readonly seed?: number;
  /** Values for symbolic dims (default batch_size 1, sequence_length 8). */
  readonly dims?: Readonly<Record<string, number>>;
  /** Greedy tokens to generate for decoder models (default 16; 0 skips generation). */
  readonly tokens?: number;
  /** Thresholds over the defaults (flags and/or a criteria file, flags last). */
  readonly criteria?: Partial<AccuracyCriteria>;
  /** Zoo models only: build the weights and activations in this type (float16: llama presets). */
  readonly dtype?: 'float32' | 'float16';
  /** The user's own samples (an inputs folder, checked against the model), compared instead of seeded ones; `dims` as the files bind them. */
  readonly inputs?: {
    readonly folder: string;
    readonly feeds: readonly Readonly<Record<string, Tensor>>[];
    readonly dims: Readonly<Record<string, number>>;
  };
}

export interface OutputAccuracy {
  readonly name: string;
  readonly type: string;
  readonly dims: readonly number[];
  /** Worst and mean over samples. */
  readonly minCosine: number | null;
  readonly meanCosine: number | null;
  readonly maxAbsError: number;
  readonly maxRelError: number;
  readonly nonFinite: number;
  /** For logits (an output named *logits*): rows compared and agreeing fractions; else null. */
  readonly topK: { readonly rows: number; readonly top1: number; readonly top5: number } | null;
}

export interface GenerationAccuracy {
  readonly tokens: number;
  readonly samples: readonly {
    readonly prompt: readonly number[];
    readonly device: readonly number[];
    readonly reference: readonly number[];
    /** First step (0 = the token after the prompt) where the choices differ; null when all K agree. */
    readonly firstDivergence: number | null;
  }[];
  /** Mean over samples of (steps before the first divergence) / K. */
  readonly agreement: number;
  /** Samples whose K tokens all agree. */
  readonly exact: number;
  /**
   * Teacher-forced decode: both devices fed the reference's greedy tokens through their own KV
   * caches, last-position logits compared at every step (prefill included), so the cache path is
   * measured even after the free-running tokens diverge.
   */
  readonly decode: { readonly steps: number; readonly minCosine: number | null; readonly maxAbsError: number; readonly top1: number };
}

export interface AccuracyCheck {
  readonly name: keyof AccuracyCriteria;
  readonly value: number | null;
  readonly threshold: number;
  readonly pass: boolean;
}

/** What runAccuracy returns and `npuval accuracy --json` prints (plain JSON). */
export interface AccuracyResult {
  readonly schema: 'npuval.accuracy/1';
  readonly model: string;
  /** The zoo build type asked for (--dtype), null when the model is used as it is. */
  readonly dtype: 'float32' | 'float16' | null;
  readonly device: string;
  readonly reference: string;
  readonly samples: number;
  readonly seed: number;
  /** The inputs folder the samples came from; null: seeded samples. */
  readonly inputs: string | null;
  readonly dims: Readonly<Record<string, number>>;
  readonly outputs: readonly OutputAccuracy[];
  readonly generation: GenerationAccuracy | null;
  /** Why generation was not run, when it was not. */
  readonly generationNote: string | null;
  readonly criteria: AccuracyCriteria;
  readonly checks: readonly AccuracyCheck[];
  readonly pass: boolean;
}

/**
 * Runs the comparison. Journal records: `accuracy.start`, one `accuracy.sample` per sample (per-output
 * stats), `accuracy.generation`, `accuracy.end` (checks, pass). Bad model/spec → exit 2; a device
 * that cannot open the model → its own error.
 */
export async function runAccuracy(opts: AccuracyOptions, journal: Journal | null): Promise<AccuracyResult> {
  const samples = opts.inputs?.feeds.length ?? opts.samples ?? 4;
  const seed = opts.seed ?? 0;
  const tokens = opts.tokens ?? 16;
  if (!Number.isInteger(samples) || samples < 1) throw new InputError(`--samples ${samples} must be a positive integer`);
  if (!Number.isInteger(tokens) || tokens < 0) throw new InputError(`--tokens ${tokens} must be a non-negative integer`);
  const criteria: AccuracyCriteria = { ...DEFAULT_CRITERIA, ...opts.criteria };
  checkCriteria(criteria);
  const { source, vocabSize, device, reference } = opts;
  const dims = opts.inputs ? { ...opts.inputs.dims } : { batch_size: 1, sequence_length: 8, ...opts.dims };
  journal?.append('accuracy.start', {
    model: opts.model,
    device: device.id,
    reference: reference.id,
    samples,
    seed,
    dims,
    tokens,
    criteria: { ...criteria },
  });

  const fail =
    (id: string, what: string) =>
    (err: unknown): never => {
      const message = `${id} could not ${what} ${opts.model}: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
      journal?.append('accuracy.error', { device: id, message });
      // A bad spec or model keeps its own exit code; a device that fails on a valid model is a failed run (1).
      if (typeof (err as { exitCode?: unknown })?.exitCode === 'number') throw err;
      // A file that is not a valid ONNX model is bad input (exit 2), not a device failure.
      if ('path' in source && what === 'open') inspectFile(source.path);
      throw new AccuracyRunError(message);
    };
  const sd = await device.open(source).catch(fail(device.id, 'open'));
  const sr = await reference.open(source).catch(async (err) => {
    await sd.close();
    return fail(reference.id, 'open')(err);
  });
  try {
    // A misspelt --dim name (batch=2 for batch_size) would otherwise be ignored silently.
    const symbolic = new Set(sd.inputs.flatMap((i) => (i.shape ?? []).filter((d): d is string => typeof d === 'string')));
    const unknownDims = Object.keys(opts.dims ?? {}).filter((d) => !symbolic.has(d));
    if (unknownDims.length) {
      throw new InputError(
        `--dim ${unknownDims.join(', ')}: ${opts.model} has no input dim of that name; its symbolic input dims are ${symbolic.size ? [...symbolic].join(', ') : 'none'}`,
      );
    }
    const perOutput = new Map<
      string,
      {
        type: string;
        dims: number[];
        cos: (number | null)[];
        abs: number;
        rel: number;
        nonFinite: number;
        rows: number;
        top1: number;
        top5: number;
        logits: boolean;
      }
    >();
    const vocab = vocabSize ?? logitsWidth(sd);
    const prompts: number[][] = [];
    for (let i = 0; i < samples; i++) {
      const feeds = opts.inputs?.feeds[i] ?? seededInputs(sd.inputs, { seed: seed + i, dims, vocabSize: vocab ?? undefined });
      const ids = feeds.input_ids;
      if (ids) for (let b = 0; b < ids.dims[0]!; b++) prompts.push(rowOf(ids, b));
      const od = await sd.run(feeds).catch(fail(device.id, 'run'));
      const or = await sr.run(feeds).catch(fail(reference.id, 'run'));
      const sampleStats: Record<string, unknown> = {};
      for (const info of sd.outputs) {
        const a = od[info.name],
          r = or[info.name];
        if (!isTensor(a) || !isTensor(r)) continue;
        const fa = toFloat64(a),
          fr = toFloat64(r);
        if (fa.length !== fr.length)
          throw new InputError(`output "${info.name}" has ${fa.length} elements on ${device.id} but ${fr.length} on ${reference.id}`);
        const s = pairStats(fa, fr);
        const logits = /logits/i.test(info.name) && r.dims.length >= 2;
        const k = logits ? topKAgreement(fa, fr, r.dims[r.dims.length - 1]!) : null;
        const acc = perOutput.get(info.name) ?? {
          type: r.type,
          dims: [...r.dims],
          cos: [],
          abs: 0,
          rel: 0,
          nonFinite: 0,
          rows: 0,
          top1: 0,
          top5: 0,
          logits,
        };
        acc.cos.push(s.cosine);
        acc.abs = Math.max(acc.abs, s.maxAbsError);
        acc.rel = Math.max(acc.rel, s.maxRelError);
        acc.nonFinite += s.nonFinite;
        if (k) {
          acc.rows += k.rows;
          acc.top1 += k.top1;
          acc.top5 += k.top5;
        }
        perOutput.set(info.name, acc);
        sampleStats[info.name] = { ...s, ...(k ? { topK: k } : {}) };
      }
      journal?.append('accuracy.sample', { sample: i, seed: seed + i, outputs: sampleStats });
    }
    const outputs: OutputAccuracy[] = [...perOutput.entries()].map(([name, a]) => {
      const finite = a.cos.filter((c): c is number => c !== null);
      const anyNull = finite.length !== a.cos.length;
      return {
        name,
        type: a.type,
        dims: a.dims,
        minCosine: anyNull || finite.length === 0 ? null : Math.min(...finite),
        meanCosine: finite.length ? finite.reduce((x, y) => x + y, 0) / finite.length : null,
        maxAbsError: a.abs,
        maxRelError: a.rel,
        nonFinite: a.nonFinite,
        topK: a.logits ? { rows: a.rows, top1: a.top1 / a.rows, top5: a.top5 / a.rows } : null,
      };
    });

    let generation: GenerationAccuracy | null = null;
    let generationNote: string | null = null;
    if (tokens === 0) generationNote = 'generation not requested (--tokens 0)';
    else {
      const decoders = decoderPair(sd, sr, opts.model);
      if (typeof decoders === 'string') generationNote = decoders;
      else {
        generation = await greedyAgreement(decoders[0], decoders[1], prompts, tokens).catch(
          fail(`${device.id} or ${reference.id}`, 'generate with'),
        );
        journal?.append('accuracy.generation', { ...generation });
      }
    }

    const checks = evaluate(criteria, outputs, generation);
    const pass = checks.every((c) => c.pass);
    journal?.append('accuracy.end', { checks, pass });
    return {
      schema: 'npuval.accuracy/1',
      model: opts.model,
      dtype: opts.dtype ?? null,
      device: device.id,
      reference: reference.id,
      samples,
      seed,
      inputs: opts.inputs?.folder ?? null,
      dims,
      outputs,
      generation,
      generationNote,
      criteria,
      checks,
      pass,
    };
  } finally {
    await Promise.all([sd.close(), sr.close()]);
  }
}

/** Greedy generation of K tokens from each prompt on both devices; where do the choices first differ. */
async function greedyAgreement(
  dev: DecoderModel,
  ref: DecoderModel,
  prompts: readonly number[][],
  tokens: number,
): Promise<GenerationAccuracy> {
  const out: GenerationAccuracy['samples'][number][] = [];
  for (const prompt of prompts) {
    const [gd, gr] = [await generateStatic(dev, [prompt], tokens), await generateStatic(ref, [prompt], tokens)];
    const d = gd.tokens[0]!,
      r = gr.tokens[0]!;
    out.push({ prompt, device: d, reference: r, firstDivergence: firstDivergence(d, r) });
  }
  const agreement = out.reduce((s, x) => s + (x.firstDivergence ?? tokens) / tokens, 0) / out.length;
  const decode = await teacherForced(
    dev,
    ref,
    out.map((x) => ({ prompt: x.prompt, forced: x.reference })),
  );
  return { tokens, samples: out, agreement, exact: out.filter((x) => x.firstDivergence === null).length, decode };
}

/** Runs prompt + forced tokens one step at a time on both decoders and compares each step's last-position logits. */
async function teacherForced(
  dev: DecoderModel,
  ref: DecoderModel,
  runs: readonly { prompt: readonly number[]; forced: readonly number[] }[],
): Promise<GenerationAccuracy['decode']> {
  let steps = 0,
    top1 = 0,
    maxAbs = 0;
  let minCos: number | null = 1;
  for (const { prompt, forced } of runs) {
    const total = prompt.length + forced.length;
    const mask = new BigInt64Array(total).fill(1n);
    const ids = BigInt64Array.from(prompt, BigInt);
    const pos = BigInt64Array.from(prompt, (_, i) => BigInt(i));
    let [a, b] = [
      await dev.forward(ids, pos, mask.subarray(0, prompt.length), 1, dev.emptyCache(1)),
      await ref.forward(ids, pos, mask.subarray(0, prompt.length), 1, ref.emptyCache(1)),
    ];
    // The last forced token is never fed: its logits would choose a token past the K compared.
    for (let step = 0; ; step++) {
      const la = lastRow(a.logits),
        lb = lastRow(b.logits);
      const st = pairStats(la, lb);
      steps++;
      minCos = minCos === null || st.cosine === null ? null : Math.min(minCos, st.cosine);
      maxAbs = Math.max(maxAbs, st.maxAbsError);
      if (topKAgreement(la, lb, lb.length).top1 === 1) top1++;
      if (step + 1 >= forced.length) break;
      const context = prompt.length + step;
      const id = BigInt64Array.of(BigInt(forced[step]!)),
        p = BigInt64Array.of(BigInt(context));
      [a, b] = [
        await dev.forward(id, p, mask.subarray(0, context + 1), 1, a.present),
        await ref.forward(id, p, mask.subarray(0, context + 1), 1, b.present),
      ];
    }
  }
  return { steps, minCosine: minCos, maxAbsError: maxAbs, top1: steps ? top1 / steps : 1 };
}

/** The last position's row of [1, seq, vocab] logits, as float64. */
function lastRow(logits: Tensor): Float64Array {
  const all = toFloat64(logits);
  const vocab = logits.dims[logits.dims.length - 1]!;
  return all.subarray(all.length - vocab);
}

/** The first step where two token sequences differ (a length difference counts), null when equal. */
export function firstDivergence(a: readonly number[], b: readonly number[]): number | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return null;
}

function decoderPair(sd: Session, sr: Session, label: string): [DecoderModel, DecoderModel] | string {
  try {
    return [new DecoderModel(sd, label), new DecoderModel(sr, label)];
  } catch (err) {
    return `not a decoder-with-past model, so no greedy generation: ${(err as Error).message}`;
  }
}

/** Every threshold that is set becomes a check; values come from the worst output/sample/decode step. */
export function evaluate(c: AccuracyCriteria, outputs: readonly OutputAccuracy[], gen: GenerationAccuracy | null): AccuracyCheck[] {
  const checks: AccuracyCheck[] = [];
  const add = (name: keyof AccuracyCriteria, value: number | null, ok: (v: number, t: number) => boolean) => {
    const t = c[name];
    if (t === null) return;
    checks.push({ name, value, threshold: t, pass: value !== null && ok(value, t) });
  };
  const min = (xs: (number | null)[]) => (xs.some((x) => x === null) || xs.length === 0 ? null : Math.min(...(xs as number[])));
  // Teacher-forced decode logits (the KV-cache path) count with the outputs for cosine, abs error and top-1.
  const decode = gen?.decode ?? null;
  add('minCosine', min([...outputs.map((o) => o.minCosine), ...(decode ? [decode.minCosine] : [])]), (v, t) => v >= t);
  add('maxAbsError', Math.max(0, ...outputs.map((o) => o.maxAbsError), decode?.maxAbsError ?? 0), (v, t) => v <= t);
  add('maxRelError', Math.max(0, ...outputs.map((o) => o.maxRelError)), (v, t) => v <= t);
  const logits = outputs.filter((o) => o.topK);
  if (logits.length) {
    add('minTop1', Math.min(...logits.map((o) => o.topK!.top1), decode?.top1 ?? 1), (v, t) => v >= t);
    add('minTop5', Math.min(...logits.map((o) => o.topK!.top5)), (v, t) => v >= t);
  }
  if (gen) add('minTokenAgreement', gen.agreement, (v, t) => v >= t);
  return checks;
}

/**
 * Reads a criteria file (JSON or YAML) with any of the AccuracyCriteria keys; null switches a
 * check off. Unknown keys or non-numbers are bad input (exit 2).
 */
export function readCriteriaFile(path: string): Partial<AccuracyCriteria> {
  const text = readInputText(path, '--criteria');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(`--criteria ${path} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseCriteria(doc, `--criteria ${path}`);
}

/** Thresholds from a parsed object (a criteria file, a suite unit's settings); `where` names the source in errors. */
export function parseCriteria(doc: unknown, where: string): Partial<AccuracyCriteria> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError(`${where} must hold an object of thresholds`);
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!(k in DEFAULT_CRITERIA))
      throw new InputError(`${where} has unknown key "${k}" (expected ${Object.keys(DEFAULT_CRITERIA).join(', ')})`);
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) throw new InputError(`${where} key "${k}" must be a number or null`);
    out[k] = v as number | null;
  }
  checkCriteria({ ...DEFAULT_CRITERIA, ...out });
  return out as Partial<AccuracyCriteria>;
}

/** Thresholds outside their metric's range (a cosine above 1, a NaN flag) could never pass or never fail. */
function checkCriteria(c: AccuracyCriteria): void {
  const ranges: Record<keyof AccuracyCriteria, [number, number]> = {
    minCosine: [-1, 1],
    maxAbsError: [0, Infinity],
    maxRelError: [0, Infinity],
    minTop1: [0, 1],
    minTop5: [0, 1],
    minTokenAgreement: [0, 1],
  };
  for (const [k, [lo, hi]] of Object.entries(ranges) as [keyof AccuracyCriteria, [number, number]][]) {
    const v = c[k];
    if (v !== null && !(v >= lo && v <= hi)) throw new InputError(`accuracy threshold ${k} = ${v} is outside ${lo}…${hi}`);
  }
}

function logitsWidth(s: Session): number | null {
  const logits = s.outputs.find((o) => /logits/i.test(o.name));
  const last = logits?.shape?.[logits.shape.length - 1];
  return typeof last === 'number' ? last : null;
}

function rowOf(ids: Tensor, b: number): number[] {
  const width = ids.dims[ids.dims.length - 1]!;
  return Array.from((ids.data as BigInt64Array).subarray(b * width, (b + 1) * width), Number);
}
