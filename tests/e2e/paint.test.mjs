// The first paint (src/bin/paint.rs, src/web/paint.rs, www/boot.js; issue #12): a small module
// shows the initial analysis before the page's full module is fetched. Checked with the full
// module held back by the test: what is fetched before the results are on screen (under 500 KB
// gzip, the full module not among it), that the painted numbers are the full module's, and that
// text typed before the full module runs is the text it analyses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { useBrowser, browser, base, dist, open, waitReady, excelTsv } from './harness.mjs';

useBrowser();

/** The first-load budget, gzip -9 bytes (500 KB). */
const FIRST_LOAD_BYTES = 500_000;

/** A context whose requests for the full module's wasm wait until `release()`. */
async function heldBack() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await context.route(/\/fourfold-[0-9a-f]+_bg\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  // When the summary's first cell enters the document, and which files were requested before.
  await context.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelector('[data-testid=summary-row] [data-stat=k]')) {
        window.fourfoldShown = performance.getEntriesByType('resource')
          .map((e) => new URL(e.name).pathname);
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  return { context, release };
}

/** The first summary row's cells: data-stat → [text, data-value]. */
const summary = (page) => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('[data-testid=summary-row]:first-child [data-stat]')]
    .map((c) => [c.dataset.stat, [c.textContent, c.dataset.value ?? null]])));

test('first paint: the example analysis before the full module, under 500 KB; the same numbers', async () => {
  const { context, release } = await heldBack();
  const { page, log } = await open(base, { context });
  await page.waitForFunction(() => window.fourfoldShown !== undefined, null, { timeout: 60_000 });
  assert.equal(await page.getByTestId('status').textContent(), 'loading', 'the full module has not run');
  // Paths in dist/ (the harness serves it under a sub-path); '' is the page itself.
  const root = new URL(base).pathname;
  const early = ['', ...new Set(await page.evaluate(() => window.fourfoldShown))]
    .map((p) => (p.startsWith(root) ? p.slice(root.length) : p));
  assert.ok(!early.some((p) => /fourfold-[0-9a-f]+_bg\.wasm$/.test(p)), `full module before the paint: ${early}`);
  assert.ok(!early.some((p) => p.includes('engine') || p.includes('sheets')), `workers before the paint: ${early}`);
  let bytes = 0;
  for (const p of early) {
    const body = await fs.readFile(path.join(dist, p || 'index.html'));
    bytes += zlib.gzipSync(body, { level: 9 }).length;
  }
  assert.ok(bytes <= FIRST_LOAD_BYTES, `${bytes} bytes gzip before the example is on screen (${early.join(' ')})`);
  const painted = await summary(page);
  assert.equal(painted.k[1], '44', 'Scheidler: 44 studies');
  assert.equal(await page.locator('#studies tbody tr').count(), 44, 'the per-study table is painted');
  assert.ok(await page.locator('#plot-forest').evaluate((c) => c.width > 0), 'the forest plot is painted');

  release();
  await waitReady(page);
  const full = await summary(page);
  // Every painted number is the full module's (the AUC interval comes later, from the engine).
  for (const [key, [text, value]] of Object.entries(painted)) {
    if (key.startsWith('auc')) continue;
    assert.deepEqual(full[key], [text, value], `summary ${key}`);
  }
  assert.deepEqual(log.problems, []);
  await context.close();
});

test('first paint: text typed before the full module runs is the text it analyses', async () => {
  const { context, release } = await heldBack();
  const { page, log } = await open(base, { context });
  await page.waitForFunction(() => window.fourfoldShown !== undefined, null, { timeout: 60_000 });
  const typed = await excelTsv('audit_c');
  await page.getByTestId('data-input').fill(typed);
  release();
  await waitReady(page);
  assert.equal((await summary(page)).k[1], '14', 'audit_c: 14 studies, not the example');
  // (a text box's value has its line breaks normalised to \n)
  assert.equal(await page.getByTestId('data-input').inputValue(), typed.replace(/\r\n/g, '\n'), 'the typed text is kept');
  assert.deepEqual(log.problems, []);
  await context.close();
});
