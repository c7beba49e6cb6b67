// --help is laid out at word boundaries (yargs' ES build split words every N columns) and fits the
// width: the default (100, no terminal) and $COLUMNS=80.
import { spawn } from 'node:child_process';
import type { Argv } from 'yargs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commands } from '../../harness/commands/index.js';
import { repoRoot } from '../helpers/cli.js';

/** The texts a command's builder hands yargs (descriptions, usage, examples, epilogs), recorded by a stand-in Argv. */
function builderTexts(builder: (y: Argv) => Argv): string[] {
  const texts: string[] = [];
  const describe = (o: unknown) => {
    const d = (o as { describe?: unknown } | undefined)?.describe;
    if (typeof d === 'string') texts.push(d);
  };
  const stand: Argv = new Proxy({} as Argv, {
    get:
      (_, method) =>
      (...args: unknown[]) => {
        if (method === 'option' || method === 'positional') describe(args[1]);
        else if (method === 'options') Object.values(args[0] as Record<string, unknown>).forEach(describe);
        else if (method === 'usage' || method === 'epilog' || method === 'example')
          texts.push(...args.filter((a): a is string => typeof a === 'string'));
        return stand;
      },
  });
  builder(stand);
  return texts;
}

function help(command: string | null, columns: string | null): Promise<string> {
  const env = { ...process.env };
  delete env.COLUMNS;
  if (columns) env.COLUMNS = columns;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoRoot + 'bin/npuval.js', ...(command ? [command] : []), '--help'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`npuval ${command ?? ''} --help exited ${code}`))));
  });
}

/**
 * Words a description holds that the help must show whole. A word longer than the narrowest column
 * (an example's, at 80 columns) can only be broken, so words over 30 characters are left out.
 * cliui butts the type against a description that ends exactly where the type starts
 * ("else[boolean]", yargs/cliui#88), so a "[…" glued to a word is cut off before comparing.
 */
function words(text: string): string[] {
  return text
    .replace(/\$0/g, 'npuval')
    .split(/\s+/)
    .filter((w) => w.length > 0 && w.length <= 30);
}

const tokens = (out: string) =>
  new Set(out.split(/\s+/).flatMap((t) => [t, t.replace(/\[(boolean|string|number|array|required|choices|default).*$/, '')]));

const WIDTHS = [
  ['default', null, 100],
  ['COLUMNS=80', '80', 80],
] as const;

for (const [label, columns, width] of WIDTHS) {
  test(`--help at ${label}: no line over ${width} columns, no word of a description split`, async () => {
    const list: (string | null)[] = [null, ...commands.map((c) => String(c.command).split(' ')[0]!)];
    const outs = await Promise.all(list.map((c) => help(c, columns)));
    outs.forEach((out, i) => {
      const command = list[i] ?? '(top level)';
      for (const line of out.split('\n')) assert.ok([...line].length <= width, `${command}: ${[...line].length} columns: ${line}`);
      const shown = tokens(out);
      const texts = list[i] === null ? commands.map((c) => c.describe) : builderTexts(commands[i - 1]!.builder);
      for (const word of texts.flatMap(words)) assert.ok(shown.has(word), `${command} --help at ${label} splits "${word}"`);
    });
  });
}

test.run();
