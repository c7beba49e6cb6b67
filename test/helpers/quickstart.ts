// Test helper: reads the quick starts out of README.md so that test/quickstart.test.ts runs what
// the README shows. A quick start is a ```sh block right after an HTML comment
// `<!-- quickstart:NAME -->`. Its lines are a small subset of shell, parsed here rather than run
// by a shell so that every command goes through the same CLI helper as the other tests:
//   - `NAME='value'` sets a variable; `$NAME` / `"$NAME"` / `${NAME}` use it;
//   - every other line is one `npx npuval …` (or `npuval …`) command; a trailing `\` continues it;
//   - `#` outside quotes starts a comment.
// Anything else (pipes, `&&`, other programs, unknown variables) is an error, so a README edit the
// test cannot follow fails loudly instead of being skipped.

export interface QuickStartCommand {
  /** The logical line as written (continuations joined), for messages. */
  readonly line: string;
  /** The npuval arguments, variables expanded. */
  readonly argv: readonly string[];
}

export interface QuickStart {
  readonly name: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly commands: readonly QuickStartCommand[];
}

/** Splits one logical line into words: single quotes literal, double quotes expand variables. */
function words(line: string, expand: (name: string) => string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const variable = (): string => {
    // At a `$`: `${NAME}` or `$NAME`.
    const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(line.slice(i));
    if (!m) throw new Error(`quick start line uses "$" in a way this parser does not follow: ${line}`);
    i += m[0].length;
    return expand(m[1] ?? m[2]!);
  };
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i += 1;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in quick start line: ${line}`);
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i += 1;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '$') cur += variable();
        else if (line[i] === '\\' && i + 1 < line.length) {
          cur += line[i + 1];
          i += 2;
        } else {
          cur += line[i];
          i += 1;
        }
      }
      if (line[i] !== '"') throw new Error(`unterminated " in quick start line: ${line}`);
      i += 1;
    } else if (c === '$') {
      cur += variable();
      inWord = true;
    } else if (/[|&;<>()`]/.test(c)) {
      throw new Error(`quick start line uses shell syntax (${c}) that this parser does not run: ${line}`);
    } else {
      cur += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** The ```sh block after `<!-- quickstart:NAME -->`, as lines. */
function block(readme: string, name: string): string[] {
  const marker = `<!-- quickstart:${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker}`);
  const m = /^\s*```(?:sh|bash)\n([\s\S]*?)\n```/.exec(readme.slice(at + marker.length));
  if (!m) throw new Error(`${marker} is not followed by a \`\`\`sh block`);
  return m[1]!.split('\n');
}

/** The names of every quick start marked in the README, in order. */
export function quickStartNames(readme: string): string[] {
  return [...readme.matchAll(/<!-- quickstart:([A-Za-z0-9_-]+) -->/g)].map((m) => m[1]!);
}

/**
 * Parses the quick start NAME. `overrides` replace variables the block sets (e.g. other device
 * specs); the block's own value is used otherwise.
 */
export function readQuickStart(readme: string, name: string, overrides: Readonly<Record<string, string>> = {}): QuickStart {
  const vars: Record<string, string> = {};
  const commands: QuickStartCommand[] = [];
  const lines = block(readme, name);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + lines[++i]!.trim();
    const expand = (v: string): string => {
      if (!(v in vars)) throw new Error(`quick start ${name} uses $${v} before setting it: ${line}`);
      return vars[v]!;
    };
    const ws = words(line, expand);
    if (ws.length === 0) continue;
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(ws[0]!);
    if (ws.length === 1 && assign && /^[A-Za-z_][A-Za-z0-9_]*=/.test(line.trim())) {
      const key = assign[1]!;
      vars[key] = overrides[key] ?? ws[0]!.slice(assign[0].length);
      continue;
    }
    const argv = ws;
    const start = argv[0] === 'npx' && argv[1] === 'npuval' ? 2 : argv[0] === 'npuval' ? 1 : -1;
    if (start < 0) throw new Error(`quick start ${name}: every command must be "npx npuval …"; found: ${line.trim()}`);
    commands.push({ line: line.trim(), argv: argv.slice(start) });
  }
  return { name, vars, commands };
}
