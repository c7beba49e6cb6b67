// Static-batch generation: one prefill over the whole batch, then token-by-token decode with the
// KV cache, greedy. Buffers are allocated once per call; presents are fed back as pasts as they came.
import { argmaxLast, type DecoderModel } from '../serve/decoder.js';

export interface StaticGeneration {
  /** Generated ids per sequence (genLen each: there is no early stop, as with ignore_eos). */
  readonly tokens: number[][];
  /** performance.now() when generation began (inputs built, first run about to start). */
  readonly startMs: number;
  /** performance.now() when each step's tokens were chosen; [0] is the prefill's (first token). */
  readonly tokenMs: number[];
}

/** Generates `genLen` tokens for each prompt; all prompts must have the same length. */
export async function generateStatic(
  model: DecoderModel,
  prompts: readonly (readonly number[])[],
  genLen: number,
): Promise<StaticGeneration> {
  const batch = prompts.length;
  const promptLen = prompts[0]!.length;
  if (prompts.some((p) => p.length !== promptLen)) throw new RangeError('a static batch needs prompts of one length');
  if (promptLen === 0 || genLen < 1) throw new RangeError('prompt length and generation length must be at least 1');
  // All-ones mask for the longest context; each step views its prefix (the layout is row-major
  // [batch, total], and a prefix of ones is ones of any shape).
  const maskAll = new BigInt64Array(batch * (promptLen + genLen)).fill(1n);
  const ids = new BigInt64Array(batch * promptLen);
  const positions = new BigInt64Array(batch * promptLen);
  for (const [b, p] of prompts.entries()) {
    for (const [s, t] of p.entries()) {
      ids[b * promptLen + s] = BigInt(t);
      positions[b * promptLen + s] = BigInt(s);
    }
  }
  const stepIds = new BigInt64Array(batch);
  const stepPos = new BigInt64Array(batch);
  const chosen = new Int32Array(batch);
  const tokens = prompts.map(() => [] as number[]);
  const tokenMs: number[] = [];

  const startMs = performance.now();
  let { logits, present } = await model.forward(ids, positions, maskAll.subarray(0, batch * promptLen), batch, model.emptyCache(batch));
  for (let step = 0; ; step++) {
    argmaxLast(logits, chosen);
    tokenMs.push(performance.now());
    for (let b = 0; b < batch; b++) tokens[b]!.push(chosen[b]!);
    if (step + 1 === genLen) break;
    const context = promptLen + step; // tokens already in the cache
    for (let b = 0; b < batch; b++) {
      stepIds[b] = BigInt(chosen[b]!);
      stepPos[b] = BigInt(context);
    }
    ({ logits, present } = await model.forward(stepIds, stepPos, maskAll.subarray(0, batch * (context + 1)), batch, present));
  }
  return { tokens, startMs, tokenMs };
}
