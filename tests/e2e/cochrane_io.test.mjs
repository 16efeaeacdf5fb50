// End-to-end: the figures' display options travel in a permalink (settings group `figures`), and
// a RevMan 5 review file (.rm5) opens through "Open file" with the CLI's numbers.
// Run `make build` first; then `cd tests/e2e && node --test cochrane_io.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, open, waitReady, root, artifacts, cli } from './harness.mjs';

useBrowser();

/** The SROC figure's SVG export, as text. */
async function srocSvg(page) {
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('button[data-export=svg][data-plot=sroc]').click(),
  ]);
  return fs.readFile(await dl.path(), 'utf8');
}

test('a permalink restores the figure options and the figure drawn with them', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  await page.getByTestId('sroc-markers').selectOption('rectangles');
  await page.getByTestId('sroc-x').selectOption('specificity');
  await page.getByTestId('sroc-zoom').check();
  await page.getByTestId('plot-labels').selectOption('off');
  const svg = await srocSvg(page);
  assert.match(svg, />\s*Specificity\s*</, 'x axis labelled Specificity');
  await page.locator('#permalink-copy').click();
  const link = await page.getByTestId('permalink').inputValue();
  assert.match(link, /#v1\./);
  await ctx.close();

  const other = await open(link);
  await waitReady(other.page);
  assert.equal(await other.page.getByTestId('sroc-markers').inputValue(), 'rectangles');
  assert.equal(await other.page.getByTestId('sroc-x').inputValue(), 'specificity');
  assert.equal(await other.page.getByTestId('sroc-curve').inputValue(), 'metandi', 'options left alone stay default');
  assert.equal(await other.page.getByTestId('sroc-zoom').isChecked(), true);
  assert.equal(await other.page.getByTestId('plot-labels').inputValue(), 'off');
  // The figure itself is drawn with the restored options: the same SVG as before the link.
  assert.equal(await srocSvg(other.page), svg, 'identical SROC figure');
  await other.page.locator('#figures').scrollIntoViewIfNeeded();
  await other.page.screenshot({ path: path.join(artifacts, 'permalink-figure-options.png') });
  assert.deepEqual(other.log.problems, []);
  assert.deepEqual(log.problems, []);
  await other.ctx.close();

  // The same link typed into an open page (only the fragment changes): the options follow it.
  const third = await open();
  await waitReady(third.page);
  assert.equal(await third.page.getByTestId('sroc-markers').inputValue(), 'circles');
  await third.page.evaluate((h) => { location.hash = h; }, new URL(link).hash);
  await third.page.waitForFunction(() => document.querySelector('[data-testid=sroc-markers]').value === 'rectangles');
  await waitReady(third.page);
  assert.equal(await third.page.getByTestId('plot-labels').inputValue(), 'off');
  assert.equal(await srocSvg(third.page), svg, 'identical SROC figure after a hash change');
  assert.deepEqual(third.log.problems, []);
  await third.ctx.close();
});

test('a RevMan 5 review (.rm5) opens with the CLI numbers; a broken one names its line', async () => {
  const file = path.join(root, 'tests/fixtures/import/revman5_anti_ccp.rm5');
  const want = await cli(file, '--auc-ci', 'none');
  const { page, ctx, log } = await open();
  await waitReady(page);
  await page.locator('#file-input').setInputFiles(file);
  await page.waitForFunction(() => document.querySelector('[data-testid=data-input]').value.includes('Aotsuka 2005'));
  await waitReady(page);
  const text = await page.getByTestId('data-input').inputValue();
  assert.match(text, /^# RevMan 5 review "Anti-CCP antibodies/);
  assert.match(text, /^Aotsuka 2005\t2005\tAnti-CCP2\t115\t17\t16\t73$/m);
  assert.equal(Number(await page.locator('[data-stat=k]').first().getAttribute('data-value')), want.k);
  const se = Number(await page.getByTestId('summary-sensitivity').getAttribute('data-value'));
  assert.ok(Math.abs(se - want.summary.sensitivity.estimate) < 1e-9, `page ${se} vs CLI ${want.summary.sensitivity.estimate}`);

  const bad = path.join(artifacts, 'broken.rm5');
  await fs.writeFile(bad, (await fs.readFile(file, 'utf8')).replace('TP="115"', 'TP="11x"'));
  await page.locator('#file-input').setInputFiles(bad);
  await page.waitForFunction(() => !document.querySelector('#link-error').hidden);
  assert.match(await page.locator('#link-error').textContent(), /line \d+: <TEST_DATA_ENTRY STUDY_ID="STD-Aotsuka-2005"> of test "Anti-CCP2": TP="11x" is not a whole number/);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});
