// The summary of findings, the compatibility view and the HTML report in the built page: the
// page's SoF numbers equal the CLI's JSON; the exported report opens offline, makes no request,
// shows the CLI's numbers and a hostile study label as text; screenshots and a print-to-PDF are
// written to artifacts/ to be looked at. Run `make build` first; then
// `cd tests/e2e && node --test findings.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, browser, base, run, root, artifacts, cli } from './harness.mjs';

useBrowser();

const READY_MS = 180_000;
const HOSTILE = '<img src=x onerror=alert(1)>"&\'';

const close = (a, b, what, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** audit_c (shared refs) with the first study's label made hostile. */
async function hostileData() {
  const text = await fs.readFile(path.join(root, '../shared/refs/data/audit_c.csv'), 'utf8');
  const lines = text.trim().split('\n');
  const cells = lines[1].split(',');
  cells[0] = `"${HOSTILE.replace(/"/g, '""')}"`;
  lines[1] = cells.join(',');
  return lines.join('\n') + '\n';
}

test('SoF on the page = CLI; the report opens offline with the CLI numbers and the hostile label as text', async () => {
  const data = await hostileData();
  const tmp = path.join(os.tmpdir(), `fourfold-hostile-${process.pid}.csv`);
  await fs.writeFile(tmp, data);
  const json = await cli(tmp);
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('dialog', async (d) => { problems.push(`dialog ${d.message()}`); await d.dismiss(); });
  await page.goto(base, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready', null, { timeout: READY_MS });
  await page.getByTestId('data-input').fill(data);
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready', null, { timeout: READY_MS });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sof-table] td[data-stat=prevalence]').length === 21, null, { timeout: READY_MS });

  // Page numbers = CLI JSON (7 outcomes × 3 prevalences).
  const cols = json.summary_of_findings.blocks[0].columns;
  const keys = ['true_positives', 'false_negatives', 'true_negatives', 'false_positives', 'test_positives', 'ppv', 'npv'];
  const vals = await page.$$eval('[data-testid=sof-table] tbody tr', (rows) =>
    rows.map((r) => [...r.querySelectorAll('td[data-stat=prevalence]')].map((c) => Number(c.dataset.value))));
  keys.forEach((k, i) => cols.forEach((c, j) => close(vals[i][j], c[k].estimate, `${k} @ ${c.prevalence}`)));
  const compat = await page.getByTestId('compat-table').locator('tbody tr').count();
  assert.equal(compat, 12);

  // A certainty rating typed in the table goes into the report.
  const cert = page.locator('[data-testid=sof-table] input[data-sof-note=certainty][data-row="0"]');
  await cert.fill('⊕⊕⊕◯ Moderate <b>');
  await cert.press('Tab');
  await page.screenshot({ path: path.join(artifacts, 'findings-page.png'), fullPage: false });
  await page.getByTestId('sof-tables').screenshot({ path: path.join(artifacts, 'findings-sof.png') });
  await page.getByTestId('compat-box').screenshot({ path: path.join(artifacts, 'findings-compat.png') });
  await page.getByTestId('plot-icons').screenshot({ path: path.join(artifacts, 'findings-icons.png') });
  await page.getByTestId('plot-decision').screenshot({ path: path.join(artifacts, 'findings-decision.png') });
  // The icon array switches to 1,000 people; the choice rides in the settings (permalink group).
  await page.getByTestId('sof-people').selectOption('1000');
  await page.waitForFunction(() => document.querySelector('[data-testid=plot-icons]').width === 1000, null, { timeout: READY_MS });
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready', null, { timeout: READY_MS });
  await page.getByTestId('plot-icons').screenshot({ path: path.join(artifacts, 'findings-icons-1000.png') });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-report').click()]);
  const file = path.join(artifacts, 'report.html');
  await dl.saveAs(file);
  assert.deepEqual(problems, []);
  await ctx.close();

  // The report, opened from disk with the network switched off: no request but the file itself.
  const off = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
  const rp = await off.newPage();
  const requests = [];
  const dialogs = [];
  rp.on('request', (r) => requests.push(r.url()));
  rp.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await rp.goto(`file://${file}`, { waitUntil: 'load' });
  assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'no network request');
  assert.equal(requests.length, 1, `only the file: ${requests}`);
  assert.deepEqual(dialogs, []);
  assert.equal(await rp.locator('img').count(), 0, 'the hostile label made no element');
  assert.ok((await rp.locator('#studies').innerText()).includes(HOSTILE), 'hostile label shown as text');
  assert.ok((await rp.locator('#sof').innerText()).includes('⊕⊕⊕◯ Moderate <b>'), 'certainty rating carried');
  // Every number of the report's summary row = the CLI.
  const s = json.summary;
  for (const [key, want] of [['sensitivity', s.sensitivity.estimate], ['specificity', s.specificity.estimate],
    ['lr-positive', s.LR_positive.estimate], ['lr-negative', s.LR_negative.estimate], ['dor', s.DOR.estimate]]) {
    const got = Number(await rp.locator(`#summary tbody tr:first-child [data-stat="${key}"]`).getAttribute('data-value'));
    close(got, want, `report ${key}`);
  }
  const sofVals = await rp.$$eval('#sof table:first-of-type tbody tr', (rows) =>
    rows.map((r) => [...r.querySelectorAll('td[data-stat=prevalence]')].map((c) => Number(c.dataset.value))));
  keys.forEach((k, i) => cols.forEach((c, j) => close(sofVals[i][j], c[k].estimate, `report ${k}`)));
  const methods = await rp.locator('#methods-text').innerText();
  assert.match(methods, /adaptive Gauss–Hermite quadrature with 25 points/);
  assert.match(methods, /Fourfold \d+\.\d+\.\d+/);
  assert.ok(await rp.locator('#permalink').getAttribute('href'));
  assert.ok((await rp.locator('svg').count()) >= 6, 'inline figures');
  await rp.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: false });
  await rp.locator('#sof').screenshot({ path: path.join(artifacts, 'report-sof.png') });
  await rp.emulateMedia({ media: 'print' });
  await rp.pdf({ path: path.join(artifacts, 'report.pdf'), format: 'A4' });
  await off.close();
  await fs.rm(tmp);
});

test('CLI report: self-contained, escaped, with every section', async () => {
  const bin = path.join(root, 'target/release/fourfold');
  const { stdout } = await run(bin, ['report', path.join(root, '../shared/refs/data/scheidler.csv'), '--by', 'modality'],
    { cwd: root, maxBuffer: 64 << 20 });
  for (const id of ['methods', 'results', 'summary', 'sof', 'figures', 'decision', 'compat', 'studies', 'reproduce']) {
    assert.ok(stdout.includes(`<section id="${id}">`), id);
  }
  assert.ok(!/(src|href)="https?:/.test(stdout), 'no external URL');
  assert.equal((stdout.match(/<caption/g) ?? []).length, 4, 'one SoF table per block (overall + 3 modalities)');
});
