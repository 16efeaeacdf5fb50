// End-to-end tests of the page with the Bayesian fit (issue #16); the server, browser and helpers
// are in harness.mjs. Run `make build` first; then `cd tests/e2e && node --test bayes.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, artifacts, dataDir, open, paste, cli, waitReady } from './harness.mjs';

useBrowser();

const BAYES_MS = 300_000;

/** Wait until the Bayesian box shows a finished fit (its status names the model). */
async function waitBayes(page) {
  await page.waitForFunction(
    () => /^Bayesian /.test(document.querySelector('[data-testid=bayes-status]')?.textContent ?? '')
      && !document.getElementById('bayes-result')?.hidden,
    null, { timeout: BAYES_MS });
}

/** The posterior table as { quantity: { median, lo, hi, rhat, ess_bulk, ess_tail } } from data-value. */
async function shownPosterior(page) {
  return page.evaluate(() => {
    const out = {};
    for (const tr of document.querySelectorAll('#bayes-summary tr[data-quantity]')) {
      const row = {};
      for (const td of tr.querySelectorAll('td[data-stat]')) row[td.dataset.stat] = td.dataset.value === undefined ? null : Number(td.dataset.value);
      out[tr.dataset.quantity] = row;
    }
    return out;
  });
}

/** Every number of the posterior table equals the CLI's JSON (same seed: same draws on wasm and native). */
function assertSameAsJson(shown, json) {
  const qs = json.bayes.posterior.quantities;
  assert.ok(Object.keys(shown).length >= 12, JSON.stringify(shown));
  for (const [key, row] of Object.entries(shown)) {
    const q = qs.find((x) => x.name === key);
    assert.ok(q, key);
    assert.equal(row.median, q.median, `${key} median`);
    assert.equal(row.lo, q.ci[0], `${key} 2.5%`);
    assert.equal(row.hi, q.ci[1], `${key} 97.5%`);
    // The draws are bit-identical; R-hat and ESS go through the platform's exp/ln (the normal
    // quantiles of the rank normalisation), which may differ in the last bit between wasm and native.
    for (const [stat, want] of [['rhat', q.diagnostics.rhat], ['ess_bulk', q.diagnostics.ess_bulk], ['ess_tail', q.diagnostics.ess_tail]]) {
      assert.ok(Math.abs(row[stat] - want) <= 1e-12 * Math.abs(want), `${key} ${stat}: ${row[stat]} vs ${want}`);
    }
  }
}

test('Bayesian fit: tables, diagnostics, SoF, MCMC plots and SROC regions equal the CLI; a newer edit cancels it', async () => {
  const { page, ctx, log } = await open(undefined, { viewport: { width: 1400, height: 1000 } });
  const file = path.join(dataDir, 'schuetz.csv');
  const schuetz = await fs.readFile(file, 'utf8');
  await paste(page, schuetz);
  const t0 = Date.now();
  await page.getByTestId('bayes-model').selectOption('bivariate');
  await page.waitForFunction(() => /Sampling: iteration/.test(document.querySelector('[data-testid=bayes-status]')?.textContent ?? ''),
    null, { timeout: BAYES_MS });
  await waitBayes(page);
  console.log(`schuetz, 4 chains × (1000 + 1000) in Chromium: ${((Date.now() - t0) / 1000).toFixed(1)} s (wall clock, shared machine)`);
  const json = await cli(file, '--model', 'bayes');
  assertSameAsJson(await shownPosterior(page), json);
  const post = json.bayes.posterior;
  // The sampler's diagnostics card: leapfrog steps, divergences, deepest tree.
  const card = await page.locator('#bayes-sampler dd').evaluateAll((dd) => dd.map((d) => Number(d.dataset.value)));
  assert.ok(card.includes(post.sampler.leapfrog_steps), `${card} ∌ ${post.sampler.leapfrog_steps}`);
  assert.ok(card.includes(post.sampler.divergences));
  assert.ok(card.includes(post.sampler.max_tree_depth));
  // The verdict: words and class from report.
  const converged = post.verdict.status === 'converged';
  assert.equal(await page.getByTestId('bayes-badge').textContent(), converged ? 'Converged' : 'Not converged — do not use these numbers');
  assert.equal(await page.locator('#bayes-box').getAttribute('class'), converged ? 'bayes-final' : 'bayes-not-final');
  assert.match(await page.getByTestId('bayes-verdict').textContent(), converged ? /The sampler converged/ : /did not converge: do not use these numbers/);
  // The summary of findings from the posterior: every count equals the JSON's frequencies.
  const sof = await page.locator('#bayes-sof tbody tr').evaluateAll((trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td[data-stat=prevalence]')].map((td) => Number(td.dataset.value))));
  const fr = json.bayes.frequencies;
  assert.equal(sof[0].length, fr.length);
  const keys = ['true_positives', 'false_negatives', 'true_negatives', 'false_positives', 'test_positives', 'ppv', 'npv'];
  keys.forEach((k, row) => fr.forEach((f, col) => assert.equal(sof[row][col], f[k].estimate, `${k} at ${f.prevalence}`)));
  // Shrunken study estimates: one row per study.
  assert.equal(await page.locator('#bayes-studies tbody tr').count(), json.bayes.k);
  // The MCMC figures are drawn, and export as SVG.
  for (const key of ['mu_se', 'mu_sp', 'tau_se', 'tau_sp', 'rho']) {
    const inked = await page.getByTestId(`plot-mcmc-${key}`).evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 200) n++;
      return n;
    });
    assert.ok(inked > 2000, `${key}: ${inked} inked pixels`);
  }
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=svg][data-plot=mcmc-tau_se]').click()]);
  const svg = await fs.readFile(await dl.path(), 'utf8');
  assert.match(svg, /^<svg/);
  assert.match(svg, /Rank histograms/);
  assert.ok((svg.match(/<polyline/g) ?? []).length >= 12);
  // The SROC plot has the Bayesian series (its regions can be hidden like every series').
  assert.match(await page.locator('#sroc-regions').textContent(), /regions of Bayesian bivariate \(posterior\)/);
  const [sdl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=svg][data-plot=sroc]').click()]);
  assert.match(await fs.readFile(await sdl.path(), 'utf8'), /Bayesian bivariate \(posterior\)/);
  await page.locator('#bayes-box').screenshot({ path: path.join(artifacts, 'bayes.png') });
  await page.getByTestId('plot-sroc').screenshot({ path: path.join(artifacts, 'bayes-sroc.png') });
  // A newer edit cancels a running fit: the result then belongs to the new data (4 studies).
  const audit4 = await fs.readFile(path.join(dataDir, 'audit4.csv'), 'utf8');
  await paste(page, schuetz.split('\n').slice(0, 30).join('\n'));
  await page.getByTestId('data-input').fill(audit4);
  await waitBayes(page);
  const after = await page.getByTestId('bayes-studies').textContent();
  assert.match(after, /Bradley et al,1998/);
  assert.doesNotMatch(after, /Achenbach/);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('Bayesian priors: editable, named errors, prior predictive, not-converged styling, carried by the permalink', async () => {
  const { page, ctx, log } = await open();
  const file = path.join(dataDir, 'audit4.csv');
  await paste(page, await fs.readFile(file, 'utf8'));
  assert.equal(await page.getByTestId('bayes-priors').isVisible(), false, 'no priors while the fit is off');
  await page.getByTestId('bayes-model').selectOption('latent-class');
  await waitBayes(page);
  assert.ok(await page.getByTestId('bayes-reference').isVisible());
  assert.equal(await page.getByTestId('bayes-mu-se-s').inputValue(), '1.5');
  // What the default priors imply: expit(±1.96 · 1.5) ≈ 0.05–0.95 for the pooled sensitivity.
  const pp = async () => page.locator('#bayes-prior-predictive tbody tr').first().locator('td').evaluateAll((t) => t.map((x) => Number(x.dataset.value)));
  let [med, lo, hi] = await pp();
  assert.ok(Math.abs(med - 0.5) < 0.03 && Math.abs(lo - 0.05) < 0.015 && Math.abs(hi - 0.95) < 0.015, `${med} ${lo} ${hi}`);
  // Errors are named and keep the previous priors.
  const msg = page.getByTestId('bayes-prior-msg');
  await page.getByTestId('bayes-se-ref-s').fill('-1');
  await page.getByTestId('bayes-se-ref-s').press('Enter');
  await page.getByTestId('bayes-se-ref-s').blur();
  assert.match(await msg.textContent(), /reference standard's logit sensitivity needs a finite mean and an SD > 0/);
  await page.getByTestId('bayes-se-ref-s').fill('wide');
  await page.getByTestId('bayes-se-ref-s').blur();
  assert.match(await msg.textContent(), /Reference standard's logit sensitivity: SD: 'wide' is not a number/);
  await page.getByTestId('bayes-se-ref-s').fill('0.5');
  await page.getByTestId('bayes-se-ref-s').blur();
  assert.equal(await msg.textContent(), '');
  // A short run (20 + 20 draws) with a changed prior cannot converge: the page says so and the
  // numbers do not look final.
  await page.getByTestId('bayes-mu-se-m').fill('2');
  await page.getByTestId('bayes-mu-se-m').blur();
  [med] = await pp();
  assert.ok(Math.abs(med - 0.881) < 0.02, `prior median of Se with mean 2: ${med}`);
  await page.getByTestId('bayes-warmup').fill('20');
  await page.getByTestId('bayes-warmup').blur();
  await page.getByTestId('bayes-draws').fill('20');
  await page.getByTestId('bayes-draws').blur();
  await page.waitForFunction(() => document.querySelector('[data-testid=bayes-badge]')?.textContent.startsWith('Not converged'),
    null, { timeout: BAYES_MS });
  await waitBayes(page);
  await waitReady(page);
  assert.equal(await page.locator('#bayes-box').getAttribute('class'), 'bayes-not-final');
  assert.match(await page.getByTestId('bayes-verdict').textContent(), /The sampler did not converge: do not use these numbers\./);
  assert.match(await page.getByTestId('bayes-sof-box').textContent(), /do not use these numbers/);
  const opacity = await page.locator('#bayes-summary').evaluate((t) => Number(getComputedStyle(t).opacity));
  assert.ok(opacity < 0.7, `opacity ${opacity}`);
  const json = await cli(file, '--model', 'bayes-lcm', '--warmup', '20', '--draws', '20', '--prior', 'mu_se=2,1.5');
  assert.equal(json.bayes.posterior.verdict.status, 'not-converged');
  assertSameAsJson(await shownPosterior(page), json);
  await page.locator('#bayes-box').screenshot({ path: path.join(artifacts, 'bayes-not-converged.png') });
  await page.getByTestId('bayes-priors').screenshot({ path: path.join(artifacts, 'bayes-priors.png') });
  // The permalink carries the model, the priors and the sampler settings.
  await page.locator('#permalink-copy').click();
  const link = await page.getByTestId('permalink').inputValue();
  const other = await open(link);
  await waitBayes(other.page);
  assert.equal(await other.page.getByTestId('bayes-model').inputValue(), 'latent-class');
  assert.equal(await other.page.getByTestId('bayes-mu-se-m').inputValue(), '2');
  assert.equal(await other.page.getByTestId('bayes-draws').inputValue(), '20');
  assertSameAsJson(await shownPosterior(other.page), json);
  assert.deepEqual(other.log.problems, []);
  await other.ctx.close();
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('Bayesian prior sensitivity on the page: the two alternative priors beside the chosen one equal the CLI', async () => {
  const { page, ctx, log } = await open();
  const file = path.join(dataDir, 'audit4.csv');
  await paste(page, await fs.readFile(file, 'utf8'));
  await page.getByTestId('bayes-model').selectOption('bivariate');
  for (const [id, v] of [['bayes-warmup', '100'], ['bayes-draws', '100']]) {
    await page.getByTestId(id).fill(v);
    await page.getByTestId(id).blur();
  }
  await page.getByTestId('bayes-prior-sensitivity').check();
  await page.waitForFunction(() => !document.getElementById('bayes-sensitivity-box')?.hidden, null, { timeout: BAYES_MS });
  await waitBayes(page);
  const json = await cli(file, '--model', 'bayes', '--warmup', '100', '--draws', '100', '--prior-sensitivity');
  const alts = json.bayes_prior_sensitivity;
  assert.equal(alts.length, 2);
  const median = (post, key) => post.quantities.find((q) => q.name === key).median;
  const rows = await page.locator('#bayes-sensitivity tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.dataset.value === undefined ? null : Number(td.dataset.value)))));
  // First rows: pooled sensitivity, then specificity (report::bayes::sensitivity_table).
  for (const [i, key] of [[0, 'se'], [1, 'sp']]) {
    assert.deepEqual(rows[i], [median(json.bayes.posterior, key), ...alts.map((a) => median(a.fit.posterior, key))], key);
  }
  // 100 + 100 iterations converge for none of the three fits (ESS < 400): the sentence draws no
  // conclusion from their medians, and is marked as a problem.
  const box = page.getByTestId('bayes-sensitivity-box');
  assert.ok([json.bayes, ...alts.map((a) => a.fit)].every((f) => f.posterior.verdict.status === 'not-converged'), 'none converged');
  assert.match(await box.textContent(), /Not every fit of the comparison converged \(the chosen prior's, the vague prior's, the heavy-tailed prior's fits\), so it cannot say yet whether the priors matter/);
  assert.doesNotMatch(await box.textContent(), /dominate/);
  assert.equal(await box.locator('li.bad').count(), 1, 'the sentence is marked as a problem');
  await page.getByTestId('bayes-sensitivity-box').screenshot({ path: path.join(artifacts, 'bayes-prior-sensitivity.png') });
  assert.deepEqual(log.problems, []);
  await ctx.close();
});
