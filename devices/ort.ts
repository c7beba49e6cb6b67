// Moved to devices/ort/ (one folder per adapter). Kept for harness/run/environment.ts and the
// test/models tests, which import it by name; remove once they use devices/index.ts.
export { OrtDevice, ORT_EP_NAMES, bundledEps, ortVersion } from './ort/index.js';
