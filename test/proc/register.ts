// Loaded with `node --import` by the proc tests' CLI (helpers.ts): the proc: adapter and the
// adapter-check command, until devices/adapters.ts imports devices/proc and harness/commands/index.ts
// lists adapter-check (both pending; docs/proc.md). A module runs once per process and the command is
// added only when missing, so this stays right after those lines land; delete it then.
import '../../devices/proc/index.js';
import { adapterCheckCommand } from '../../harness/commands/adapter-check.js';
import { commands } from '../../harness/commands/index.js';
import type { Command } from '../../harness/commands/types.js';

if (!commands.includes(adapterCheckCommand as Command<never>)) (commands as Command<never>[]).push(adapterCheckCommand as Command<never>);
