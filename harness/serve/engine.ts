// Continuous batching (Orca/vLLM-style iteration-level scheduling) on a decoder-with-past model:
// requests join the running batch at step boundaries and leave when done, each with its own
// context length. Choice: one batched KV cache, LEFT-padded to the longest sequence, with
// attention_mask zeros over each sequence's padding and position_ids per sequence. Steps feed the
// presents straight back (no copy); only a join or a leave re-packs the cache (one copy of it).
// Requests joining at one step boundary are prefilled before they join, those with equal prompt
// lengths in one batched run; each one's first token comes from that prefill. There is no EOS: each
// request generates its max tokens (dummy weights) unless its onToken ends it (a stop sequence).
// Each request picks its tokens with its own chooser (greedy unless it brings a sampler).
import type { Tensor } from '../../devices/types.js';
import type { DecoderModel, ForwardResult, KvCache } from './decoder.js';
import { greedy, type TokenChooser } from './sampling.js';

export interface EngineRequest {
  readonly prompt: readonly number[];
  readonly maxTokens: number;
  /** Called with each token as soon as it is chosen (timeMs: performance.now()); returning true ends the request after that token. */
  readonly onToken?: (token: number, timeMs: number) => boolean | void;
  /** Picks the next token from the logits (default greedy). */
  readonly choose?: TokenChooser;
  readonly signal?: AbortSignal;
}

export interface EngineResult {
  readonly tokens: number[];
  readonly promptTokens: number;
  /** 'length': max tokens reached; 'stop': onToken ended it. */
  readonly finishReason: 'length' | 'stop';
}

export interface EngineStats {
  readonly maxBatch: number;
  /** Largest number of sequences decoded in one step. */
  readonly maxBatchSeen: number;
  readonly decodeSteps: number;
  /** Prefill runs (a run may prefill several joining requests of one prompt length). */
  readonly prefills: number;
  readonly tokens: number;
  /** Decode steps by batch size. */
  readonly stepsByBatch: Readonly<Record<string, number>>;
  /** Times the cache was re-packed (a join or a leave). */
  readonly repacks: number;
}

interface Sequence {
  readonly request: EngineRequest;
  readonly tokens: number[];
  /** Tokens in the cache for this sequence. */
  len: number;
  /** It reached max tokens or was stopped. */
  finished: boolean;
  resolve(r: EngineResult): void;
  reject(e: Error): void;
}

interface Row {
  readonly seq: Sequence;
  /** Where its cache is: a cache, the row in it, and that cache's length. */
  readonly cache: KvCache;
  readonly row: number;
  readonly cacheLen: number;
}

export class BatchEngine {
  private readonly queue: Sequence[] = [];
  private active: Sequence[] = [];
  private cache: KvCache | null = null;
  private cacheLen = 0;
  private running = false;
  private stats = { maxBatchSeen: 0, decodeSteps: 0, prefills: 0, tokens: 0, repacks: 0, stepsByBatch: {} as Record<string, number> };

  constructor(
    private readonly model: DecoderModel,
    readonly maxBatch: number,
  ) {
    if (!(maxBatch >= 1)) throw new RangeError('max batch must be at least 1');
  }

  /** Queues a request; resolves with its tokens when done, rejects if it fails or is aborted. */
  submit(request: EngineRequest): Promise<EngineResult> {
    return new Promise((resolve, reject) => {
      if (request.prompt.length === 0 || request.maxTokens < 1) {
        reject(new RangeError('a request needs at least one prompt token and max tokens ≥ 1'));
        return;
      }
      this.queue.push({ request, tokens: [], len: 0, finished: false, resolve, reject });
      if (!this.running) {
        this.running = true;
        void this.loop();
      }
    });
  }

  /** The decoder's label (its model name or file), for the sessions that serve it. */
  get label(): string {
    return this.model.label;
  }

  snapshot(): EngineStats {
    return { maxBatch: this.maxBatch, ...this.stats, stepsByBatch: { ...this.stats.stepsByBatch } };
  }

  private emit(seq: Sequence, token: number): boolean {
    seq.tokens.push(token);
    this.stats.tokens++;
    const stop = seq.request.onToken?.(token, performance.now()) === true;
    if (stop || seq.tokens.length >= seq.request.maxTokens) {
      seq.finished = true;
      seq.resolve({ tokens: seq.tokens, promptTokens: seq.request.prompt.length, finishReason: stop ? 'stop' : 'length' });
      return true;
    }
    return false;
  }

  /** Runs until nothing is queued or active; `running` drops in the same tick as the last check, so a submit never finds a loop that is about to stop. */
  private async loop(): Promise<void> {
    for (;;) {
      if (!this.queue.length && !this.active.length) {
        this.running = false;
        return;
      }
      try {
        await this.iterate();
      } catch (err) {
        // A failed run takes down the sequences in it; the engine carries on with the queue.
        const e = err instanceof Error ? err : new Error(String(err));
        for (const s of this.active) s.reject(e);
        this.active = [];
        this.cache = null;
        this.cacheLen = 0;
      }
    }
  }

  private async iterate(): Promise<void> {
    // Rows the next cache is packed from: survivors of the current batch, then joiners.
    let changed = false;
    let rows: Row[] = [];
    this.active.forEach((seq, row) => {
      if (seq.request.signal?.aborted) {
        seq.reject(abortError(seq.request.signal));
        changed = true;
      } else rows.push({ seq, cache: this.cache!, row, cacheLen: this.cacheLen });
    });
    // Joiners: as many as there are free slots; those with equal prompt lengths share one prefill.
    const joiners: Sequence[] = [];
    while (rows.length + joiners.length < this.maxBatch && this.queue.length) {
      const seq = this.queue.shift()!;
      if (seq.request.signal?.aborted) seq.reject(abortError(seq.request.signal));
      else joiners.push(seq);
      changed = true;
    }
    const byLength = new Map<number, Sequence[]>();
    for (const seq of joiners) byLength.set(seq.request.prompt.length, [...(byLength.get(seq.request.prompt.length) ?? []), seq]);
    for (const group of byLength.values()) {
      const present = await this.prefill(group);
      if (!present) continue;
      group.forEach((seq, row) => {
        if (!seq.finished) rows.push({ seq, cache: present, row, cacheLen: seq.len });
      });
    }
    if (changed) this.repack(rows);
    if (this.active.length === 0) return;

    // One decode step for the whole batch.
    const batch = this.active.length;
    const L = this.cacheLen;
    const ids = new BigInt64Array(batch);
    const pos = new BigInt64Array(batch);
    const mask = new BigInt64Array(batch * (L + 1));
    this.active.forEach((s, b) => {
      ids[b] = BigInt(s.tokens[s.tokens.length - 1]!);
      pos[b] = BigInt(s.len);
      mask.fill(1n, b * (L + 1) + (L - s.len), (b + 1) * (L + 1));
    });
    const { logits, present } = await this.model.forward(ids, pos, mask, batch, this.cache!);
    this.stats.decodeSteps++;
    this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, batch);
    this.stats.stepsByBatch[batch] = (this.stats.stepsByBatch[batch] ?? 0) + 1;
    this.cache = present;
    this.cacheLen = L + 1;
    const finished: Sequence[] = [];
    this.active.forEach((s, b) => {
      s.len++;
      if (this.emit(s, choose(s, logits, b))) finished.push(s);
    });
    if (finished.length) {
      rows = [];
      this.active.forEach((seq, row) => {
        if (!finished.includes(seq)) rows.push({ seq, cache: this.cache!, row, cacheLen: this.cacheLen });
      });
      this.repack(rows);
    }
  }

  /** Prefills sequences of one prompt length together; returns their cache (row i = group[i]), or null if the run failed. */
  private async prefill(group: Sequence[]): Promise<KvCache | null> {
    const P = group[0]!.request.prompt.length;
    const B = group.length;
    const ids = new BigInt64Array(B * P);
    const pos = new BigInt64Array(B * P);
    for (const [b, seq] of group.entries()) {
      for (const [i, t] of seq.request.prompt.entries()) {
        ids[b * P + i] = BigInt(t);
        pos[b * P + i] = BigInt(i);
      }
    }
    const mask = new BigInt64Array(B * P).fill(1n);
    let result: ForwardResult;
    try {
      result = await this.model.forward(ids, pos, mask, B, this.model.emptyCache(B));
    } catch (err) {
      for (const seq of group) seq.reject(err instanceof Error ? err : new Error(String(err)));
      return null;
    }
    this.stats.prefills++;
    const done = group.map((seq, b) => {
      seq.len = P;
      return this.emit(seq, choose(seq, result.logits, b));
    });
    // A request can end on its first token (max tokens 1, or a stop): it never joins the batch.
    return done.every(Boolean) ? null : result.present;
  }

  /** Packs the rows into one left-padded cache (length = longest row). */
  private repack(rows: Row[]): void {
    this.active = rows.map((r) => r.seq);
    if (rows.length === 0) {
      this.cache = null;
      this.cacheLen = 0;
      return;
    }
    this.stats.repacks++;
    const { kvHeads, headDim } = this.model.geometry;
    const L = Math.max(...rows.map((r) => r.seq.len));
    const B = rows.length;
    const template = rows[0]!.cache;
    this.cache = template.map((t, i) => {
      const data = newLike(t.data as Float32Array | Uint16Array, B * kvHeads * L * headDim);
      rows.forEach((r, b) => {
        const src = r.cache[i]!.data as Float32Array | Uint16Array;
        const n = r.seq.len * headDim;
        for (let h = 0; h < kvHeads; h++) {
          const from = ((r.row * kvHeads + h) * r.cacheLen + (r.cacheLen - r.seq.len)) * headDim;
          const to = ((b * kvHeads + h) * L + (L - r.seq.len)) * headDim;
          data.set(src.subarray(from, from + n), to);
        }
      });
      return { type: t.type, dims: [B, kvHeads, L, headDim], data } satisfies Tensor;
    });
    this.cacheLen = L;
  }
}

function choose(seq: Sequence, logits: Tensor, row: number): number {
  return (seq.request.choose ?? greedy)(logits, row);
}

function newLike(a: Float32Array | Uint16Array, length: number): Float32Array | Uint16Array {
  return a instanceof Uint16Array ? new Uint16Array(length) : new Float32Array(length);
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error('cancelled');
}
