#!/usr/bin/env node
// Thin launcher for the reference proc: adapter (ONNX Runtime in its own process), compiled to dist/ by
// `npm run build`: `npuval bench --device 'proc:node adapters/ort-node/main.js' …`. Source and notes:
// devices/proc/adapters/ort-node/main.ts; the protocol: devices/PROTOCOL.md.
import('../../dist/devices/proc/adapters/ort-node/main.js');
