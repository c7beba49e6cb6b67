// Prompts for the load generator: seeded synthetic prompts, and the text mapping `npuval serve`
// speaks (serve/text.ts), re-exported so measuring code has its text helpers in one place.
import { seededRng } from '../random.js';

export { idsToText, textToIds } from '../serve/text.js';

/** Seeded prompts of an exact token length (ids in [1, vocab)), reproducible for a seed. */
export function syntheticPrompt(length: number, vocabSize: number, seed: number): number[] {
  const rng = seededRng(seed);
  return Array.from({ length }, () => 1 + rng.int(vocabSize - 1));
}
