import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderHtml } from '../../reports/render/html.js';
import type { RunReport } from '../../reports/types.js';
import { deps, systemTest } from '../helpers/system.js';
import { makeReport } from './fixture.js';

const { report, dir } = await makeReport();
interface Facts {
  charts: number;
  marks: number;
  images: number;
  scripts: number;
  text: string;
  svgText: string;
}

const EVIL = 'ort:cpu<script>alert(1)</script>"><img src=x onerror=alert(2)>';

/** The real report with the device renamed to something that would run if not escaped. */
function evilReport(): RunReport {
  const text = JSON.stringify(report).split('"ort:cpu').join(JSON.stringify(EVIL).slice(0, -1));
  return JSON.parse(text) as RunReport;
}

test('the HTML is self-contained: no script, no external reference, a CSP that forbids both', async () => {
  const html = await renderHtml(report);
  assert.not.match(html, /<script/i);
  assert.not.match(html, /(src|href)="(https?:)?\/\//i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok((html.match(/<svg/g) ?? []).length >= 2, 'latency and throughput charts');
});

test('names are escaped in tables and in chart labels', async () => {
  const html = await renderHtml(evilReport());
  assert.not.match(html, /<script>alert/);
  assert.not.match(html, /<img src=x/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;/);
});

systemTest(test, deps.chromium, 'headless Chromium: no console errors, no requests, charts drawn, evil name shown as text', async () => {
  const file = join(dir, 'evil.html');
  writeFileSync(file, await renderHtml(evilReport()));
  const url = pathToFileURL(file).href;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(200);
    // Evaluated in the page; written as a string because this project's TypeScript has no DOM types.
    const facts = await page.evaluate<Facts>(`(() => ({
      charts: document.querySelectorAll('figure.chart svg').length,
      marks: document.querySelectorAll('figure.chart svg path, figure.chart svg line').length,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      text: document.body.innerText,
      svgText: Array.from(document.querySelectorAll('figure.chart svg text')).map((t) => t.textContent || '').join('\\n'),
    }))()`);
    assert.equal(errors, []);
    assert.equal(requests, []);
    assert.equal(dialogs, []);
    assert.ok(facts.charts >= 2, `charts: ${facts.charts}`);
    assert.ok(facts.marks > 10);
    assert.is(facts.images, 0);
    assert.is(facts.scripts, 0);
    assert.ok(facts.text.includes(EVIL), 'the device name is shown literally');
    assert.ok(facts.svgText.includes('<script>'), 'chart labels carry the name as text');
  } finally {
    await browser.close();
  }
});

test.run();
