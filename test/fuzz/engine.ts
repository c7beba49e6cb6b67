// The fuzz engine: input i of a campaign is a seed input mutated 1–4 times by a generator seeded
// from (campaign seed, i), so any input can be made again from its number alone. Inputs run in a
// worker thread; the main thread is the watchdog: when an input reports nothing for `hangMs`, the
// worker is terminated (a synchronous infinite loop cannot be interrupted any other way), the input
// is recorded as a hang and a fresh worker goes on with the next one.
//
// An outcome is "ok" (read), "rejected" (the reader's documented input error: what bad input must
// get) or "crash" (any other exception: a TypeError or RangeError from deep inside counts, unless
// the reader wraps it into its input error).
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { seededRng } from '../../harness/random.js';
import { BYTE_MUTATORS, corruptLengthField } from './mutate.js';
import type { FuzzTarget } from './targets.js';

export type Outcome = { readonly kind: 'ok' } | { readonly kind: 'rejected' | 'crash'; readonly message: string };

/** What the worker posts per input. */
export interface InputReport {
  readonly i: number;
  readonly outcome: Outcome;
}

export interface Finding {
  readonly i: number;
  readonly kind: 'crash' | 'hang';
  readonly message: string;
  readonly input: Uint8Array;
}

export interface CampaignResult {
  readonly target: string;
  readonly inputs: number;
  readonly ok: number;
  readonly rejected: number;
  readonly crashes: Finding[];
  readonly hangs: Finding[];
  /** Distinct rejection messages (numbers and quoted text folded), a rough measure of paths reached. */
  readonly distinctErrors: number;
  readonly seconds: number;
}

/** Where the inputs come from: mutations of the target's seeds, or given inputs (fixtures) replayed as they are. */
export type InputSource = { readonly seed: number; readonly count: number } | { readonly files: readonly string[] };

/**
 * The target's seeds as plain Uint8Arrays. Node Buffers (readFileSync, protobufjs' encoder) are not:
 * Buffer#slice is a view, so a mutation that copies with slice() would change the seed itself.
 */
export function seedsOf(target: FuzzTarget): Uint8Array[] {
  return target.seeds().map((s) => new Uint8Array(s));
}

/** Input i of a campaign: the first inputs are the seeds unchanged (they must read fine), then mutations. */
export function inputAt(target: FuzzTarget, seeds: readonly Uint8Array[], seed: number, i: number): Uint8Array {
  if (i < seeds.length) return seeds[i]!;
  const rng = seededRng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i, 0x85ebca6b)) >>> 0);
  let input = seeds[rng.int(seeds.length)]!;
  for (let round = 1 + rng.int(4); round > 0; round--) {
    const other = seeds[rng.int(seeds.length)]!;
    const r = rng.next();
    if (target.mutate && r < 0.5) input = target.mutate(rng, input, other);
    else if (target.lengthFields && r < 0.65) input = corruptLengthField(rng, input, target.lengthFields(input));
    else input = BYTE_MUTATORS[rng.int(BYTE_MUTATORS.length)]!(rng, input, other);
    if (Buffer.isBuffer(input)) input = new Uint8Array(input);
  }
  return input;
}

/** One line for an unexpected exception: its class, message, and where it was thrown (to tell crashes apart). */
export function describeCrash(err: unknown): string {
  if (!(err instanceof Error)) return `non-Error thrown: ${String(err).slice(0, 200)}`;
  const frame =
    err.stack
      ?.split('\n')
      .find((l) => l.trim().startsWith('at '))
      ?.trim() ?? '';
  return `${err.constructor.name}: ${err.message.slice(0, 200)} ${frame}`;
}

/** Runs one input through the target and classifies what happened. */
export async function runOne(target: FuzzTarget, input: Uint8Array, scratch: string): Promise<Outcome> {
  try {
    await target.run(input, scratch);
    return { kind: 'ok' };
  } catch (err) {
    if (target.expected(err)) return { kind: 'rejected', message: (err as Error).message };
    return { kind: 'crash', message: describeCrash(err) };
  }
}

/** A rejection message with the parts that vary per input folded, so messages count as kinds of refusal. */
function foldMessage(message: string): string {
  return message
    .slice(0, 160)
    .replace(/"[^"]*"/g, '"…"')
    .replace(/-?\d[\d.e+-]*/g, 'N');
}

/**
 * Runs a campaign against one target. `hangMs`: how long one input may run (the first also waits for
 * the worker to load the readers). Resolves with the counts and every crash and hang, inputs included.
 */
export async function campaign(
  target: FuzzTarget,
  source: InputSource,
  options: {
    readonly hangMs?: number;
    readonly onProgress?: (done: number) => void;
    /** The module whose TARGETS holds `target` (the worker imports it); targets.js by default. */
    readonly module?: URL;
  } = {},
): Promise<CampaignResult> {
  const hangMs = options.hangMs ?? 5000;
  const total = 'files' in source ? source.files.length : source.count;
  const seeds = 'files' in source ? [] : seedsOf(target);
  const started = performance.now();
  const crashes: Finding[] = [];
  const hangs: Finding[] = [];
  const errors = new Set<string>();
  let ok = 0;
  let rejected = 0;
  const inputOf = (i: number): Uint8Array =>
    'files' in source ? new Uint8Array(readFileSync(source.files[i]!)) : inputAt(target, seeds, source.seed, i);

  let next = 0;
  while (next < total) {
    const from = next;
    // Each worker runs from `from` until the end or until an input hangs.
    next = await new Promise<number>((resolveNext) => {
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { target: target.name, module: (options.module ?? new URL('./targets.js', import.meta.url)).href, source, from },
        // Readers' own warnings (YAML's unresolved tags) would flood the output: the outcome is what counts.
        execArgv: ['--no-warnings'],
      });
      let current = from;
      // Set once this worker's end is accounted for (a hang, an uncaught error), so 'exit' adds nothing.
      let settled = false;
      let timer: NodeJS.Timeout;
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          settled = true;
          hangs.push({ i: current, kind: 'hang', message: `no answer within ${ms} ms`, input: inputOf(current) });
          void worker.terminate().then(() => resolveNext(current + 1));
        }, ms);
      };
      // Loading the readers (protobufjs, ajv, ORT bindings) takes a while: until the worker is ready, more time.
      arm(hangMs + 20_000);
      worker.on('message', (r: InputReport | { ready: true }) => {
        arm(hangMs);
        if ('ready' in r) return;
        current = r.i + 1;
        options.onProgress?.(current);
        if (r.outcome.kind === 'ok') ok += 1;
        else if (r.outcome.kind === 'rejected') {
          rejected += 1;
          if (errors.size < 10_000) errors.add(foldMessage(r.outcome.message));
        } else crashes.push({ i: r.i, kind: 'crash', message: r.outcome.message, input: inputOf(r.i) });
      });
      // An error thrown outside the input's own call (an unhandled rejection it left behind) ends the worker: a crash.
      worker.on('error', (err) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        crashes.push({ i: current, kind: 'crash', message: `uncaught in the worker: ${describeCrash(err)}`, input: inputOf(current) });
        resolveNext(current + 1);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (settled) return;
        if (current >= total) return resolveNext(total);
        // The input took the whole thread down (process.exit, an abort in native code): a crash.
        crashes.push({ i: current, kind: 'crash', message: `the worker exited (code ${code}) on this input`, input: inputOf(current) });
        resolveNext(current + 1);
      });
    });
  }
  return {
    target: target.name,
    inputs: total,
    ok,
    rejected,
    crashes,
    hangs,
    distinctErrors: errors.size,
    seconds: (performance.now() - started) / 1000,
  };
}
