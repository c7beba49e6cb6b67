// The LLM report as text: one table of throughput per point, one of every per-request metric's
// statistics (mean, median, tail; the percentile rule stated), the prefill/decode split, the
// per-endpoint shares and the SLA search. `npuval llm` prints it; the llm unit's render() uses it.
import { table } from '../output.js';
import type { Statistics } from '../stats.js';
import { overheadLine, type LlmPoint, type LlmReport } from './run.js';

const n = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '—' : v.toFixed(d));

/** The whole LLM report as text: the console of `npuval llm` and the llm unit's lines. */
export function renderLlmReport(r: LlmReport): string {
  const lines: string[] = [`${r.device.id} · ${r.model.name} (${r.model.source}${r.model.dtype ? `, ${r.model.dtype}` : ''})`];
  if (r.bandwidth) {
    for (const m of r.bandwidth.measurements)
      lines.push(`memory bandwidth ${n(m.bytesPerS / 1e9)} GB/s best, ${n(m.medianBytesPerS / 1e9)} median — ${m.method}`);
    lines.push(...r.bandwidth.notes);
  }
  if (r.httpOverhead) lines.push(overheadLine(r.httpOverhead));
  lines.push('');
  lines.push(
    table(
      ['point', 'ok/all', 'req/s', 'in tok/s', 'out tok/s', 'total tok/s', 'in flight', 'goodput'],
      r.points.map((p) => {
        const s = p.summary;
        return [
          p.label,
          `${s.succeeded}/${s.requests}`,
          n(s.requestsPerS, 2),
          n(s.inputTokensPerS),
          n(s.outputTokensPerS),
          n(s.totalTokensPerS),
          p.maxInFlight ?? '—',
          s.slo ? `${n(s.slo.goodputRps, 2)}/s${s.slo.met ? '' : ' (missed)'}` : '—',
        ];
      }),
    ),
  );
  lines.push('', ...statisticsLines(r.points));
  const spread = r.points.filter((p) => p.endpoints?.length);
  if (spread.length) {
    lines.push('');
    if (r.cluster) lines.push(`one load over ${r.cluster.devices.length} endpoints, ${r.cluster.balance}:`);
    lines.push(
      table(
        ['point', 'endpoint', 'ok/all', 'out tok/s', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'TPOT p99'],
        spread.flatMap((p) =>
          p.endpoints!.map((e) => [
            p.label,
            e.device,
            `${e.succeeded}/${e.requests}`,
            n(e.outputTokensPerS),
            n(e.ttftP50Ms, 2),
            n(e.ttftP99Ms, 2),
            n(e.tpotP50Ms, 2),
            n(e.tpotP99Ms, 2),
          ]),
        ),
      ),
    );
  }
  const splits = r.points.filter((p) => p.split);
  if (splits.length) {
    lines.push('');
    lines.push(
      table(
        [
          'point',
          'prefill ms p50',
          'prefill TFLOP/s',
          'decode step p50',
          'decode tok/s',
          'decode TFLOP/s',
          'decode GB/s',
          'roofline tok/s',
          'of roofline',
        ],
        splits.map((p) => [
          p.label,
          n(p.split!.prefillMs?.p50, 2),
          n(p.split!.prefillTflops, 4),
          n(p.split!.decodeStepMs?.p50, 2),
          n(p.split!.decodeTokensPerS),
          n(p.split!.decodeTflops, 4),
          n(p.split!.decodeBytesPerS === null ? null : p.split!.decodeBytesPerS / 1e9, 2),
          n(p.split!.rooflineTokensPerS),
          n(p.split!.rooflineRatio, 2),
        ]),
      ),
    );
  }
  for (const p of r.points) {
    const errs = Object.entries(p.summary.errors);
    if (errs.length) lines.push(`${p.label}: failed requests: ${errs.map(([e, c]) => `${c}× ${e}`).join('; ')}`);
    if (p.summary.usageMismatches)
      lines.push(`${p.label}: ${p.summary.usageMismatches} request(s) where the server's usage count differs from the client's`);
    if (p.engine)
      lines.push(
        `${p.label}: engine max batch ${p.engine.maxBatchSeen} of ${p.engine.maxBatch}, decode steps by batch ${JSON.stringify(p.engine.stepsByBatch)}`,
      );
  }
  if (r.sla)
    lines.push(
      `SLA search (${r.sla.variable}, ${r.sla.slo.source}): best ${r.sla.best ?? 'none met the SLO'}; tried ${r.sla.tried.map((t) => `${t.value}${t.met ? '✓' : '✗'} (${t.requests} req)`).join(' ')}; requests: ${r.sla.requestsRule}`,
    );
  lines.push(...r.notes);
  return lines.join('\n');
}

/** The per-request metrics of a point, each with its statistics, in the order AIPerf's console lists them. */
const STATISTICS: readonly { readonly label: string; readonly of: (p: LlmPoint) => Statistics | null; readonly digits: number }[] = [
  { label: 'TTFT ms', of: (p) => p.summary.ttft, digits: 2 },
  { label: 'TPOT ms', of: (p) => p.summary.tpot, digits: 2 },
  { label: 'ICL ms', of: (p) => p.summary.icl, digits: 2 },
  { label: 'E2E ms', of: (p) => p.summary.e2e, digits: 1 },
  { label: 'tok/s per user', of: (p) => p.summary.tokensPerSPerUser, digits: 1 },
  { label: 'input tokens', of: (p) => p.summary.inputTokensPerRequest, digits: 1 },
  { label: 'output tokens', of: (p) => p.summary.outputTokensPerRequest, digits: 1 },
];

/** One table of every per-request metric's mean, median and tail per point, under the rule its percentiles used. */
export function statisticsLines(points: readonly LlmPoint[]): string[] {
  if (points.length === 0) return [];
  const rule = points[0]!.summary.percentileRule;
  return [
    `per-request statistics (percentiles: ${rule}):`,
    table(
      ['point', 'metric', 'mean', 'p50', 'p90', 'p95', 'p99', 'min', 'max', 'std'],
      points.flatMap((p) =>
        STATISTICS.map(({ label, of, digits }) => {
          const st = of(p);
          return [p.label, label, ...[st?.avg, st?.p50, st?.p90, st?.p95, st?.p99, st?.min, st?.max, st?.std].map((v) => n(v, digits))];
        }),
      ),
    ),
  ];
}
