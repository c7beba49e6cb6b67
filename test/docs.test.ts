// The generated reference pages (docs/reference/) must match the code: a setting, metric or
// option added without `npm run docs` fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { referencePages, stalePages } from '../harness/docs/generate.js';
import { repoRoot } from './helpers/cli.js';

test('docs/reference/*.md are what `npm run docs` generates from the code', () => {
  assert.equal(stalePages(repoRoot), [], 'run `npm run docs` and commit docs/reference/');
});

test('the settings page lists every declared setting of every unit kind, and the CLI page every command', () => {
  const pages = referencePages(repoRoot);
  const settings = pages['docs/reference/settings.md']!;
  for (const key of ['minDurationMs', 'findPeak', 'tolerancesFile', 'sweepConcurrency', 'minTokenAgreement', 'iterations'])
    assert.match(settings, `| \`${key}\` |`);
  assert.match(pages['docs/reference/cli.md']!, /## `npuval bench`[\s\S]*--find-peak/);
  assert.match(pages['docs/reference/metrics.md']!, /\| `ttft_p99_ms` \|/);
});

test.run();
