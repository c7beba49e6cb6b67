// `npm run docs`: writes docs/reference/{settings,metrics,cli}.md from the code. With --check it
// writes nothing and exits 1 listing the pages that are stale (the test suite runs that).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from '../commands/index.js';
import { cliReference, metricsReference, settingsReference } from './reference.js';

/** Every command the CLI lists, by its name (the first word of its yargs command string). */
export const COMMANDS = commands.map((c) => String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0]!);

/** The pages, by path relative to the repository root. */
export function referencePages(root: string): Record<string, string> {
  const help = (command: string) => {
    // A fixed width and no TTY, so the text is the same on every machine.
    const r = spawnSync(process.execPath, [join(root, 'bin', 'npuval.js'), command, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '100' },
    });
    if (r.status !== 0) throw new Error(`npuval ${command} --help failed: ${r.stderr}`);
    return { command, help: r.stdout };
  };
  return {
    'docs/reference/settings.md': settingsReference(),
    'docs/reference/metrics.md': metricsReference(),
    'docs/reference/cli.md': cliReference(COMMANDS.map(help)),
  };
}

/** The pages whose committed text differs from what the code generates. */
export function stalePages(root: string): string[] {
  return Object.entries(referencePages(root))
    .filter(([path, text]) => !existsSync(join(root, path)) || readFileSync(join(root, path), 'utf8') !== text)
    .map(([path]) => path);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  if (process.argv.includes('--check')) {
    const stale = stalePages(root);
    if (stale.length) {
      process.stderr.write(`stale: ${stale.join(', ')}; run npm run docs\n`);
      process.exitCode = 1;
    }
  } else {
    for (const [path, text] of Object.entries(referencePages(root))) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
}
