// Shared text helpers for the renderers.
import { formatValue, metric } from '../metrics.js';
import type { UnitRecord } from '../types.js';

export function validityLabel(u: UnitRecord): string {
  return u.validity.valid === null ? '—' : u.validity.valid ? 'VALID' : 'INVALID';
}

/** The metrics a unit's row shows first, in registry order, skipping the rest. */
export const HEADLINE: Record<string, readonly string[]> = {
  scenario: ['samples_per_second', 'latency_p50_ms', 'latency_p90_ms', 'latency_p99_ms', 'effective_tflops', 'utilization_pct'],
  micro: ['latency_p50_ms', 'latency_p90_ms', 'session_open_ms', 'achieved_gflops'],
  conformance: ['conformance_pass_rate_pct', 'conformance_cases', 'conformance_passed', 'conformance_failed', 'conformance_unsupported', 'conformance_errors', 'op_coverage_pct'],
  accuracy: ['cosine_similarity_min', 'max_abs_error', 'max_rel_error', 'top1_agreement_pct', 'token_agreement_pct'],
  llm: ['ttft_p99_ms', 'tpot_p99_ms', 'output_tokens_per_second', 'goodput_rps'],
  cluster: ['samples_per_second', 'output_tokens_per_second', 'scaling_efficiency_pct'],
};

/** The headline metric names of a unit, in order; Offline has no meaningful latency headline. */
export function headlineNames(u: UnitRecord): string[] {
  const offline = u.kind === 'scenario' && u.result?.scenario === 'offline';
  return (HEADLINE[u.kind] ?? []).filter((n) => n in u.metrics && !(offline && n.startsWith('latency_')));
}

/** "label value unit", without repeating a label that is the unit (e.g. "72 cases"). */
export function headlineText(u: UnitRecord): string[] {
  return headlineNames(u).map((n) => {
    const def = metric(n);
    const value = formatValue(n, u.metrics[n] ?? null);
    return def.label === def.unit ? value : `${def.label} ${value}`;
  });
}

export function bytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} B`;
}
