// The tfjs reference devices; see device.ts.
export { TfjsDevice, TFJS_BACKENDS, type TfjsBackend } from './device.js';
