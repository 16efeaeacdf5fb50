// End-to-end test of the further models (issue #13) on the built page: the HSROC meta-regression
// and the three-level model, switched on in Settings, give the CLI's numbers (to 1e-9) and are
// carried by the permalink. Run `make build` first; then `cd tests/e2e && node --test models.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, artifacts, dataDir, cli, open, waitReady as ready } from './harness.mjs';

useBrowser();

const waitReady = (page) => ready(page, 300_000);

/** data-value of the cells of column `key` in table `testid`. */
async function column(page, testid, key) {
  return page.$$eval(`[data-testid=${testid}] td[data-stat=${key}]`,
    (tds) => tds.map((td) => Number(td.getAttribute('data-value') ?? td.querySelector('[data-value]')?.getAttribute('data-value'))));
}

test('HSROC meta-regression and the three-level model on the page match the CLI', { timeout: 900_000 }, async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  await page.selectOption('#model', 'laplace');
  await waitReady(page);
  await page.getByTestId('data-input').fill(await fs.readFile(path.join(dataDir, 'anti_ccp.csv'), 'utf8'));
  await waitReady(page);
  await page.selectOption('[data-testid=covariate]', 'generation');
  await waitReady(page);
  await page.getByTestId('hsroc-reg').check();
  await waitReady(page);
  const want = await cli('www/examples/anti_ccp.csv', '--model', 'laplace', '--by', 'generation', '--hsroc-reg');
  const h = want.models.hsroc_regression;
  const chi = await column(page, 'hsroc-tests', 'chi2');
  const cliChi = [h.lrt.accuracy, h.lrt.threshold, h.lrt.shape, h.lrt.any, h.lrt.accuracy_common_shape,
    h.lrt.threshold_common_shape, h.variances_differ.lrt].map((t) => t.statistic);
  assert.equal(chi.length, cliChi.length);
  chi.forEach((x, i) => assert.ok(Math.abs(x - cliChi[i]) < 1e-9, `test ${i}: page ${x} vs CLI ${cliChi[i]}`));
  const lam = await column(page, 'hsroc-levels', 'lambda');
  // Parameters to 1e-6, not 1e-9: these fits use a central-difference gradient, and wasm's and the
  // native libm's exp/ln differ in the last bits, so BFGS stops inside its tolerance at points
  // ~3e-8 apart (measured); the log-likelihoods and LR statistics agree to 1e-9.
  assert.ok(Math.abs(lam[0] - h.full.per_level[0].Lambda.estimate) < 1e-6, `Λ: page ${lam[0]} vs CLI ${h.full.per_level[0].Lambda.estimate}`);
  await page.getByTestId('models-box').screenshot({ path: path.join(artifacts, 'models-hsroc.png') });

  // Three-level on smoking (cluster column study_id).
  await page.getByTestId('hsroc-reg').uncheck();
  await page.selectOption('[data-testid=covariate]', '');
  await page.getByTestId('data-input').fill(await fs.readFile(path.join(dataDir, 'smoking.csv'), 'utf8'));
  await waitReady(page);
  await page.getByTestId('three-level').check();
  await waitReady(page);
  const w3 = (await cli('www/examples/smoking.csv', '--model', 'laplace', '--three-level')).models.three_level;
  const ll = await column(page, 'three-level-table', 'loglik');
  assert.ok(Math.abs(ll[0] - w3.laplace.loglik) < 1e-9, `page ${ll[0]} vs CLI ${w3.laplace.loglik}`);
  const share = await column(page, 'three-level-table', 'share');
  assert.ok(Math.abs(share[0] - w3.laplace.share_between_studies[0]) < 1e-6);
  const report = await page.locator('#models-report').textContent();
  assert.match(report, /26 studies \(by 'study_id', each row a cohort\)/);
  await page.getByTestId('models-box').screenshot({ path: path.join(artifacts, 'models-three-level.png') });

  // The permalink carries the models group.
  await page.getByRole('button', { name: /permalink/i }).click();
  const link = await page.locator('#permalink').inputValue();
  const { page: p2, log: log2 } = await open(link, { context: ctx });
  await waitReady(p2);
  assert.equal(await p2.getByTestId('three-level').isChecked(), true);
  const ll2 = await column(p2, 'three-level-table', 'loglik');
  assert.ok(Math.abs(ll2[0] - w3.laplace.loglik) < 1e-9);
  assert.deepEqual([...log.problems, ...log2.problems], []);
  await ctx.close();
});
