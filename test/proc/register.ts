// Loaded with `node --import` by the proc tests' CLI (helpers.ts): the proc: adapter, until
// devices/adapters.ts imports devices/proc (pending; docs/proc.md). A module runs once per process, so
// this stays right after that line lands; delete it then. (The command guard below is a no-op now that
// harness/commands/index.ts lists adapter-check.)
import '../../devices/proc/index.js';
import { adapterCheckCommand } from '../../harness/commands/adapter-check.js';
import { commands } from '../../harness/commands/index.js';
import type { Command } from '../../harness/commands/types.js';

if (!commands.includes(adapterCheckCommand as Command<never>)) (commands as Command<never>[]).push(adapterCheckCommand as Command<never>);
