// Hostile strings in a report's data (a unit title, notes, a model name, the suite's description, a
// product's and criteria's text) never reach report.md, report.html, junit.xml, results.csv or
// commercialization.md as markup, a link, a formula or an invisible bidi override. Written by the
// real CLI (`npuval run` and `npuval report render`); the HTML is also opened in real Chromium.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { escapeCsv, escapeHtml, escapeMarkdown, escapeXml, markdownFileLink, showControls } from '../../reports/escape.js';
import type { RunReport } from '../../reports/types.js';
import { npuval } from '../helpers/cli.js';
import { deps, systemTest } from '../helpers/system.js';

const RLO = '\u202e';
const LINK = '[x](javascript:alert(1))';
const AUTOLINK = '<javascript:alert(2)>';
const SCRIPT = '<script>alert(3)</script>';
const FORMULA = "=cmd|' /C calc'!A0";
/** Starts like a formula, so the CSV cell it lands in starts with "=". */
const HOSTILE = `${FORMULA} ${LINK} ${AUTOLINK} ${SCRIPT} ${RLO}gnp.exe \\${LINK} \u0007\u2066`;

/** What must not appear raw in an output; CSV is not markup, so `<script>` is only text there. */
function assertNoRaw(text: string, where: string): void {
  assert.not.ok(text.includes(RLO), `${where}: U+202E kept`);
  assert.not.ok(text.includes('\u2066') || text.includes('\u0007'), `${where}: control character kept`);
  if (where.endsWith('.csv')) return;
  assert.not.match(text, /<script/i, `${where}: <script>`);
  assert.not.match(text, /<javascript:/i, `${where}: autolink`);
}

/** Markdown: no link to javascript: can form — every "](" is ours (a file link) and no "[" of the data is unescaped. */
function assertMarkdownSafe(md: string, where: string): void {
  assertNoRaw(md, where);
  assert.not.match(md, /(^|[^\\])\]\(\s*javascript:/im, `${where}: Markdown link to javascript:`);
  assert.ok(md.includes('\\u{202E}'), `${where}: U+202E shown as an escape`);
}

const tmp = mkdtempSync(join(tmpdir(), 'npuval-escaping-'));

test('the escaping rules, string by string', () => {
  assert.is(showControls(`a${RLO}b\u0000c\td\ne\u200fz`), 'a\\u{202E}b\\u{0000}c\td\ne\\u{200F}z');
  assert.is(showControls('\ud800x'), '\\u{D800}x', 'a lone surrogate');
  assert.is(showControls('😀'), '😀', 'a surrogate pair is a character, kept');
  assert.is(escapeMarkdown(LINK), '\\[x\\](javascript:alert(1))');
  assert.is(escapeMarkdown(`\\${LINK}`), '\\\\\\[x\\](javascript:alert(1))', 'a backslash in the data cannot undo an escape');
  assert.is(escapeMarkdown(AUTOLINK), '&lt;javascript:alert(2)&gt;');
  assert.is(escapeMarkdown('a|b*c_d`e\nf'), 'a\\|b\\*c\\_d\\`e f');
  assert.is(escapeHtml(`${SCRIPT}${RLO}`), '&lt;script&gt;alert(3)&lt;/script&gt;\\u{202E}');
  assert.is(escapeXml(`a\u0001\uffff"<`), 'a\\u{0001}\\u{FFFF}&quot;&lt;');
  assert.is(escapeCsv(FORMULA), `'${FORMULA}`);
  for (const start of ['=', '+', '-', '@', ' =', '\t']) assert.ok(escapeCsv(`${start}1+1`).startsWith("'"), JSON.stringify(start));
  assert.is(escapeCsv(-3), '-3', 'a negative number is a number');
  assert.is(escapeCsv('a,"b"'), '"a,""b"""');
  assert.is(markdownFileLink('javascript:alert(1)'), './javascript:alert%281%29');
  assert.is(markdownFileLink('/tmp/out dir/report.json'), '/tmp/out%20dir/report.json');
});

test('npuval run: hostile suite, product and criteria text is escaped in every output, commercialization.md included', () => {
  const suite = join(tmp, 'suite.json');
  writeFileSync(
    suite,
    JSON.stringify({
      name: 'hostile',
      description: HOSTILE,
      devices: ['ort:cpu'],
      units: [{ kind: 'micro', title: HOSTILE, settings: { iterations: 5, warmup: 1 } }],
    }),
  );
  const product = join(tmp, 'product.json');
  writeFileSync(
    product,
    JSON.stringify({
      vendor: HOSTILE,
      chip: LINK,
      sdk: { name: SCRIPT, version: RLO },
      device: 'ort:cpu',
      system: {
        system_name: HOSTILE,
        number_of_nodes: '1',
        host_processor_model_name: AUTOLINK,
        accelerators_per_node: '1',
        accelerator_model_name: 'C',
        accelerator_memory_capacity: '16 GB',
        framework: FORMULA,
        operating_system: 'Linux',
      },
    }),
  );
  const criteria = join(tmp, 'criteria.json');
  writeFileSync(
    criteria,
    JSON.stringify({
      criteria: [{ id: 'evil', description: HOSTILE, metric: 'latency_p50_ms', op: '<=', threshold: 1e9 }],
    }),
  );
  const out = join(tmp, 'run');
  const r = npuval('run', '--suite', suite, '--product', product, '--criteria', criteria, '--out', out);
  assert.is(r.status, 0, r.stderr);
  for (const f of ['report.md', 'commercialization.md']) assertMarkdownSafe(readFileSync(join(out, f), 'utf8'), f);
  const commercialization = readFileSync(join(out, 'commercialization.md'), 'utf8');
  assert.ok(commercialization.includes('\\[x\\](javascript:alert(1))'), 'the product text is shown, escaped');
  for (const f of ['report.html', 'junit.xml', 'results.csv']) assertNoRaw(readFileSync(join(out, f), 'utf8'), f);
});

/** The run's report with hostile strings where a report from elsewhere could put them (still valid and consistent). */
function hostileReport(source: string): string {
  const r = JSON.parse(readFileSync(source, 'utf8')) as RunReport;
  const u = r.units[0] as unknown as { model: string | null; title: string; notes: string[] };
  u.model = HOSTILE;
  u.title = HOSTILE;
  u.notes = [HOSTILE];
  // A failed check becomes a JUnit <failure> whose name and message carry the text.
  (r.units[0]!.validity as unknown as { checks: unknown[] }).checks.push({ name: HOSTILE, passed: false, detail: HOSTILE });
  (r.environment.host as { hostname: string }).hostname = HOSTILE;
  const dir = join(tmp, 'hostile');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'report.json');
  writeFileSync(file, JSON.stringify(r, null, 2));
  return file;
}

const rendered = join(tmp, 'rendered');

test('npuval report render: a valid report with hostile strings renders them inert in md, html, junit and csv', () => {
  const file = hostileReport(join(tmp, 'run', 'report.json'));
  const r = npuval('report', 'render', file, '--out', rendered);
  assert.is(r.status, 0, r.stderr);
  assertMarkdownSafe(readFileSync(join(rendered, 'report.md'), 'utf8'), 'report.md');
  const html = readFileSync(join(rendered, 'report.html'), 'utf8');
  assertNoRaw(html, 'report.html');
  assert.ok(html.includes('&lt;script&gt;alert(3)&lt;/script&gt;'));
  const junit = readFileSync(join(rendered, 'junit.xml'), 'utf8');
  assertNoRaw(junit, 'junit.xml');
  assert.ok(junit.includes('\\u{0007}'), 'an XML-invalid character is shown, not dropped');
  const csv = readFileSync(join(rendered, 'results.csv'), 'utf8');
  assertNoRaw(csv, 'results.csv');
  const modelCells = csv
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => /^[^,]*,[^,]*,[^,]*,("(?:[^"]|"")*"|[^,]*)/.exec(line)![1]!.replace(/^"/, ''));
  assert.ok(modelCells.length > 0);
  for (const cell of modelCells) assert.ok(cell.startsWith("'="), `model cell starts as text: ${cell.slice(0, 20)}`);
});

systemTest(test, deps.chromium, 'real Chromium: the rendered HTML runs nothing, links nowhere and shows U+202E as text', async () => {
  const url = pathToFileURL(join(rendered, 'report.html')).href;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    // Evaluated in the page; a string because this project's TypeScript has no DOM types.
    const facts = await page.evaluate<{ scripts: number; links: number; text: string }>(`(() => ({
      scripts: document.querySelectorAll('script').length,
      links: document.querySelectorAll('a[href]').length,
      text: document.body.innerText,
    }))()`);
    assert.equal(dialogs, []);
    assert.is(facts.scripts, 0);
    assert.is(facts.links, 0);
    assert.ok(facts.text.includes(SCRIPT), 'the hostile text is shown literally');
    assert.ok(facts.text.includes('\\u{202E}gnp.exe'), 'the override is visible, so the name reads as written');
    assert.not.ok(facts.text.includes(RLO));
  } finally {
    await browser.close();
  }
});

test.run();
