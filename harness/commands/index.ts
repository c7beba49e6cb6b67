// Every command that works, in the order --help lists them.
import type { Command } from './types.js';
import { devicesCommand } from './devices.js';

export const commands: readonly Command<never>[] = [devicesCommand];
