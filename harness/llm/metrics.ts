// LLM serving metrics, defined once (docs/llm.md; metric definitions in reports/metrics.ts), computed from
// timestamps only. Times are ms on one monotonic clock (performance.now()), stored relative to the
// run's origin so records stay readable.
import { PERCENTILE_RULE_LABELS, percentile, summarize, type PercentileRule, type Statistics } from '../stats.js';
import { meetsSlo, type Slo } from './slo.js';

/** What a client observed of one request; every field is measured. */
export interface RequestObservation {
  readonly index: number;
  /** When the load plan scheduled it (rate mode), else null (closed loop: it starts when sent). */
  readonly scheduledMs: number | null;
  /** When it was sent. */
  readonly sentMs: number;
  /** Arrival time of each chunk that carried non-empty content, in order. */
  readonly contentMs: readonly number[];
  /** When the stream ended: [DONE], connection close, or the error. */
  readonly endMs: number;
  readonly ok: boolean;
  readonly error: string | null;
  readonly promptTokens: number | null;
  /** The server's own count (usage chunk), null when it reported none. */
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number } | null;
  /** The client's own count of output tokens. */
  readonly clientTokens: number;
}

/** One request's derived metrics (ms); null where the definition does not apply. */
export interface RequestMetrics extends RequestObservation {
  /** Request start: the scheduled time when there is one (issue delay counts), else the send time. */
  readonly startMs: number;
  readonly outputTokens: number;
  /** Prompt tokens: the server's usage count when sent, else the count sent (null when only text was sent and no usage came). */
  readonly inputTokens: number | null;
  readonly tokenSource: 'usage' | 'client';
  /** usage.completion_tokens ≠ client count; null when the server sent no usage. */
  readonly usageMismatch: boolean | null;
  /** first non-empty content − start. */
  readonly ttftMs: number | null;
  /** last content − start. */
  readonly e2eMs: number | null;
  /** (E2E − TTFT)/(output tokens − 1); needs ≥ 2 tokens. */
  readonly tpotMs: number | null;
  /** Every gap between consecutive content chunks. */
  readonly iclMs: readonly number[];
  /** The user's decode speed, 1000 / TPOT (AIPerf's output_token_throughput_per_user); null without a TPOT. */
  readonly tokensPerSPerUser: number | null;
}

/** The error of a request that ended without error but carried no content token: it failed. */
export const NO_TOKENS = 'no tokens in the response';

export function requestMetrics(observed: RequestObservation): RequestMetrics {
  // A response without any content token is a failed request, however it ended.
  const o = observed.ok && observed.contentMs.length === 0 ? { ...observed, ok: false, error: NO_TOKENS } : observed;
  const startMs = o.scheduledMs ?? o.sentMs;
  const outputTokens = o.usage ? o.usage.completionTokens : o.clientTokens;
  const first = o.contentMs[0];
  const last = o.contentMs[o.contentMs.length - 1];
  const ttftMs = first === undefined ? null : first - startMs;
  const e2eMs = last === undefined ? null : last - startMs;
  const tpotMs = ttftMs !== null && e2eMs !== null && outputTokens >= 2 ? (e2eMs - ttftMs) / (outputTokens - 1) : null;
  const iclMs = o.contentMs.slice(1).map((t, i) => t - o.contentMs[i]!);
  return {
    ...o,
    startMs,
    outputTokens,
    tokenSource: o.usage ? 'usage' : 'client',
    usageMismatch: o.usage ? o.usage.completionTokens !== o.clientTokens : null,
    inputTokens: o.usage ? o.usage.promptTokens : o.promptTokens,
    ttftMs,
    e2eMs,
    tpotMs,
    iclMs,
    tokensPerSPerUser: tpotMs !== null && tpotMs > 0 ? 1000 / tpotMs : null,
  };
}

/** LLM statistics use numpy's interpolated percentile, as AIPerf and vLLM do; SLO verdicts keep LoadGen's rule (slo.ts). */
export const LLM_PERCENTILE_RULE: PercentileRule = 'linear';

export interface SloVerdict {
  readonly slo: Slo;
  /** Requests meeting every bound (failed requests never do). */
  readonly goodRequests: number;
  /** goodRequests / duration. */
  readonly goodputRps: number | null;
  /** The run meets the SLO when each bound holds at the SLO's percentile over all requests (a failed request counts as over every bound). */
  readonly met: boolean;
  readonly reasons: readonly string[];
}

export interface RunSummary {
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Failed requests by error message. */
  readonly errors: Readonly<Record<string, number>>;
  /** last response end − first request start (s). */
  readonly durationS: number | null;
  /** How the percentiles of every Statistics here were computed (PERCENTILE_RULE_LABELS.linear). */
  readonly percentileRule: string;
  readonly outputTokens: number;
  /** Prompt tokens of the succeeded requests (those with a known count; see inputTokensCounted). */
  readonly inputTokens: number;
  /** Succeeded requests whose prompt token count is known (sent as ids, or usage reported). */
  readonly inputTokensCounted: number;
  readonly outputTokensPerS: number | null;
  /** inputTokens / duration; null when any succeeded request's prompt count is unknown. */
  readonly inputTokensPerS: number | null;
  /** (input + output tokens) / duration = inputTokensPerS + outputTokensPerS; null when input is. */
  readonly totalTokensPerS: number | null;
  readonly requestsPerS: number | null;
  readonly usageMismatches: number;
  readonly usageReported: number;
  readonly ttft: Statistics | null;
  readonly tpot: Statistics | null;
  readonly icl: Statistics | null;
  readonly e2e: Statistics | null;
  /** Output sequence length: output tokens of each succeeded request. */
  readonly outputTokensPerRequest: Statistics | null;
  /** Input sequence length: prompt tokens of each succeeded request whose count is known. */
  readonly inputTokensPerRequest: Statistics | null;
  /** Each user's decode speed, 1000 / TPOT per request (tokens/s). */
  readonly tokensPerSPerUser: Statistics | null;
  readonly slo: SloVerdict | null;
}

export function summarizeRun(results: readonly RequestMetrics[], slo: Slo | null = null): RunSummary {
  const ok = results.filter((r) => r.ok);
  const errors: Record<string, number> = {};
  for (const r of results) if (!r.ok) errors[r.error ?? 'unknown error'] = (errors[r.error ?? 'unknown error'] ?? 0) + 1;
  const durationMs = results.length ? Math.max(...results.map((r) => r.endMs)) - Math.min(...results.map((r) => r.startMs)) : null;
  const durationS = durationMs === null || durationMs <= 0 ? null : durationMs / 1000;
  const outputTokens = ok.reduce((s, r) => s + r.outputTokens, 0);
  const nums = (f: (r: RequestMetrics) => number | null) => ok.map(f).filter((v): v is number => v !== null);
  const stats = (values: readonly number[], unit: string) => summarize(values, unit, LLM_PERCENTILE_RULE);
  const inputs = nums((r) => r.inputTokens);
  const inputTokens = inputs.reduce((a, v) => a + v, 0);
  const inputTokensPerS = durationS && inputs.length === ok.length ? inputTokens / durationS : null;
  const outputTokensPerS = durationS ? outputTokens / durationS : null;
  return {
    requests: results.length,
    succeeded: ok.length,
    failed: results.length - ok.length,
    errors,
    durationS,
    percentileRule: PERCENTILE_RULE_LABELS[LLM_PERCENTILE_RULE],
    outputTokens,
    inputTokens,
    inputTokensCounted: inputs.length,
    outputTokensPerS,
    inputTokensPerS,
    totalTokensPerS: inputTokensPerS !== null && outputTokensPerS !== null ? inputTokensPerS + outputTokensPerS : null,
    requestsPerS: durationS ? ok.length / durationS : null,
    usageMismatches: results.filter((r) => r.usageMismatch === true).length,
    usageReported: results.filter((r) => r.usage !== null).length,
    ttft: stats(
      nums((r) => r.ttftMs),
      'ms',
    ),
    tpot: stats(
      nums((r) => r.tpotMs),
      'ms',
    ),
    icl: stats(
      ok.flatMap((r) => r.iclMs),
      'ms',
    ),
    e2e: stats(
      nums((r) => r.e2eMs),
      'ms',
    ),
    outputTokensPerRequest: stats(
      ok.map((r) => r.outputTokens),
      'tokens',
    ),
    inputTokensPerRequest: stats(inputs, 'tokens'),
    tokensPerSPerUser: stats(
      nums((r) => r.tokensPerSPerUser),
      'tokens/s',
    ),
    slo: slo ? sloVerdict(results, slo, durationS) : null,
  };
}

function sloVerdict(results: readonly RequestMetrics[], slo: Slo, durationS: number | null): SloVerdict {
  const goodRequests = results.filter((r) => meetsSlo(r, slo)).length;
  const reasons: string[] = [];
  const p = slo.percentile / 100;
  const check = (name: string, bound: number | undefined, value: (r: RequestMetrics) => number | null, skipNull: boolean) => {
    if (bound === undefined) return;
    // Failed requests (and missing values, where the metric applies) count as over the bound.
    const values = results
      .filter((r) => !(r.ok && skipNull && value(r) === null))
      .map((r) => (r.ok ? (value(r) ?? Infinity) : Infinity))
      .sort((a, b) => a - b);
    if (values.length === 0) return;
    // MLPerf's Server rule, so LoadGen's order statistic (not the interpolated percentile of the statistics).
    const at = percentile(values, p);
    if (at > bound)
      reasons.push(
        `p${slo.percentile} ${name} ${Number.isFinite(at) ? at.toFixed(1) + ' ms' : '(failed requests)'} > ${bound} ms (LoadGen order statistic)`,
      );
  };
  check('TTFT', slo.ttftMs, (r) => r.ttftMs, false);
  check('TPOT', slo.tpotMs, (r) => r.tpotMs, true);
  check('E2E', slo.e2eMs, (r) => r.e2eMs, false);
  if (results.length === 0) reasons.push('no requests');
  return { slo, goodRequests, goodputRps: durationS ? goodRequests / durationS : null, met: reasons.length === 0, reasons };
}
