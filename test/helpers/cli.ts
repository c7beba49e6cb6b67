// Test helper: runs the npuval CLI in a child process, compiled (bin/npuval.js → dist) when the
// test itself is compiled, or from the TypeScript sources through tsx when run with `npx tsx`.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const compiled = import.meta.url.endsWith('.js');
const root = fileURLToPath(new URL(compiled ? '../../../' : '../../', import.meta.url));

function command(args: readonly string[]): { cmd: string; argv: string[] } {
  if (compiled) return { cmd: process.execPath, argv: [root + 'bin/npuval.js', ...args] };
  const cli = root + 'harness/cli.ts';
  const code = `import { main } from ${JSON.stringify(cli)}; main(JSON.parse(process.env.NPUVAL_TEST_ARGV)).then((c) => { process.exitCode = c; });`;
  return { cmd: process.execPath, argv: ['--import', 'tsx', '--input-type=module', '--eval', code] };
}

function env(args: readonly string[]): NodeJS.ProcessEnv {
  return { ...process.env, NPUVAL_TEST_ARGV: JSON.stringify(args) };
}

export function npuval(...args: string[]): SpawnSyncReturns<string> {
  const { cmd, argv } = command(args);
  return spawnSync(cmd, argv, { encoding: 'utf8', env: env(args), cwd: root, maxBuffer: 64 << 20 });
}

export function npuvalAsync(...args: string[]): ChildProcess {
  const { cmd, argv } = command(args);
  return spawn(cmd, argv, { env: env(args), cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

export const repoRoot = root;
