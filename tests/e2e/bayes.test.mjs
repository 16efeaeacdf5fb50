// End-to-end tests of the page with the Bayesian fit (issue #16); the server, browser and helpers
// are in harness.mjs. Run `make build` first; then `cd tests/e2e && node --test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, run, root, artifacts, dataDir, open, paste } from './harness.mjs';

useBrowser();


const BAYES_MS = 300_000;

/** Wait until the Bayesian box shows a finished fit (its status names the model). */
async function waitBayes(page) {
  await page.waitForFunction(
    () => /^Bayesian /.test(document.querySelector('[data-testid=bayes-status]')?.textContent ?? ''),
    null, { timeout: BAYES_MS });
}

/** The CLI's text output from the Bayesian section on. */
async function cliBayesText(file, ...args) {
  const bin = path.join(root, 'target/release/fourfold');
  const exists = await fs.access(bin).then(() => true, () => false);
  const [cmd, pre] = exists ? [bin, []] : ['cargo', ['run', '--release', '--quiet', '--']];
  const { stdout } = await run(cmd, [...pre, 'analyze', file, ...args], { cwd: root, maxBuffer: 64 << 20 });
  return stdout.slice(stdout.indexOf('Bayesian'));
}

test('Bayesian fit: sampled in the page in slices, the same draws as the CLI, cancelled by a newer edit', async () => {
  const { page, ctx, log } = await open();
  const schuetz = await fs.readFile(path.join(dataDir, 'schuetz.csv'), 'utf8');
  await paste(page, schuetz);
  const t0 = Date.now();
  await page.getByTestId('bayes-model').selectOption('bivariate');
  // While it samples the page says how far it is.
  await page.waitForFunction(() => /Sampling: iteration/.test(document.querySelector('[data-testid=bayes-status]')?.textContent ?? ''),
    null, { timeout: BAYES_MS });
  await waitBayes(page);
  const seconds = (Date.now() - t0) / 1000;
  console.log(`schuetz, 4 chains × (1000 + 1000) in Chromium: ${seconds.toFixed(1)} s (wall clock, shared machine)`);
  const shown = await page.getByTestId('bayes-report').textContent();
  // Reproducible across platforms: the page's wasm sampler and the native CLI give the same
  // posterior table (medians, intervals, R-hat, ESS) and the same number of leapfrog steps.
  const native = await cliBayesText(path.join(dataDir, 'schuetz.csv'), '--model', 'bayes');
  const table = (t) => t.split('\n').filter((l) => /^(Sensitivity|Specificity|LR|DOR|logit|τ|ρ|New study)/.test(l)).join('\n');
  assert.ok(table(shown).length > 200, shown);
  assert.equal(table(shown), table(native));
  const steps = (t) => t.match(/(\d+) leapfrog steps/)?.[1];
  assert.equal(steps(shown), steps(native));
  assert.match(shown, /The sampler converged|did not converge: do not use these numbers/);
  await page.locator('#bayes-box').screenshot({ path: path.join(artifacts, 'bayes.png') });
  // The link carries the choice (and priors, seed).
  // A newer edit cancels a running fit: the result then belongs to the new data (4 studies).
  const audit4 = await fs.readFile(path.join(dataDir, 'audit4.csv'), 'utf8');
  await paste(page, schuetz.split('\n').slice(0, 30).join('\n'));
  await page.getByTestId('data-input').fill(audit4);
  await waitBayes(page);
  const after = await page.getByTestId('bayes-report').textContent();
  assert.match(after, /Bradley et al,1998/);
  assert.doesNotMatch(after, /Achenbach/);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});
