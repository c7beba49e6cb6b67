// Every command that works, in the order --help lists them.
import type { Command } from './types.js';
import { devicesCommand } from './devices.js';
import { runCommand } from './run.js';
import { reportCommand } from './report.js';
import { compareCommand } from './compare.js';
import { conformanceCommand } from './conformance.js';
import { accuracyCommand } from './accuracy.js';
import { benchCommand } from './bench.js';
import { microCommand } from './micro.js';
import { modelsCommand } from './models.js';
import { llmCommand } from './llm.js';
import { serveCommand } from './serve.js';
import { clusterCommand } from './cluster.js';
import { adapterCheckCommand } from './adapter-check.js';
import { targetsCommand } from './targets.js';

export const commands: readonly Command<never>[] = [
  devicesCommand,
  runCommand,
  reportCommand,
  compareCommand,
  conformanceCommand,
  accuracyCommand,
  benchCommand,
  microCommand,
  modelsCommand,
  llmCommand,
  serveCommand,
  clusterCommand,
  targetsCommand,
  adapterCheckCommand,
];
