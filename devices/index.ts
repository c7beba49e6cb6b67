// The public entry of devices/: the registry's functions with every adapter registered, the
// interfaces and the errors. Code outside devices/ imports this (or types.ts, errors.ts), never an
// adapter by name; what it needs of an adapter is a capability on Device.
import './adapters.js';

export { candidateSpecs, checkSpecs, createDevice, probe, probeAll, registerAdapter, type Adapter } from './registry.js';
export { parseDeviceSpec, type DeviceSpec } from './spec.js';
export { parseOptions, type OptionSchema, type OptionType, type OptionValues } from './options.js';
export { probeModelBytes } from './probe.js';
// The report's environment section records the bundled ONNX Runtime, whichever devices a run uses.
export { bundledEps, ortVersion } from './ort/runtime.js';
export * from './errors.js';
export type * from './types.js';
