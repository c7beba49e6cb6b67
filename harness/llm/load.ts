// Load generation for LLM serving (GenAI-Perf/AIPerf, vLLM `bench serve`): closed-loop
// concurrency, or a request rate with gamma-distributed gaps optionally capped by concurrency.
// The driver only decides WHEN each request is issued; `issue` does the work and records it.
import { arrivalGaps } from './random.js';

export interface LoadPlan {
  readonly requests: number;
  /** Closed loop: this many in flight, the next sent when one finishes. With `rate`: the cap. */
  readonly concurrency?: number;
  /** Requests/s (Infinity: all at once). */
  readonly rate?: number;
  /** Gamma shape of the gaps; 1 = Poisson. */
  readonly burstiness?: number;
  readonly seed?: number;
}

/**
 * Issues `plan.requests` requests and resolves when all have settled. `issue(i, scheduledMs)` gets
 * the planned send time (performance.now() ms) in rate mode, null in closed loop; it must not reject.
 * With a concurrency cap in rate mode, a request waits for a free slot after its scheduled time
 * (AIPerf's sleep-then-gate, no catch-up); the wait counts in its latency (the latency clock of docs/scenarios.md).
 */
export async function driveLoad(
  plan: LoadPlan,
  issue: (index: number, scheduledMs: number | null) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const n = plan.requests;
  if (plan.rate === undefined) {
    const workers = Math.max(1, Math.min(plan.concurrency ?? 1, n));
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < n && !signal?.aborted) await issue(next++, null);
      }),
    );
    return;
  }
  const gaps = arrivalGaps(n, plan.rate, plan.burstiness ?? 1, plan.seed ?? 0);
  const slots = new Slots(plan.concurrency ?? Infinity);
  const t0 = performance.now();
  let at = t0;
  const running: Promise<void>[] = [];
  for (let i = 0; i < n && !signal?.aborted; i++) {
    // The first request goes at t0; then gap by gap.
    if (i > 0) at += gaps[i]!;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    await slots.acquire();
    const scheduled = at;
    running.push(issue(i, scheduled).finally(() => slots.release()));
  }
  await Promise.all(running);
}

class Slots {
  private free: number;
  private waiting: (() => void)[] = [];
  constructor(count: number) {
    this.free = count;
  }
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
