// The command of a `proc:` spec as an argument vector. npuval never runs it through a shell: the text
// after "proc:" is split into words by the quoting rules below (devices/PROTOCOL.md, "Starting an
// adapter") and handed to the OS as an array, so `$HOME`, `~`, `*`, `;`, `|` and `>` are ordinary characters.
import { DeviceInputError } from '../errors.js';

/**
 * Splits a command line into words: unquoted whitespace separates words; '…' keeps everything
 * literally; "…" keeps everything but \" and \\ (which stand for " and \); outside quotes, \ makes the
 * next character literal. An unterminated quote or a trailing \ is refused (DeviceInputError).
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new DeviceInputError(`the command "${text}" has an unterminated ' quote`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        word += text[j];
      }
      if (j >= text.length) throw new DeviceInputError(`the command "${text}" has an unterminated " quote`);
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new DeviceInputError(`the command "${text}" ends with a lone \\`);
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new DeviceInputError('a proc: spec names no command');
  return words;
}
