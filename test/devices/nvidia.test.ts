import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseNvidiaSmiGpus } from '../../devices/nvidia.js';
import { findCatalogEntry } from '../../devices/catalog.js';

// Recorded from the lent H100 machine (nvidia-smi, driver 580.159.04); not produced on this host.
const RECORDED = '0, NVIDIA H100 80GB HBM3, 580.159.04, 81559\n';

test('nvidia-smi GPU query output parses into index, name, driver and memory', () => {
  assert.equal(parseNvidiaSmiGpus(RECORDED), [{ index: 0, name: 'NVIDIA H100 80GB HBM3', driver: '580.159.04', memoryMiB: 81559 }]);
  assert.equal(parseNvidiaSmiGpus('\n  \n'), []);
  assert.is(parseNvidiaSmiGpus('0, NVIDIA A100, 535.1, [N/A]')[0]!.memoryMiB, null);
});

test('the recorded H100 name maps to the H100 SXM catalog entry', () => {
  const gpu = parseNvidiaSmiGpus(RECORDED)[0]!;
  assert.is(findCatalogEntry(gpu.name)?.id, 'nvidia-h100-sxm');
});

test.run();
