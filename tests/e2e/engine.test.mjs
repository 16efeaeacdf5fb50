// The analysis engine's Web Workers (src/bin/engine.rs, www/engine-worker.js, src/web/engine.rs):
// not part of the first load, their results (AUC bootstrap, leave-one-out refits, compatibility
// view) equal the CLI's, and a newer paste wins over work still running for an older one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, browser, base, open, waitReady, excelTsv, cli, dataDir } from './harness.mjs';

useBrowser();

const close = (got, want, what, tol = 1e-9) =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: page ${got} vs CLI ${want}`);

test('engine workers: fetched after the first results; AUC bootstrap and leave-one-out equal the CLI; a newer paste wins', async () => {
  const context = await browser.newContext();
  // When the summary's first cell enters the document, on the page's clock (its resource timing's).
  await context.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelector('[data-testid=summary-row] [data-stat=k]')) {
        window.fourfoldShown = performance.now();
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const requested = new Set();
  context.on('request', (r) => requested.add(new URL(r.url()).pathname));
  const { page, log } = await open(base, { context });
  await waitReady(page);
  assert.ok(requested.has(new URL('engine_bg.wasm', base).pathname), `engine module fetched: ${[...requested.keys()]}`);
  // The worker's script is the page's request (its module and wasm come after it, from the
  // worker): it starts after the first results are in the document. One clock for both times.
  const { shown, script } = await page.evaluate(() => ({
    shown: window.fourfoldShown,
    script: performance.getEntriesByType('resource').find((e) => e.name.endsWith('/engine-worker.js'))?.startTime,
  }));
  assert.ok(script !== undefined, 'engine-worker.js in the page\'s resource timing');
  assert.ok(script >= shown, `engine-worker.js requested ${shown - script} ms before the first results`);

  // Paste schuetz (108 refits keep the workers busy), then audit_c before they are done.
  await page.getByTestId('data-input').fill(await excelTsv('schuetz'));
  await page.waitForFunction(() => /Computing: \d+ of 108/.test(document.querySelector('#loo-status')?.textContent ?? ''),
    null, { timeout: 60_000 });
  await page.getByTestId('data-input').fill(await excelTsv('audit_c'));
  await waitReady(page);
  const want = await cli(path.join(dataDir, 'audit_c.csv'), '--loo');
  assert.equal(await page.locator('#loo tbody tr').count(), 14, 'leave-one-out rows of audit_c, not schuetz');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=json]').click()]);
  const json = JSON.parse(await fs.readFile(await dl.path(), 'utf8'));
  assert.equal(json.k, 14);
  // The AUC interval is the worker's bootstrap (2000 draws, fixed seed): the CLI's to the last bit.
  assert.equal(json.auc.draws, want.auc.draws);
  close(json.auc.ci[0], want.auc.ci[0], 'AUC lower');
  close(json.auc.ci[1], want.auc.ci[1], 'AUC upper');
  // Leave-one-out rows from the workers' shares, in study order.
  const loo = want.influence.loo;
  assert.deepEqual(json.loo.map((r) => r.omitted), loo.map((r) => r.omitted));
  json.loo.forEach((r, i) => {
    close(r.fit.sensitivity.estimate, loo[i].fit.sensitivity.estimate, `LOO ${r.omitted} sensitivity`);
    close(r.fit.specificity.estimate, loo[i].fit.specificity.estimate, `LOO ${r.omitted} specificity`);
  });
  // The compatibility view came from the engine too.
  assert.ok(await page.getByTestId('compat-table').count() === 1, 'compatibility table shown');
  assert.deepEqual(log.problems, [], 'console errors / failed requests');
  await context.close();
});
