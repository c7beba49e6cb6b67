// Text ↔ token ids for `npuval serve` and its clients. The zoo's weights are dummy, so text has no
// meaning; this mapping only has to be reversible and simple:
//   ids → text: each id n is written " n" (a space, then the decimal id): [5, 17] → " 5 17";
//   text → ids: text of whitespace-separated decimal ids ("5 17") maps back to those ids; any other
//   text maps to its UTF-8 bytes taken as ids modulo the vocabulary (so every client prompt works).
// One output token is one chunk of the stream, and counting whitespace-separated words of the
// text counts tokens exactly.

export function idsToText(ids: readonly number[]): string {
  let s = '';
  for (const id of ids) s += ` ${id}`;
  return s;
}

export function textToIds(text: string, vocabSize: number): number[] {
  const trimmed = text.trim();
  if (/^\d+(\s+\d+)*$/.test(trimmed)) {
    const ids = trimmed.split(/\s+/).map(Number);
    if (ids.every((id) => id < vocabSize)) return ids;
  }
  return Array.from(new TextEncoder().encode(text), (b) => b % vocabSize);
}
