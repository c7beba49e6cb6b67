// The progress line: elapsed time, queries done and the current rate, redrawn in place on
// stderr — only when stderr is a terminal, and never under --json.
import { performance } from 'node:perf_hooks';
import type { ProgressCounters } from './drivers.js';

export interface Progress {
  readonly counters: ProgressCounters;
  /** Clears the line and stops redrawing. */
  stop(): void;
}

export function startProgress(label: string, enabled: boolean, stream: NodeJS.WriteStream = process.stderr, everyMs = 250): Progress {
  const counters: ProgressCounters = { startMs: 0, queries: 0, samples: 0 };
  if (!enabled || !stream.isTTY) return { counters, stop: () => {} };
  let last = { t: performance.now(), samples: 0 };
  const timer = setInterval(() => {
    if (counters.startMs === 0) {
      stream.write(`\r${label}: warming up\x1b[K`);
      return;
    }
    const now = performance.now();
    const rate = ((counters.samples - last.samples) / (now - last.t)) * 1000;
    last = { t: now, samples: counters.samples };
    const elapsed = ((now - counters.startMs) / 1000).toFixed(1);
    stream.write(`\r${label}: ${elapsed} s, ${counters.queries} queries, ${rate.toFixed(1)} samples/s now\x1b[K`);
  }, everyMs);
  timer.unref();
  return {
    counters,
    stop: () => {
      clearInterval(timer);
      stream.write('\r\x1b[K');
    },
  };
}
