// End-to-end tests of the built page: check what a user sees against the native CLI (the server,
// browser and helpers are in harness.mjs). Run `make build` first; then `cd tests/e2e && node --test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  useBrowser, here, root, artifacts, dataDir, READY_MS, browser, base, cli, parseCsv, excelTsv, open, waitReady, paste,
} from './harness.mjs';

useBrowser();

const CELLS = {
  sensitivity: (b) => b.summary.sensitivity.estimate,
  specificity: (b) => b.summary.specificity.estimate,
  'lr-positive': (b) => b.summary.LR_positive.estimate,
  'lr-negative': (b) => b.summary.LR_negative.estimate,
  dor: (b) => b.summary.DOR.estimate,
  auc: (b) => b.auc.estimate,
};

function close(got, want, what, tol = 1e-9) {
  assert.ok(Number.isFinite(got), `${what}: page value ${got}`);
  assert.ok(Math.abs(got - want) <= tol, `${what}: page ${got} vs CLI ${want}`);
}

/** Pixels of a canvas that differ from its white background. */
async function ink(page, testid) {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-testid=${id}]`);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
    return { n, total: d.length / 4 };
  }, testid);
}

const PLOTS = ['plot-forest', 'plot-sroc', 'plot-fagan', 'plot-deeks', 'plot-doi', 'plot-lr-scatter'];

/** Every summary row: group label and the data-value of each statistic. */
async function summaryRows(page) {
  return page.$$eval('[data-testid=summary-row]', (rows) => rows.map((r) => {
    const v = { group: r.getAttribute('data-group') };
    for (const c of r.querySelectorAll('[data-stat]')) {
      if (c.getAttribute('data-stat') === 'group') continue;
      const x = c.getAttribute('data-value');
      v[c.getAttribute('data-stat')] = x === null ? null : Number(x);
    }
    return v;
  }));
}

function onlyOwnOrigin(log) {
  const own = new URL(base).origin;
  const foreign = log.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== own);
  assert.deepEqual(foreign, [], 'requests to other origins');
}

// ------------------------------------------------------------------ tests

test('the example is analysed at load, and three pasted data sets match the CLI', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  assert.equal(await page.locator('#grid tbody tr').count(), 44, 'the Scheidler example fills the grid');
  await page.screenshot({ path: path.join(artifacts, 'example-top.png') });

  for (const name of ['audit_c', 'scheidler', 'smoking']) {
    await paste(page, await excelTsv(name));
    const want = await cli(path.join(dataDir, `${name}.csv`));
    for (const [key, get] of Object.entries(CELLS)) {
      const cell = page.getByTestId(`summary-${key}`);
      close(Number(await cell.getAttribute('data-value')), get(want), `${name} ${key}`);
      assert.match(await cell.textContent(), /\d/);
    }
    assert.equal(await page.locator('#studies tbody tr').count(), want.k, `${name}: per-study rows`);
    assert.equal(await page.locator('#loo tbody tr').count(), want.k, `${name}: leave-one-out rows`);
    for (const id of PLOTS) {
      const { n, total } = await ink(page, id);
      assert.ok(n > 2000 && n < total * 0.6, `${name} ${id}: ink ${n} of ${total}`);
    }
    // Every number shown in the result tables carries its value.
    const missing = await page.$$eval('#summary td, #studies td, #loo td', (tds) =>
      tds.filter((td) => /\d/.test(td.textContent) && !td.hasAttribute('data-value') && !/^B\d|^FE/.test(td.textContent)).length);
    assert.equal(missing, 0, `${name}: numeric cells without data-value`);
  }
  await page.locator('#results').screenshot({ path: path.join(artifacts, 'results-smoking.png') });
  await page.locator('#figures').screenshot({ path: path.join(artifacts, 'figures-smoking.png') });
  onlyOwnOrigin(log);
  assert.deepEqual(log.problems, [], 'console errors / failed requests');
  await ctx.close();
});

test('choosing a covariate adds subgroup rows equal to the CLI --by', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  const options = await page.$$eval('[data-testid=covariate] option', (o) => o.map((x) => x.value));
  assert.deepEqual(options, ['', 'modality']);
  await page.getByTestId('covariate').selectOption('modality');
  assert.equal(await page.getByTestId('status').textContent(), 'computing');
  await waitReady(page);
  const want = await cli(path.join(dataDir, 'scheidler.csv'), '--by', 'modality');
  const rows = await summaryRows(page);
  assert.equal(rows.length, 1 + want.subgroups.levels.length);
  assert.equal(rows[0].group, 'Overall');
  want.subgroups.levels.forEach((lv, i) => {
    const r = rows[i + 1];
    assert.equal(r.group, lv.level);
    assert.equal(r.k, lv.k);
    for (const [key, get] of Object.entries(CELLS)) close(r[key], get(lv), `${lv.level} ${key}`);
  });
  // Meta-regression tests are listed.
  assert.ok(await page.locator('#metareg tbody tr').count() >= 3);
  const { n } = await ink(page, 'plot-sroc');
  assert.ok(n > 3000, `SROC with overlays: ink ${n}`);
  await page.locator('#results').screenshot({ path: path.join(artifacts, 'subgroups.png') });
  await page.locator('#summary').screenshot({ path: path.join(artifacts, 'subgroups-table.png') });
  await page.locator('#plot-sroc').screenshot({ path: path.join(artifacts, 'subgroups-sroc.png') });
  onlyOwnOrigin(log);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('model and level settings match the CLI options', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  const file = path.join(dataDir, 'scheidler.csv');
  // REML's optimiser stops at a gradient tolerance, and wasm's libm (exp, ln) differs from the
  // native one in the last bits, so the two builds agree to ~1e-8 there; the GLMMs agree to 1e-9.
  for (const [model, level, args, tol] of [
    ['laplace', '0.9', ['--model', 'laplace', '--level', '0.9'], 1e-9],
    ['reitsma', '0.95', ['--model', 'reitsma'], 1e-6],
  ]) {
    await page.locator('#ci-level').selectOption(level);
    await page.locator('#model').selectOption(model);
    await waitReady(page);
    const want = await cli(file, ...args);
    for (const [key, get] of Object.entries(CELLS)) {
      close(Number(await page.getByTestId(`summary-${key}`).getAttribute('data-value')), get(want), `${model} ${key}`, tol);
    }
    assert.match(await page.locator('#fit-report').textContent(), model === 'reitsma' ? /REML/ : /Laplace/);
  }
  onlyOwnOrigin(log);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('the service worker keeps the page usable offline', async () => {
  const ctx = await browser.newContext();
  // The page registers its service worker only outside automation; pretend to be a normal browser.
  await ctx.addInitScript(() => Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false }));
  const page = await ctx.newPage();
  await page.goto(base, { waitUntil: 'load' });
  await waitReady(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload({ waitUntil: 'load' }); // now controlled: the app files go through the cache
  await waitReady(page);
  assert.equal(await page.evaluate(() => !!navigator.serviceWorker.controller), true);
  await ctx.setOffline(true);
  await page.reload({ waitUntil: 'load' });
  await waitReady(page);
  assert.ok(Number(await page.getByTestId('summary-sensitivity').getAttribute('data-value')) > 0);
  await ctx.close();
});

test('spreadsheet upload, example menu, 2×2 rebuild and a numeric split', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  const k = async () => Number(await page.locator('[data-stat=k]').first().getAttribute('data-value'));
  // fixtures/four-studies.xlsx is made by fixtures/make_xlsx.py (inline strings and numbers).
  await page.locator('#file-input').setInputFiles(path.join(here, 'fixtures/four-studies.xlsx'));
  await page.waitForFunction(() => document.querySelector('[data-testid=data-input]').value.includes('S4'));
  await waitReady(page);
  assert.equal(await k(), 4);
  assert.match(await page.getByTestId('data-input').inputValue(), /^S1\t10\t2\t3\t40$/m);

  await page.locator('summary', { hasText: 'Rebuild a 2×2 table' }).click();
  await page.locator('#reconstruct-input').fill('label=Smith sens=0.87 spec=0.80 npos=45 nneg=120');
  await page.locator('#reconstruct-add').click();
  await waitReady(page);
  assert.match(await page.locator('#reconstruct-msg').textContent(), /Added Smith: TP 39, FP 24, FN 6, TN 96/);
  assert.equal(await k(), 5);
  assert.match(await page.getByTestId('data-input').inputValue(), /^Smith\t39\t24\t6\t96$/m);

  await page.locator('#example-select').selectOption('catheter');
  await waitReady(page);
  assert.equal(await k(), 33);
  await page.getByTestId('covariate').selectOption('prevalence');
  await waitReady(page);
  const t = await page.locator('#split').inputValue();
  assert.ok(Number.isFinite(Number(t)) && t !== '', `split at the median: ${t}`);
  const want = await cli(path.join(dataDir, 'catheter.csv'), '--split', `prevalence:${t}`);
  const rows = await summaryRows(page);
  assert.deepEqual(rows.slice(1).map((r) => r.group), want.subgroups.levels.map((l) => l.level));
  want.subgroups.levels.forEach((lv, i) => close(rows[i + 1].sensitivity, lv.summary.sensitivity.estimate, lv.level));
  onlyOwnOrigin(log);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('a permalink reopens the same data, settings and numbers in a fresh browser context', async () => {
  const { page, ctx } = await open();
  await waitReady(page);
  await page.getByTestId('covariate').selectOption('modality');
  await waitReady(page);
  await page.locator('#ci-level').selectOption('0.9');
  await waitReady(page);
  await page.locator('#grid input.use[data-study="Walsh_1981"]').uncheck();
  await waitReady(page);
  await page.locator('#permalink-copy').click();
  const link = await page.getByTestId('permalink').inputValue();
  assert.match(link, /#v1\./);
  assert.equal(new URL(page.url()).hash, new URL(link).hash, 'the link is also in location.hash');
  const before = await summaryRows(page);
  assert.equal(before[0].k, 43);

  const other = await open(link);
  await waitReady(other.page);
  assert.deepEqual(await summaryRows(other.page), before, 'identical numbers');
  assert.equal(await other.page.getByTestId('covariate').inputValue(), 'modality');
  assert.equal(await other.page.locator('#ci-level').inputValue(), '0.9');
  assert.equal(await other.page.locator('#grid input.use[data-study="Walsh_1981"]').isChecked(), false);
  assert.deepEqual(other.log.problems, []);
  await other.ctx.close();

  // The same link typed into an open page (only the fragment changes: no reload).
  const third = await open();
  await waitReady(third.page);
  await third.page.evaluate((h) => { location.hash = h; }, new URL(link).hash);
  await third.page.waitForFunction(() => document.querySelector('[data-testid=covariate]').value === 'modality');
  await waitReady(third.page);
  assert.deepEqual(await summaryRows(third.page), before, 'identical numbers after a hash change');
  await third.ctx.close();

  // A damaged link is reported, and the page still analyses its data.
  const bad = await open(`${base}#v1.AAAA`);
  await waitReady(bad.page);
  assert.match(await bad.page.locator('#link-error').textContent(), /could not be opened/);
  assert.equal(await bad.page.locator('#grid tbody tr').count(), 44);
  await bad.ctx.close();
  await ctx.close();
});

test('input errors are located, valid rows still analyse, and autosave restores the text', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  const text = 'study,TP,FP,FN,TN\nA,10,2,x,40\nB,20,5,3,60\nC,15,4,6,-2\nD,30,8,4,90\nE,12,3,5,44\nF,25,9,2,70\n';
  await paste(page, text);
  const errors = page.getByTestId('input-errors');
  assert.match(await errors.textContent(), /line 2, column "FN"/);
  assert.match(await errors.textContent(), /line 4, column "TN"/);
  assert.equal(await page.locator('#grid input.cell-error').count(), 2, 'the bad cells are highlighted');
  assert.equal(await page.locator('#grid tr.row-error').count(), 2);
  assert.equal(await page.locator('[data-testid=summary-row]').first().getAttribute('data-group'), 'Overall');
  assert.equal(Number(await page.locator('[data-stat=k]').first().getAttribute('data-value')), 4, 'the 4 valid rows are analysed');
  assert.equal(await page.getByTestId('data-input').inputValue(), text, 'nothing typed is lost');
  await page.screenshot({ path: path.join(artifacts, 'input-errors.png') });

  // Fixing a cell in the grid writes it back into the text.
  await page.locator('#grid input.cell[data-row="1"][data-col="3"]').fill('7');
  await waitReady(page);
  assert.match(await page.getByTestId('data-input').inputValue(), /^A,10,2,7,40$/m);
  assert.equal(await page.locator('#grid input.cell-error').count(), 1);
  assert.equal(Number(await page.locator('[data-stat=k]').first().getAttribute('data-value')), 5);

  await page.reload({ waitUntil: 'load' });
  await waitReady(page);
  assert.match(await page.getByTestId('data-input').inputValue(), /^A,10,2,7,40$/m, 'restored after reload');
  assert.match(await page.getByTestId('data-input').inputValue(), /^C,15,4,6,-2$/m);
  assert.equal(await page.locator('#grid input.cell-error').count(), 1);
  onlyOwnOrigin(log);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('a hostile study label is shown literally and runs nothing', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  const evil = '<img src=x onerror=alert(1)>';
  await paste(page, `study\tTP\tFP\tFN\tTN\r\n${evil}\t10\t2\t3\t40\r\nB\t20\t5\t3\t60\r\nC\t15\t4\t6\t50\r\nD\t30\t8\t4\t90\r\n`);
  assert.equal(await page.locator('#studies tbody th').first().textContent(), evil);
  assert.equal(await page.locator('#loo tbody th').first().textContent(), evil);
  assert.equal(await page.locator('main img').count(), 0, 'no element was created from the label');
  await page.waitForTimeout(300);
  assert.deepEqual(log.dialogs, [], 'no dialog');
  assert.equal(log.requests.filter((u) => u.endsWith('/x')).length, 0, 'no request for the image');
  onlyOwnOrigin(log);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('QUADAS-2 columns produce the traffic-light and summary figures', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  assert.equal(await page.locator('#quadas-box').isHidden(), true, 'no QUADAS figure for the example');
  const head = 'study\tTP\tFP\tFN\tTN\tPatient selection\tIndex test\tReference standard\tFlow and timing\tPS applicability\tIT applicability\tRS applicability\r\n';
  const rows = ['A\t10\t2\t3\t40\tlow\thigh\tlow\tunclear\tlow\tlow\thigh', 'B\t20\t5\t3\t60\tlow\tlow\tlow\tlow\thigh\tlow\tlow',
    'C\t15\t4\t6\t50\thigh\tunclear\tlow\tlow\tlow\tunclear\tlow', 'D\t30\t8\t4\t90\tlow\tlow\thigh\tlow\tlow\tlow\tlow'];
  await paste(page, head + rows.join('\r\n') + '\r\n');
  assert.equal(await page.locator('#quadas-box').isHidden(), false);
  for (const id of ['plot-quadas', 'plot-quadas-summary']) {
    const { n, total } = await ink(page, id);
    assert.ok(n > total / 100, `${id} is not blank (${n} of ${total} pixels)`);
  }
  // The 300 dpi PNG export is the same figure at 3.125x: draw it the export's way and check ink.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=png][data-plot=quadas-summary]').click()]);
  const png = await fs.readFile(await dl.path());
  assert.equal(png.readUInt32BE(16), Math.round(900 * 3.125), 'PNG width = 900 px x 3.125');
  // Same figure, same layout: the PNG scaled down to the page canvas's size has about the same
  // share of dark pixels (a layout made for the 3.125x canvas would show only its top-left part).
  const share = await page.evaluate(async (b64) => {
    const frac = (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 160 && d[i + 1] < 160 && d[i + 2] < 160) n++;
      return n / (d.length / 4);
    };
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const page = document.getElementById('plot-quadas-summary');
    const c = document.createElement('canvas');
    c.width = page.width; c.height = page.height;
    c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
    return { png: frac(c), page: frac(page) };
  }, png.toString('base64'));
  assert.ok(Math.abs(share.png - share.page) < 0.25 * share.page, `PNG and page figure alike: ${JSON.stringify(share)}`);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('exports: SVG and 300 dpi PNG plots, CSV, JSON and the R script', async () => {
  const { page, ctx } = await open();
  await waitReady(page);
  const get = async (selector) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
    const file = await dl.path();
    return { name: dl.suggestedFilename(), body: await fs.readFile(file) };
  };
  const svg = await get('[data-export=svg][data-plot=sroc]');
  assert.equal(svg.name, 'fourfold-sroc.svg');
  assert.match(svg.body.toString('utf8'), /^<svg[^>]*width="760"/);
  const png = await get('[data-export=png][data-plot=fagan]');
  assert.equal(png.name, 'fourfold-fagan.png');
  assert.equal(png.body.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(png.body.readUInt32BE(16), 1625, 'PNG width = 520 px × 3.125');
  const csv = await get('[data-export=summary-csv]');
  assert.match(csv.body.toString('utf8'), /^group,k,rung,sens/);
  const json = JSON.parse((await get('[data-export=json]')).body.toString('utf8'));
  close(json.summary.sensitivity.estimate, Number(await page.getByTestId('summary-sensitivity').getAttribute('data-value')), 'json');
  assert.equal(json.loo.length, 44);
  const r = (await get('[data-export=r]')).body.toString('utf8');
  assert.match(r, /glmer\(cbind\(pos, n - pos\)/);
  assert.match(r, /reitsma\(d\)/);
  assert.match(r, /"Grumbine_1981"/);
  await ctx.close();
});

test('no serious or critical accessibility violations (axe-core)', async () => {
  const { page, ctx } = await open();
  await waitReady(page);
  const axe = await fs.readFile(path.join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axe);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], JSON.stringify(result, null, 1));
  // Keyboard: the first Tab reaches the skip link, and the controls are reachable.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip');
  await ctx.close();
});

test('narrow screens get a one-column layout', async () => {
  const { page, ctx } = await open(base, { viewport: { width: 420, height: 900 } });
  await waitReady(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `horizontal overflow ${overflow}px`);
  await page.screenshot({ path: path.join(artifacts, 'narrow.png') });
  await ctx.close();
});

// ------------------------------------------------------------------ issues #10 / #11

test('labels follow the chosen level; refused settings say why; hidden results are on the page', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  await page.locator('#ci-level').selectOption('0.9');
  await page.getByTestId('covariate').selectOption('modality');
  await waitReady(page);
  const heads = await page.$$eval('#summary-head th', (t) => t.map((x) => x.textContent));
  assert.ok(heads.includes('Sensitivity (90% CI)'), heads.join(' | '));
  assert.ok(!heads.some((h) => h.includes('95%')), heads.join(' | '));
  const sheads = await page.$$eval('#studies thead th', (t) => t.map((x) => x.textContent));
  assert.ok(sheads.includes('Sensitivity (90% CI)'), sheads.join(' | '));
  const want = await cli(path.join(dataDir, 'scheidler.csv'), '--by', 'modality', '--level', '0.9');
  // Prediction interval, HSROC and per-level relative accuracy carry the CLI's numbers.
  const card = await page.$$eval('#model-card dt', (dts) => dts.map((d) => [d.textContent, d.nextElementSibling?.getAttribute('data-value')]));
  const pi = card.find(([t]) => t === '90% prediction interval, sensitivity');
  assert.ok(pi, JSON.stringify(card));
  close(Number(pi[1]), want.prediction_interval_sens[0], 'prediction interval');
  const lambda = card.find(([t]) => t.startsWith('HSROC Λ'));
  close(Number(lambda[1]), want.hsroc.Lambda, 'HSROC Lambda');
  const lag = want.meta_regression.modality.per_level.find((l) => l.level === 'LAG');
  const rel = await page.$eval('#metareg-levels tbody tr:nth-child(2) [data-stat=relative-sensitivity]', (c) => c.getAttribute('data-value'));
  close(Number(rel), lag.relative_sensitivity.estimate, 'relative sensitivity LAG');
  assert.equal(await page.locator('[data-testid=subgroup-fits] h4').count(), 3);
  // SVG exports at 90% say 90%.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=svg][data-plot=forest]').click()]);
  const svg = await fs.readFile(await dl.path(), 'utf8');
  assert.ok(svg.includes('Sensitivity (90% CI)') && !svg.includes('95%'), 'forest SVG at 90%');
  // An out-of-range node count is refused with a message, not clamped.
  await page.locator('#nodes').fill('100');
  await page.locator('#nodes').dispatchEvent('change');
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'error');
  assert.match(await page.locator('#fit-report').textContent(), /between 1 and 41; 100 was given/);
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('every export downloads without a console error; PNGs say 300 dpi', async () => {
  let { page, ctx, log } = await open();
  await waitReady(page);
  const buttons = await page.$$eval('[data-export]', (b) => b.filter((x) => x.offsetParent !== null)
    .map((x) => [x.getAttribute('data-export'), x.getAttribute('data-plot')]));
  assert.ok(buttons.length >= 16, `${buttons.length} export buttons`);
  let n = 0;
  for (const [kind, plot] of buttons) {
    // Chromium holds back an eleventh download from one page in quick succession (it would ask
    // the user); a fresh page every eight keeps the test about the exports.
    if (++n % 8 === 0) {
      assert.deepEqual(log.problems, [], 'console errors during exports');
      await ctx.close();
      ({ page, ctx, log } = await open());
      await waitReady(page);
    }
    const sel = plot ? `[data-export=${kind}][data-plot=${plot}]` : `[data-export=${kind}]`;
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(sel).click()]);
    const body = await fs.readFile(await dl.path());
    assert.ok(body.length > 100, `${sel}: ${body.length} bytes`);
    if (kind === 'png') {
      // pHYs right after IHDR: 11811 pixels per metre = 300 dpi, unit metre.
      assert.equal(body.subarray(37, 41).toString('latin1'), 'pHYs', `${sel}: pHYs chunk`);
      assert.equal(body.readUInt32BE(41), 11811, `${sel}: x resolution`);
      assert.equal(body.readUInt32BE(45), 11811, `${sel}: y resolution`);
      assert.equal(body[49], 1, `${sel}: unit metre`);
    }
  }
  assert.deepEqual(log.problems, [], 'console errors during exports');
  await ctx.close();
});

test('a result is on screen without scrolling; an example replacing your data can be undone', async () => {
  const { page, ctx, log } = await open(base, { viewport: { width: 1366, height: 768 } });
  await waitReady(page);
  const box = await page.getByTestId('glance').boundingBox();
  assert.ok(box && box.y + box.height <= 768, `glance box at ${JSON.stringify(box)}`);
  const sens = await page.$eval('[data-testid=glance] span[data-value]', (s) => Number(s.getAttribute('data-value')));
  close(sens, Number(await page.getByTestId('summary-sensitivity').getAttribute('data-value')), 'glance sensitivity');
  assert.equal(await page.locator('#example-select').inputValue(), 'scheidler', 'the menu names the loaded example');
  await page.screenshot({ path: path.join(artifacts, 'above-the-fold-1366.png') });
  const mine = 'study,TP,FP,FN,TN\nA,10,2,3,40\nB,20,5,3,60\nC,15,4,6,50\nD,30,8,4,90\n';
  await paste(page, mine);
  assert.equal(await page.locator('#example-select').inputValue(), '');
  await page.locator('#example-select').selectOption('audit_c');
  await waitReady(page);
  assert.ok(await page.getByTestId('undo').isVisible());
  await page.getByTestId('undo').click();
  await waitReady(page);
  assert.equal(await page.getByTestId('data-input').inputValue(), mine);
  assert.ok(!(await page.getByTestId('undo').isVisible()));
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('a panic shows a calm alert, keeps the text (autosave) and the reload brings it back', async () => {
  // Some text of the user's own first: a pasted table, analysed and autosaved.
  const { page, ctx } = await open();
  await waitReady(page);
  const pasted = await excelTsv('schuetz');
  await paste(page, pasted);
  const text = pasted.replace(/\r\n/g, '\n'); // a textarea's value has LF line ends
  await page.close();

  // `?fourfold-test-panic=1` (src/web/crash.rs) panics on purpose once the analysis is ready.
  // The page starts from the autosaved text; once its first pass has saved it, the saved copy is
  // removed, so that the copy found after the crash is the one the panic hook wrote.
  const crashed = await open(`${base}?fourfold-test-panic=1`, { context: ctx });
  const p = crashed.page;
  await p.waitForFunction(() => document.querySelector('#loo-status')?.textContent !== '' &&
    document.querySelector('[data-testid=status]')?.textContent === 'computing', null, { timeout: READY_MS });
  await p.evaluate(() => localStorage.removeItem('fourfold.autosave.v1'));
  const alert = p.getByTestId('crash');
  await alert.waitFor({ state: 'visible', timeout: READY_MS });
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.match(await alert.textContent(), /Something went wrong/);
  assert.match(await alert.textContent(), /Your table is safe/);
  assert.match(await p.locator('#crash-detail').textContent(), /deliberate test panic/);
  assert.equal(await p.getByTestId('status').textContent(), 'stopped');
  assert.equal(await p.evaluate(() => document.body.dataset.crashed), 'true');
  const input = p.getByTestId('data-input');
  assert.equal(await input.inputValue(), text, 'the text box still holds the text');
  assert.equal(await input.getAttribute('readonly'), '', 'read-only, so the text can still be copied');
  assert.equal(await p.locator('#model').isDisabled(), true, 'controls are disabled');
  assert.equal(await p.locator('#reset-example').isDisabled(), true);
  const saved = await p.evaluate(() => JSON.parse(localStorage.getItem('fourfold.autosave.v1') ?? 'null'));
  assert.equal(saved?.text, text, 'the panic hook saved the text');
  await p.screenshot({ path: path.join(artifacts, 'crashed.png') });
  await alert.screenshot({ path: path.join(artifacts, 'crashed-alert.png') });
  // Exactly the panic: its console message, and the wasm trap that ends the call.
  const expected = crashed.log.problems.filter((m) => /deliberate test panic/.test(m) || /pageerror: unreachable/.test(m));
  assert.deepEqual(crashed.log.problems, expected, 'nothing but the panic');
  assert.equal(crashed.log.problems.filter((m) => m.startsWith('console:')).length, 1, JSON.stringify(crashed.log.problems));

  // Reload: the saved text comes back, without the test parameter (so no second panic).
  await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), p.getByTestId('crash-reload').click()]);
  assert.equal(new URL(p.url()).search, '');
  await waitReady(p);
  assert.equal(await p.getByTestId('data-input').inputValue(), text, 'restored after the reload');
  assert.equal(await p.getByTestId('crash').isHidden(), true);
  assert.equal(Number(await p.locator('[data-stat=k]').first().getAttribute('data-value')), 108);
  await ctx.close();
});

test('figure options: RevMan-style forest, SROC zoom and regions per subgroup, study labels', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  const { n } = await ink(page, 'plot-forest-counts');
  assert.ok(n > 2000, `forest with counts drawn: ${n}`);
  await page.getByTestId('covariate').selectOption('modality');
  await waitReady(page);
  assert.equal(await page.locator('#sroc-regions input').count(), 3, 'one regions box per subgroup');
  const before = await ink(page, 'plot-sroc');
  await page.locator('#sroc-regions input').nth(1).uncheck();
  const fewer = await ink(page, 'plot-sroc');
  assert.ok(fewer.n < before.n, `hiding LAG's regions removes ink (${before.n} → ${fewer.n})`);
  // Zoom (schuetz: the points fill only part of ROC space).
  await paste(page, await excelTsv('schuetz'));
  const full = await ink(page, 'plot-sroc');
  await page.getByTestId('sroc-zoom').check();
  const zoomed = await ink(page, 'plot-sroc');
  assert.notEqual(zoomed.n, full.n, 'zoom redraws the SROC plot');
  await page.getByTestId('plot-labels').selectOption('all');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=svg][data-plot=deeks]').click()]);
  const svg = await fs.readFile(await dl.path(), 'utf8');
  const labels = (svg.match(/<text/g) ?? []).length;
  assert.ok(labels > 108, `all 108 labels in the exported Deeks plot (${labels} texts)`);
  assert.equal(await page.getByTestId('status').textContent(), 'ready', 'display options do not re-analyse');
  assert.deepEqual(log.problems, []);
  await ctx.close();
});

test('risk of bias: low-risk analysis beside the summary equals the CLI; robvis import; RevMan SROC', async () => {
  const { page, ctx, log } = await open();
  await waitReady(page);
  assert.equal(await page.getByTestId('low-risk-box').isHidden(), true, 'no risk-of-bias box without QUADAS columns');
  const fixture = path.join(root, 'tests/fixtures/audit_c_quadas.csv');
  await paste(page, await fs.readFile(fixture, 'utf8'));
  assert.equal(await page.getByTestId('low-risk-box').isHidden(), false);
  const options = await page.$$eval('[data-testid=low-risk] option', (os) => os.map((o) => o.value));
  assert.deepEqual(options, ['', 'overall', 'D1', 'D2', 'D3', 'D4']);
  await page.getByTestId('low-risk').selectOption('D1');
  await waitReady(page);
  const want = (await cli(fixture, '--low-risk', 'D1')).low_risk;
  assert.equal(want.k, 10);
  const rows = await page.$$eval('[data-testid=low-risk-table] tbody tr', (trs) => trs.map((tr) =>
    Object.fromEntries([...tr.querySelectorAll('[data-stat]')].map((c) => [c.getAttribute('data-stat'), c.getAttribute('data-value') ?? c.textContent]))));
  assert.equal(rows.length, 2);
  assert.equal(rows[1].group, 'Low risk of bias in patient_selection');
  close(Number(rows[1].k), want.k, 'k');
  close(Number(rows[1].sensitivity), want.result.summary.sensitivity.estimate, 'low-risk sensitivity');
  close(Number(rows[1].specificity), want.result.summary.specificity.estimate, 'low-risk specificity');
  const notes = await page.getByTestId('low-risk-notes').textContent();
  assert.match(notes, /10 of 14 studies judged low in patient_selection/);
  assert.match(notes, /Left out: 2 high, 2 unclear/);

  // RevMan conventions of the SROC: one click sets the four options; the canvas and the SVG export change alike.
  const before = await ink(page, 'plot-sroc');
  await page.getByTestId('sroc-revman').click();
  for (const [id, v] of [['sroc-markers', 'rectangles'], ['sroc-x', 'specificity'], ['sroc-curve', 'observed'], ['sroc-region-style', 'lines']]) {
    assert.equal(await page.getByTestId(id).inputValue(), v, id);
  }
  const after = await ink(page, 'plot-sroc');
  assert.notEqual(after.n, before.n, 'the SROC canvas is redrawn');
  await page.getByTestId('plot-sroc').screenshot({ path: path.join(artifacts, 'cochrane-sroc-page.png') });
  await page.getByTestId('low-risk-box').screenshot({ path: path.join(artifacts, 'cochrane-low-risk-box.png') });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export=svg][data-plot=sroc]').click()]);
  const svg = await fs.readFile(await dl.path(), 'utf8');
  assert.match(svg, />\s*Specificity\s*</);
  assert.match(svg, /√diseased × √non-diseased/);
  assert.equal((svg.match(/<rect[^>]*stroke="#0072B2"[^>]*fill="none"|<rect[^>]*fill="none"[^>]*stroke="#0072B2"/g) ?? []).length, 14 + 1, '14 rectangles + the legend sample');
  await page.getByTestId('sroc-markers').selectOption('circles');
  const circles = await ink(page, 'plot-sroc');
  assert.notEqual(circles.n, after.n, 'markers back to circles');
  assert.equal(await page.getByTestId('status').textContent(), 'ready', 'display options do not re-analyse');

  // robvis import: robvis's own example table (Study 1 … Study 12) merged by label into matching data.
  const audit = parseCsv(await fs.readFile(path.join(root, '../shared/refs/data/audit_c.csv'), 'utf8'));
  const data = ['study,TP,FP,FN,TN', ...audit.slice(1, 13).map((r, i) => [`Study ${i + 1}`, ...r.slice(1)].join(','))].join('\n') + '\n';
  await paste(page, data);
  assert.equal(await page.getByTestId('low-risk-box').isHidden(), true);
  await page.getByTestId('robvis-input').setInputFiles(path.join(root, 'tests/fixtures/robvis_data_quadas.csv'));
  await page.waitForFunction(() => document.querySelector('[data-testid=data-input]').value.includes('Overall'));
  await waitReady(page);
  assert.equal(await page.getByTestId('low-risk-box').isHidden(), false);
  await page.getByTestId('low-risk').selectOption('overall');
  await waitReady(page);
  assert.match(await page.getByTestId('low-risk-notes').textContent(), /6 of 12 studies judged low in Overall/);
  const bad = path.join(artifacts, 'robvis-bad.csv');
  await fs.writeFile(bad, 'Study,D1,D2,D3,D4,Overall\nStudy 99,Low,Low,Low,Low,Low\n');
  await page.getByTestId('robvis-input').setInputFiles(bad);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=robvis-errors] li').length > 0);
  assert.match(await page.getByTestId('robvis-errors').textContent(), /line 2, column "Study": study 'Study 99' is not in the data/);
  assert.match(await page.getByTestId('data-input').inputValue(), /Overall/, 'a refused table leaves the data as it was');
  assert.deepEqual(log.problems, []);
  await ctx.close();
});
