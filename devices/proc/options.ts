// What a `proc:` session may be told (OpenOptions.options), typed. A proc spec's text after "proc:" is
// all command line, so these come per open() (e.g. adapter-check's short run timeout); the timeouts
// of the connection itself are fixed here and written in devices/PROTOCOL.md.
import type { OptionSchema } from '../options.js';
import type { ConnectionTimeouts } from './connection.js';

export const PROC_OPTIONS = {
  loadTimeoutMs: {
    type: 'int',
    min: 1,
    doc: 'how long a load may take before the adapter counts as hung and is killed (default 600000: compilers for NPUs take minutes)',
  },
  runTimeoutMs: {
    type: 'int',
    min: 1,
    doc: 'how long one run may take, transfers included, before the adapter counts as hung and is killed (default 600000)',
  },
} as const satisfies OptionSchema;

export const DEFAULT_LOAD_TIMEOUT_MS = 600_000;
export const DEFAULT_RUN_TIMEOUT_MS = 600_000;

export const CONNECTION_TIMEOUTS: ConnectionTimeouts = {
  handshakeMs: 60_000,
  heartbeatMs: 1000,
  byeMs: 5000,
  idleMs: 30_000,
};
