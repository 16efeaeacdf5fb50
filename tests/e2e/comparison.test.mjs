// End-to-end test of the comparison of index tests (issue #13): paste schuetz (CT vs MRI, long
// format), choose the test column and "paired only", and compare the page's comparison table with
// `fourfold analyze --test test --paired-only --json`; the per-test SROC and the forest by test
// are drawn. Run `make build` first; then `cd tests/e2e && node --test comparison.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, root, artifacts, open, waitReady, cli } from './harness.mjs';

useBrowser();

const schuetz = path.resolve(root, '../shared/refs/data/schuetz.csv');

const ready = (page) => waitReady(page, 300_000);

test('comparison of tests: table equal to the CLI, per-test SROC and forest by test', async () => {
  const want = (await cli(schuetz, '--test', 'test', '--paired-only')).comparison;
  const { page, ctx, log } = await open();
  await ready(page);
  assert.equal(await page.getByTestId('comparison-box').isHidden(), true);
  await page.getByTestId('data-input').fill(await fs.readFile(schuetz, 'utf8'));
  await ready(page);
  await page.getByTestId('test-column').selectOption('test');
  await ready(page);
  await page.getByTestId('paired-only').check();
  await ready(page);
  assert.equal(await page.getByTestId('comparison-box').isVisible(), true);
  const rows = await page.$$eval('[data-testid=comparison-table] tbody tr', (trs) => trs.map((tr) => {
    const v = {};
    for (const c of tr.querySelectorAll('[data-stat]')) v[c.getAttribute('data-stat')] = c.getAttribute('data-value') ?? c.textContent;
    return v;
  }));
  const fits = [want.all_studies, want.paired_only];
  const per = fits.flatMap((f) => f.per_test);
  assert.equal(rows.length, per.length);
  per.forEach((t, i) => {
    assert.equal(rows[i].test, t.test);
    for (const [key, e] of [['sensitivity', t.summary.sensitivity], ['specificity', t.summary.specificity], ['relative-sensitivity', t.relative_sensitivity]]) {
      if (!e) continue;
      assert.ok(Math.abs(Number(rows[i][key]) - e.estimate) < 1e-9, `${t.test} ${key}: ${rows[i][key]} vs ${e.estimate}`);
    }
  });
  const report = await page.getByTestId('comparison-report').textContent();
  assert.match(report, /partially paired/);
  assert.match(report, /5 of 103 report more than one test/);
  const chi2 = await page.$$eval('[data-testid=comparison-tests] [data-stat=chi2]', (c) => c.map((x) => Number(x.getAttribute('data-value'))));
  assert.ok(Math.abs(chi2[0] - want.all_studies.lrt.equal_sensitivity.statistic) < 1e-9);
  for (const id of ['plot-comparison-sroc', 'plot-comparison-forest']) {
    const n = await page.evaluate((tid) => {
      const c = document.querySelector(`[data-testid=${tid}]`);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let k = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) k++;
      return k;
    }, id);
    assert.ok(n > 3000, `${id}: ink ${n}`);
  }
  await page.getByTestId('comparison-box').screenshot({ path: path.join(artifacts, 'comparison.png') });
  await page.locator('#plot-comparison-sroc').screenshot({ path: path.join(artifacts, 'comparison-sroc.png') });
  assert.deepEqual(log.problems, []);
  await ctx.close();
});
