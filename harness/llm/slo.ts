// Service-level objectives for LLM serving: per-request bounds (goodput counts requests meeting
// all of them) and, for a run, the same bounds at a percentile (MLPerf's Server rule, p99).
import { InputError } from '../errors.js';

export interface Slo {
  /** Bounds in ms; a missing bound is not checked. */
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly e2eMs?: number;
  /** Percentile as a percent, (0, 100], at which a run must meet the bounds; MLPerf uses 99. */
  readonly percentile: number;
  /** Where the figures come from (preset name and source), or 'user'. */
  readonly source: string;
}

/**
 * MLPerf Inference LLM Server latency constraints, from mlcommons/inference loadgen/mlperf.conf
 * (commit 001712e9daf80386e0dda43f97b8f36981d792c4): `llama3_1-8b.Server.ttft_latency = 2000`,
 * `tpot_latency = 100`; `llama3_1-8b-interactive.Server.ttft_latency = 500`, `tpot_latency = 30`;
 * `*.Server.target_latency_percentile = 99`.
 */
const MLPERF_CONF = 'mlcommons/inference loadgen/mlperf.conf @001712e9';
export const SLO_PRESETS: Readonly<Record<string, Slo>> = {
  'mlperf:llama3.1-8b': {
    ttftMs: 2000,
    tpotMs: 100,
    percentile: 99,
    source: `mlperf:llama3.1-8b (${MLPERF_CONF}: llama3_1-8b.Server ttft_latency 2000, tpot_latency 100, p99)`,
  },
  'mlperf:llama3.1-8b-interactive': {
    ttftMs: 500,
    tpotMs: 30,
    percentile: 99,
    source: `mlperf:llama3.1-8b-interactive (${MLPERF_CONF}: llama3_1-8b-interactive.Server ttft_latency 500, tpot_latency 30, p99)`,
  },
};

/**
 * Parses `ttft=500,tpot=30,e2e=10000[,p=99]` (ms) or a preset name; `where` names the source in
 * errors (the flag, or a suite unit's setting). p takes a percent or a fraction alike, so p=99 and
 * p=0.99 are the same: a value up to 1 is a fraction (LoadGen's target_latency_percentile, as
 * `bench --latency-percentile` takes it), a larger one a percent (as MLPerf's "p99" names it).
 */
export function parseSlo(text: string, where = '--slo'): Slo {
  const preset = SLO_PRESETS[text.trim()];
  if (preset) return preset;
  const out: { ttftMs?: number; tpotMs?: number; e2eMs?: number; percentile: number } = { percentile: 99 };
  const seen = new Set<string>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(ttft|tpot|e2e|p)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) {
      throw new InputError(
        `${where} "${text}": "${part}" is not key=number with key ttft, tpot, e2e (ms) or p (percentile: 99 or 0.99); presets: ${Object.keys(SLO_PRESETS).join(', ')}`,
      );
    }
    const value = Number(m[2]);
    if (seen.has(m[1])) throw new InputError(`${where} "${text}": ${m[1]} is given more than once`);
    seen.add(m[1]);
    if (m[1] === 'p') {
      if (!(value > 0 && value <= 100)) {
        throw new InputError(
          `${where} "${text}": percentile p=${m[2]} is neither a fraction in (0, 1] nor a percent in (1, 100] (p=99 and p=0.99 both mean the 99th)`,
        );
      }
      // Rounded so that 0.999 gives 99.9, not 99.89999999999999.
      out.percentile = value > 1 ? value : Number((value * 100).toPrecision(12));
    } else if (m[1] === 'ttft') out.ttftMs = value;
    else if (m[1] === 'tpot') out.tpotMs = value;
    else out.e2eMs = value;
  }
  if (out.ttftMs === undefined && out.tpotMs === undefined && out.e2eMs === undefined) {
    throw new InputError(
      `${where} "${text}" sets no bound; give ttft=, tpot= or e2e= in ms, or a preset (${Object.keys(SLO_PRESETS).join(', ')})`,
    );
  }
  return { ...out, source: 'user' };
}

/** The per-request figures an SLO is checked against. */
export interface SloSubject {
  readonly ok: boolean;
  readonly ttftMs: number | null;
  readonly tpotMs: number | null;
  readonly e2eMs: number | null;
}

/**
 * True when a request meets every bound. A failed request never does; a request without a TPOT
 * (one output token) is not held to the TPOT bound, as vLLM's goodput treats it.
 */
export function meetsSlo(r: SloSubject, slo: Slo): boolean {
  if (!r.ok) return false;
  if (slo.ttftMs !== undefined && (r.ttftMs === null || r.ttftMs > slo.ttftMs)) return false;
  if (slo.tpotMs !== undefined && r.tpotMs !== null && r.tpotMs > slo.tpotMs) return false;
  if (slo.e2eMs !== undefined && (r.e2eMs === null || r.e2eMs > slo.e2eMs)) return false;
  return true;
}
