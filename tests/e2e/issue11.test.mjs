// The findings of issue #11 that the other e2e files do not assert: a study without a covariate
// value is named (not silently dropped), the leave-one-out CSV carries the CIs (= CLI), the R script
// follows the level, the summary table with subgroups fits at 1366 px, and at 390 px the figures
// scroll at their own size with the tables' scroll hint shown. Screenshots to artifacts/.
// Run `make build` first; then `cd tests/e2e && node --test issue11.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, browser, base, artifacts, dataDir, cli, open, waitReady, paste, parseCsv } from './harness.mjs';

useBrowser();

const close = (a, b, what, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('a study without a subgroup value is named; the LOO CSV has the CIs; the R script follows the level', async () => {
  const rows = parseCsv(await fs.readFile(path.join(dataDir, 'scheidler.csv'), 'utf8'));
  rows[2][5] = ''; // Walsh_1981 loses its modality
  const text = rows.map((r) => r.join(',')).join('\n') + '\n';
  const tmp = path.join(os.tmpdir(), `fourfold-issue11-${process.pid}.csv`);
  await fs.writeFile(tmp, text);
  const want = await cli(tmp, '--by', 'modality', '--loo');
  assert.equal(want.subgroups.missing, 1);
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const { page, log } = await open(base, { context: ctx });
  await waitReady(page);
  await paste(page, text);
  await page.getByTestId('covariate').selectOption('modality');
  await waitReady(page);
  const results = await page.locator('#results').innerText();
  assert.match(results, /1 of 44 study has no value of 'modality' and is in no subgroup row: Walsh_1981\./);

  // Leave-one-out CSV: estimate and CI of every quantity, equal to the CLI.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=loo-csv]').click()]);
  const csv = parseCsv(await fs.readFile(await dl.path(), 'utf8'));
  assert.deepEqual(csv[0].slice(0, 4), ['omitted', 'sens', 'sens_lo', 'sens_hi']);
  assert.equal(csv.length - 1, 44);
  const loo = want.influence.loo;
  for (const [i, row] of csv.slice(1).entries()) {
    assert.equal(row[0], loo[i].omitted);
    close(Number(row[1]), loo[i].fit.sensitivity.estimate, `LOO sens ${i}`, 1e-6);
    close(Number(row[2]), loo[i].fit.sensitivity.ci[0], `LOO sens_lo ${i}`, 1e-6);
    close(Number(row[3]), loo[i].fit.sensitivity.ci[1], `LOO sens_hi ${i}`, 1e-6);
  }

  // A numeric covariate with one value (split at its median): every study stays in the subgroup row,
  // none dropped into nothing.
  const one = rows.map((r, i) => [...r, i === 0 ? 'x' : '5'].join(',')).join('\n') + '\n';
  await paste(page, one);
  await page.getByTestId('covariate').selectOption('x');
  await waitReady(page);
  assert.match(await page.locator('#results').innerText(), /\n≥ 5\t44\t/, 'the one subgroup row has all 44 studies');

  // The R script at 90 %: no hard-coded 95 %.
  await page.locator('#ci-level').selectOption('0.9');
  await waitReady(page);
  const [dr] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=r]').click()]);
  const r = await fs.readFile(await dr.path(), 'utf8');
  assert.ok(!r.includes('qnorm(0.975)'), 'no qnorm(0.975) in the R script at 90%');
  assert.match(r, /0\.9/);
  assert.deepEqual(log.problems, []);
  await ctx.close();
  await fs.rm(tmp);
});

test('1366 px with three subgroups: the summary table fits (Deeks p and LFK on screen)', async () => {
  const { page, ctx, log } = await open(base, { viewport: { width: 1366, height: 768 } });
  await waitReady(page);
  await page.getByTestId('covariate').selectOption('modality');
  await waitReady(page);
  const fit = await page.$eval('[data-testid=summary-table]', (t) => {
    const box = t.closest('.scroll');
    return { scroll: box.scrollWidth, client: box.clientWidth, heads: [...t.querySelectorAll('thead th')].map((h) => h.textContent) };
  });
  assert.ok(fit.scroll <= fit.client + 1, `summary table ${fit.scroll} px in ${fit.client} px`);
  assert.ok(fit.heads.some((h) => /Deeks/.test(h)) && fit.heads.some((h) => /LFK/.test(h)), fit.heads.join(' | '));
  // The table editor shows covariate cells whole.
  const cut = await page.$$eval('#grid input.cell', (xs) => xs.filter((x) => x.scrollWidth > x.clientWidth + 1).map((x) => x.value));
  assert.deepEqual(cut, [], 'grid cells cut off');
  await page.getByTestId('summary-table').screenshot({ path: path.join(artifacts, 'summary-subgroups-1366.png') });
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('390 px: figures keep their size and scroll inside their box; the tables say to scroll', async () => {
  const { page, ctx, log } = await open(base, { viewport: { width: 390, height: 844 } });
  await waitReady(page);
  assert.ok(await page.locator('.scroll-hint').first().isVisible(), 'scroll hint shown');
  const forest = await page.$eval('#plot-forest', (c) => {
    const r = c.getBoundingClientRect();
    const box = c.parentElement;
    return { w: r.width, logical: parseFloat(c.style.width), boxScrolls: box.scrollWidth > box.clientWidth, overflowX: getComputedStyle(box).overflowX };
  });
  assert.ok(Math.abs(forest.w - forest.logical) <= 1, `forest shown at ${forest.w} px, laid out at ${forest.logical}`);
  assert.ok(forest.boxScrolls && /auto|scroll/.test(forest.overflowX), JSON.stringify(forest));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page overflow ${overflow}px`);
  await page.locator('#plot-forest').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(artifacts, 'narrow-390-forest.png') });
  await page.getByTestId('summary-table').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(artifacts, 'narrow-390-summary.png') });
  assert.deepEqual(log.problems, []);
  await ctx.close();
});
