// The child-process side of `--isolate`: a long-lived process that opens the device once and runs
// the cases the parent sends, one at a time, over Node's IPC channel. If a case crashes or hangs
// the runtime, only this process dies; the parent records the case and starts another child.
import { createDevice } from '../../devices/index.js';
import type { DeviceKind, OpenOptions } from '../../devices/types.js';
import { runCase, type CaseContext } from './case-runner.js';
import { ToleranceResolver } from './tolerances.js';
import type { CaseResult, DeviceClass, TestCase, ToleranceOverride, ToleranceProfile } from './types.js';

/** Parent → child. */
export type ToWorker =
  | {
      readonly type: 'init';
      readonly spec: string;
      readonly openOptions: OpenOptions;
      readonly deviceClass: DeviceClass;
      readonly profiles: readonly ToleranceProfile[];
      readonly overrides: readonly ToleranceOverride[];
    }
  | { readonly type: 'case'; readonly seq: number; readonly testCase: TestCase };

/** Child → parent. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'result'; readonly seq: number; readonly result: CaseResult };

/**
 * Serves cases over IPC until the parent disconnects. `beforeCase` lets a test worker misbehave
 * on purpose (crash, hang) to exercise the parent's recovery; product code passes nothing.
 */
export function startWorker(beforeCase?: (tc: TestCase) => void | Promise<void>): void {
  const send = (m: FromWorker) => process.send?.(m);
  let ctx: CaseContext | null = null;
  // Cases arrive one at a time (the parent waits for each result), but chain anyway so order holds.
  let chain: Promise<void> = Promise.resolve();
  process.on('message', (raw: unknown) => {
    const msg = raw as ToWorker;
    chain = chain.then(async () => {
      if (msg.type === 'init') {
        try {
          const device = createDevice(msg.spec);
          ctx = {
            device,
            deviceKind: device.kind as DeviceKind,
            openOptions: msg.openOptions,
            tolerances: new ToleranceResolver(msg.deviceClass, msg.profiles, msg.overrides),
          };
          send({ type: 'ready' });
        } catch (err) {
          send({ type: 'fatal', message: (err as Error).message });
        }
        return;
      }
      if (!ctx) {
        send({ type: 'fatal', message: 'case received before init' });
        return;
      }
      if (beforeCase) await beforeCase(msg.testCase);
      send({ type: 'result', seq: msg.seq, result: await runCase(msg.testCase, ctx) });
    });
  });
  process.on('disconnect', () => process.exit(0));
}
