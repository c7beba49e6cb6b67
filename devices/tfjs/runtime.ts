// Loads TensorFlow.js and switches its (process-global) engine to one of the two backends the
// tfjs devices use. tfjs keeps one active backend per process; tensors made on another backend are
// moved by the engine when read, so sessions on tfjs:wasm and tfjs:cpu may coexist.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths, getThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';

export { tf };

export type TfjsBackendName = 'wasm' | 'cpu';

// PROD silences the Node banner the cpu backend prints on first use (it recommends tfjs-node, which
// cannot install here) and skips per-op debug checks.
tf.env().set('PROD', true);

let wasmPathsSet = false;

/** Directory holding the backend's .wasm binaries, resolved from the installed package (works from src and dist). */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

/**
 * Makes `name` the active tfjs backend, initialising it on first use. Throws when the backend cannot
 * start here (the caller maps that to "device unavailable").
 */
export async function useBackend(name: TfjsBackendName): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    // A file path prefix: in Node the wasm backend reads the binaries from disk, never from a CDN.
    setWasmPaths(wasmDir());
    wasmPathsSet = true;
  }
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js could not initialise its "${name}" backend`);
  await tf.ready();
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` with `name` as the active backend, after every earlier call has finished. tfjs has one
 * global engine and switching is synchronous once a backend is initialised, so sessions on
 * different backends must take turns: without the queue, two overlapping runs would keep switching
 * the backend under each other. `work` must be synchronous (dataSync, no awaits).
 */
export function runExclusive<T>(name: TfjsBackendName, work: () => T): Promise<T> {
  const turn = queue.then(async () => {
    await useBackend(name);
    return work();
  });
  queue = turn.catch(() => undefined);
  return turn;
}

/** Versions and build features, for describe(); the thread count is known only once wasm has started. */
export async function runtimeFacts(
  name: TfjsBackendName,
): Promise<{ coreVersion: string; backendVersion: string; options: Record<string, string> }> {
  const options: Record<string, string> = {};
  if (name === 'wasm') {
    // Async flags: the wasm backend detects SIMD and threads (SharedArrayBuffer + workers) by feature tests.
    options.simd = String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    options.multithread = String(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    if (tf.findBackend('wasm')) options.threads = String(getThreadsCount());
  }
  return { coreVersion: tf.version_core, backendVersion: name === 'wasm' ? version_wasm : version_cpu, options };
}
