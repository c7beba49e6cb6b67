// Entry point of a conformance child process (forked by pool.ts for `--isolate`).
import { startWorker } from './worker.js';

startWorker();
