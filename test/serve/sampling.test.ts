// The pieces of npuval serve's OpenAI semantics below the HTTP layer: stop strings on the text
// (held back while they could still match, across token boundaries, armed only after min_tokens)
// and nucleus sampling (top_p keeps the most likely tokens; draws are reproducible from the seed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '../../devices/types.js';
import { greedy, sample, tokenChooser } from '../../harness/serve/sampling.js';
import { StopText } from '../../harness/serve/stop.js';

test('stop text: a stop string across tokens ends the output before it; text that may start one is held back', () => {
  const t = new StopText([' 7 8', 'xyz']);
  assert.is(t.push(' 5'), ' 5');
  assert.is(t.push(' 7'), '', 'could be the start of " 7 8"');
  assert.is(t.push(' 9'), ' 7 9', 'released once it cannot');
  assert.is(t.push(' 7'), '');
  assert.is(t.push(' 8'), '');
  assert.ok(t.stopped);
  assert.is(t.output, ' 5 7 9');
  assert.is(t.flush(), '');
  const u = new StopText([' 1']);
  assert.is(u.push(' 1', false), ' 1', 'not armed before min_tokens');
  assert.is(u.push(' 2 1'), ' 2');
  assert.ok(u.stopped);
  const v = new StopText(['ab']);
  assert.is(v.push('xa'), 'x');
  assert.is(v.flush(), 'a', 'the end releases what was held back');
});

test('sampling: temperature 0 is greedy; top_p keeps the nucleus; the same seed draws the same tokens', () => {
  const logits: Tensor = { type: 'float32', dims: [2, 1, 4], data: new Float32Array([0, 3, 1, 2, 5, 0, 0, 0]) };
  assert.is(greedy(logits, 0), 1);
  assert.is(greedy(logits, 1), 0);
  assert.is(tokenChooser({ temperature: 0, topP: 1, seed: 1 })(logits, 0), 1);
  const x = new Float32Array([0, 3, 1, 2]);
  // top_p 0.5: token 1 alone holds ~64% of the mass, so every draw is token 1.
  for (const u of [0, 0.3, 0.99]) assert.is(sample(x, 1, 0.5, u), 1);
  // top_p 1: the draw walks the whole distribution in id order.
  assert.is(sample(x, 1, 1, 0), 0);
  assert.is(sample(x, 1, 1, 0.999), 3);
  const draws = (seed: number, choice: number) => {
    const c = tokenChooser({ temperature: 1, topP: 1, seed }, choice);
    return Array.from({ length: 32 }, () => c(logits, 0));
  };
  assert.equal(draws(5, 0), draws(5, 0));
  assert.not.equal(draws(5, 0), draws(6, 0));
  assert.not.equal(draws(5, 0), draws(5, 1), 'each choice of n draws its own stream');
});

test.run();
