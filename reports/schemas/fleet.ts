// JSON Schema (2020-12) of a fleet inventory file (`npuval targets --fleet FILE`): catalog devices
// × counts, and for each line optionally the device spec in a run whose measured rate stands for
// that catalog device (a stand-in on this machine, or the real device's spec on the testbed).
import { arrayOf, nonEmpty, strictObject, type Schema } from './common.js';

export const FLEET_VERSION = '1.0.0';
export const FLEET_ID = `https://npuval.dev/schemas/fleet/${FLEET_VERSION}.json`;

export const fleetSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: FLEET_ID,
  title: 'npuval fleet inventory',
  ...strictObject(
    {
      $schema: { const: FLEET_ID },
      name: nonEmpty,
      description: { type: 'string' },
      /** Precision to count PF at (harness/targets.ts EVAL_PRECISIONS); default dense 16-bit float. */
      precision: nonEmpty,
      devices: {
        ...arrayOf(
          strictObject(
            {
              /** Catalog id (devices/catalog.json), e.g. furiosa-rngd. */
              device: nonEmpty,
              count: { type: 'integer', minimum: 0 },
              /** Device spec in the run whose measured effective TFLOP/s stands for this catalog device. */
              measuredBy: nonEmpty,
              note: { type: 'string' },
            },
            ['measuredBy', 'note'],
          ),
        ),
        minItems: 1,
      },
    },
    ['$schema', 'description', 'precision'],
  ),
};
