// End-to-end test of the RevMan hand-off, the Meta-DiSc 2.0 dispersion table and the Excel
// export on the built page: the numbers on the page and on the clipboard are the CLI's
// (`fourfold analyze --json`), and the workbook is a zip holding the seven sheets.
// Run `make build` first; then `cd tests/e2e && node --test revman.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, browser, base, root, artifacts, cli as harnessCli } from './harness.mjs';

useBrowser();

const LABELS = ['Lambda', 'Theta', 'beta', 'Var(accuracy)', 'Var(threshold)', 'E(logitSe)', 'E(logitSp)',
  'Var(logitSe)', 'Var(logitSp)', 'Cov(logits)', 'Corr(logits)', 'SE(E(logitSe))', 'SE(E(logitSp))', 'Cov(Es)', 'Studies'];
const KEYS = ['lambda', 'theta', 'beta', 'var_accuracy', 'var_threshold', 'e_logit_se', 'e_logit_sp', 'var_logit_se',
  'var_logit_sp', 'cov_logits', 'corr_logits', 'se_e_logit_se', 'se_e_logit_sp', 'cov_es', 'studies'];

/** The CLI's JSON for the page's example (scheidler). */
const cli = (...args) => harnessCli(path.join(root, 'www/examples/scheidler.csv'), ...args);

const ready = (page) => page.waitForFunction(
  () => document.querySelector('[data-testid=status]')?.textContent === 'ready', null, { timeout: 180_000 });

test('RevMan parameters, HSROC SEs and the dispersion table equal the CLI; copy and xlsx work', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(base);
  await ready(page);
  await page.getByTestId('covariate').selectOption('modality');
  await ready(page);
  const want = await cli('--by', 'modality');
  assert.equal(want.revman.length, 4, 'overall + three modalities');

  // The table: 15 rows in RevMan's order, one column per analysis, values = the CLI's.
  const table = await page.$$eval('[data-testid=revman-table] tr', (trs) => trs.map((tr) =>
    [...tr.children].map((c) => ({ text: c.textContent, value: c.getAttribute('data-value') }))));
  assert.deepEqual(table[0].map((c) => c.text), ['Set', 'Parameter', 'Overall', 'CT', 'LAG', 'MRI']);
  assert.deepEqual(table.slice(1).map((r) => r[1].text), LABELS);
  assert.equal(table[1][0].text, 'HSROC model parameters');
  assert.equal(table[6][0].text, 'Bivariate model parameters');
  assert.equal(table[12][0].text, 'Confidence and prediction regions');
  want.revman.forEach((e, j) => KEYS.forEach((k, i) => {
    const w = e.parameters[k];
    const got = Number(table[i + 1][j + 2].value);
    assert.ok(Math.abs(got - w) <= 1e-9 * Math.max(1, Math.abs(w)), `${k} of ${j}: page ${got} vs CLI ${w}`);
  }));

  // Copy: tab-separated, full precision, same numbers.
  await page.getByTestId('revman-copy').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=revman-copy-msg]').textContent !== '');
  assert.match(await page.getByTestId('revman-copy-msg').textContent(), /15 parameters × 4 analyses/);
  const clip = (await page.evaluate(() => navigator.clipboard.readText())).trimEnd().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(clip[0], ['Parameter', 'Overall', 'CT', 'LAG', 'MRI']);
  assert.deepEqual(clip.slice(1).map((r) => r[0]), LABELS);
  assert.equal(Number(clip[1][1]), want.revman[0].parameters.lambda);

  // HSROC SEs: the overall Λ row; CT sits at ρ = −1, so its Var(accuracy) has no interval.
  const se = await page.$$eval('[data-testid=hsroc-se-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.children].map((c) => c.getAttribute('data-value') ?? c.textContent)));
  assert.equal(se.length, 20);
  assert.ok(Math.abs(Number(se[0][3]) - want.revman[0].hsroc_inference.Lambda.se) < 1e-9);
  assert.equal(want.revman[1].hsroc_inference.sigma2_alpha, null, 'CLI: no σ²α interval at ρ = −1');
  assert.match(se[8][4], /not estimable/);

  // Dispersion: MOR of sensitivity per analysis.
  const disp = await page.$$eval('[data-testid=dispersion-table] tbody tr', (trs) => trs.map((tr) =>
    [...tr.children].map((c) => c.getAttribute('data-value'))));
  assert.equal(disp.length, 4);
  want.dispersion.forEach((d, i) => {
    assert.ok(Math.abs(Number(disp[i][1]) - d.sensitivity.median_odds_ratio.mor.estimate) < 1e-9, `MOR ${i}`);
    assert.ok(Math.abs(Number(disp[i][6]) - d.prediction_region_area_roc) < 1e-9, `area ${i}`);
  });

  // The workbook: a zip (PK) naming the seven sheets.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-xlsx').click()]);
  assert.equal(dl.suggestedFilename(), 'fourfold-tables.xlsx');
  const body = await fs.readFile(await dl.path());
  assert.equal(body.subarray(0, 2).toString('latin1'), 'PK');
  assert.ok(body.includes(Buffer.from('xl/worksheets/sheet7.xml')), 'seven sheets');

  await page.locator('[data-testid=revman-box]').screenshot({ path: path.join(artifacts, 'revman.png') });
  await page.locator('#dispersion-box').screenshot({ path: path.join(artifacts, 'dispersion.png') });
  assert.deepEqual(problems, [], 'console errors');
  await ctx.close();
});
