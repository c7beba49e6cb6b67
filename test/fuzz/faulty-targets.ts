// Readers with known faults, for the engine's own test (fuzz.test.ts): the engine must report a
// crash where one throws a TypeError, and a hang where one never returns.
import type { FuzzTarget } from './targets.js';

const seeds = () => [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)];

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'crashes-on-zero',
    reads: 'bytes; a zero byte throws a TypeError, anything else over 200 a documented RangeError',
    seeds,
    run: (input) => {
      if (input.includes(0)) (null as unknown as { x: number }).x;
      if (input.some((b) => b > 200)) throw new RangeError('a byte over 200');
    },
    expected: (err) => err instanceof RangeError,
  },
  {
    name: 'hangs-on-truncation',
    reads: 'bytes; fewer than 8 loop forever',
    seeds,
    run: (input) => {
      while (input.length < 8) input = input.subarray(0);
    },
    expected: () => false,
  },
];
