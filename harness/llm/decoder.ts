// Moved to harness/serve/decoder.ts (the engine's model). Kept for harness/accuracy and
// test/models/zoo-cache.test.ts, which import it here; remove once they import serve/decoder.js.
export { argmaxLast, DecoderModel, type ForwardResult, type KvCache, type KvGeometry } from '../serve/decoder.js';
