// Every figure of the page in three states — no covariate (Scheidler), two subgroups (anti-CCP by
// generation), three subgroups (Scheidler by modality) — as the page's canvas and as its SVG export,
// written to artifacts/figures/ to be looked at (issue #11). Each SVG export is opened in Chromium and
// checked: no two text boxes overlap, no text leaves the viewBox. The decision curve and the icon
// array (no SVG button on the page) are checked in the exported HTML report's inline SVGs; the MCMC
// plots (CLI only) from `fourfold analyze --model bayes --bayes-plots`.
// Run `make build` first; then `cd tests/e2e && node --test figures.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useBrowser, browser, base, root, run, artifacts, dataDir, open, waitReady, paste, cli } from './harness.mjs';

useBrowser();

const OUT = path.join(artifacts, 'figures');
/** Largest share of clearly different pixels between a canvas and its SVG export (see pixelDiff). */
const MAX_DIFF = 0.02;

/** The three states: data set (www/examples), covariate (subgroups) and test column (comparison). */
const STATES = [
  { name: 'none', file: 'scheidler', covariate: '', test: '' },
  { name: '2groups', file: 'anti_ccp', covariate: 'generation', test: 'generation' },
  { name: '3groups', file: 'scheidler', covariate: 'modality', test: 'modality' },
];

/**
 * Text boxes (screen coordinates relative to the root <svg>, transforms applied) of every
 * non-empty <text>, the pairs that overlap by more than 2 px in both directions, and the
 * texts that leave the drawing by more than 1 px. Runs in the page.
 */
function checkTexts(sel) {
  const svg = document.querySelector(sel);
  const r0 = svg.getBoundingClientRect();
  const w = Number(svg.getAttribute('width')) || r0.width;
  const h = Number(svg.getAttribute('height')) || r0.height;
  const boxes = [...svg.querySelectorAll('text')]
    .filter((t) => t.textContent.trim() !== '')
    .map((t) => {
      const r = t.getBoundingClientRect();
      // The glyph box: the font's line box is taller than the ink; keep 70 % of it, centred.
      const ink = r.height * 0.7;
      return { s: t.textContent.trim(), x: r.left - r0.left, y: r.top - r0.top + (r.height - ink) / 2, w: r.width, h: ink };
    });
  // More than 2 px in both directions: anti-aliasing and the 70 % ink estimate are not overlaps.
  const slack = 2;
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const ix = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const iy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (ix > slack && iy > slack) overlaps.push(`"${a.s}" × "${b.s}" (${ix.toFixed(0)}×${iy.toFixed(0)} px)`);
    }
  }
  const outside = boxes
    .filter((b) => b.x < -1 || b.y < -1 || b.x + b.w > w + 1 || b.y + b.h > h + 1)
    .map((b) => `"${b.s}" at (${b.x.toFixed(0)}, ${b.y.toFixed(0)}, ${b.w.toFixed(0)}×${b.h.toFixed(0)}) in ${w}×${h}`);
  return { n: boxes.length, overlaps, outside };
}

/** Open `svg` (a document string) in `page`, screenshot it to `png`, return the text check. */
async function viewSvg(page, svg, png) {
  await page.setContent(`<!DOCTYPE html><html><body style="margin:0;background:#fff">${svg}</body></html>`);
  await page.locator('body > svg').screenshot({ path: png });
  return page.evaluate(checkTexts, 'body > svg');
}

/**
 * The share of pixels where the canvas bitmap and the SVG's rendering differ clearly (a channel by
 * more than 96 of 255), after scaling the canvas to the SVG's size. Font rasterisation differs a
 * little between the two; a label or legend laid out elsewhere differs much more.
 */
async function pixelDiff(viewer, canvasPng, svgPng) {
  const [a, b] = await Promise.all([canvasPng, svgPng].map((f) => fs.readFile(f).then((x) => x.toString('base64'))));
  return viewer.evaluate(async ([a, b]) => {
    const load = (d) => new Promise((ok, bad) => { const i = new Image(); i.onload = () => ok(i); i.onerror = bad; i.src = `data:image/png;base64,${d}`; });
    const [ia, ib] = await Promise.all([load(a), load(b)]);
    const px = (img) => {
      const c = document.createElement('canvas');
      c.width = ib.width; c.height = ib.height;
      const g = c.getContext('2d');
      g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
      g.drawImage(img, 0, 0, ib.width, ib.height);
      return g.getImageData(0, 0, c.width, c.height).data;
    };
    const [da, db] = [px(ia), px(ib)];
    let n = 0;
    for (let i = 0; i < da.length; i += 4) {
      if (Math.abs(da[i] - db[i]) > 96 || Math.abs(da[i + 1] - db[i + 1]) > 96 || Math.abs(da[i + 2] - db[i + 2]) > 96) n++;
    }
    return n / (da.length / 4);
  }, [a, b]);
}

/** Every defect found, by figure file; asserted empty at the end of each test. */
function ledger() {
  const found = [];
  const diffs = {};
  return {
    diffs,
    add(name, check) {
      for (const o of check.overlaps) found.push(`${name}: overlap ${o}`);
      for (const o of check.outside) found.push(`${name}: outside ${o}`);
      assert.ok(check.n > 0, `${name}: no text at all`);
    },
    found,
  };
}

/** The ids of the figures on screen now (visible canvases with an SVG button). */
const visibleFigures = (page) => page.$$eval('button[data-export=svg][data-plot]', (bs) =>
  bs.filter((b) => b.offsetParent !== null).map((b) => b.dataset.plot));

/** The canvas's bitmap (what the page drew, at the screen's pixel density) as a PNG file. */
async function saveCanvas(page, id, file) {
  const url = await page.$eval(`#plot-${id}`, (c) => c.toDataURL('image/png'));
  await fs.writeFile(file, Buffer.from(url.split(',')[1], 'base64'));
}

/** Screenshot canvas `id` and its SVG export as `<stem>-canvas.png`, `<stem>.svg`, `<stem>-svg.png`. */
async function capture(page, viewer, id, stem, book) {
  await saveCanvas(page, id, path.join(OUT, `${stem}-canvas.png`));
  const [dl] = await Promise.all([page.waitForEvent('download'),
    page.locator(`button[data-export=svg][data-plot="${id}"]`).click()]);
  const svg = await fs.readFile(await dl.path(), 'utf8');
  await fs.writeFile(path.join(OUT, `${stem}.svg`), svg);
  const check = await viewSvg(viewer, svg, path.join(OUT, `${stem}-svg.png`));
  book.add(`${stem}.svg`, check);
  const diff = await pixelDiff(viewer, path.join(OUT, `${stem}-canvas.png`), path.join(OUT, `${stem}-svg.png`));
  book.diffs[stem] = Number(diff.toFixed(4));
  if (diff > MAX_DIFF) book.found.push(`${stem}: canvas and SVG differ in ${(100 * diff).toFixed(1)}% of pixels`);
  // Canvas and SVG export are one layout: the same size.
  const [cw, ch] = await page.$eval(`#plot-${id}`, (c) => { const r = c.getBoundingClientRect(); return [r.width, r.height]; });
  const m = svg.match(/<svg[^>]*width="(\d+)"[^>]*height="(\d+)"/);
  assert.ok(m, `${stem}: an <svg> with a size`);
  // The canvas has the SVG's layout: its aspect ratio, never enlarged by CSS (blurry text); a
  // narrow column may show it smaller.
  const [sw, sh] = [Number(m[1]), Number(m[2])];
  if (Math.abs(cw / ch - sw / sh) > 0.01 || cw > sw + 1) {
    book.found.push(`${stem}: canvas shown at ${cw.toFixed(0)}×${ch.toFixed(0)}, SVG ${sw}×${sh}`);
  }
}

async function setAndWait(page, testid, value) {
  const loc = page.getByTestId(testid);
  if ((await loc.inputValue()) === value) return;
  await loc.selectOption(value);
  await waitReady(page);
}

for (const st of STATES) {
  test(`figures with ${st.name === 'none' ? 'no covariate' : st.name.replace('groups', ' subgroups')}: canvas and SVG, no overlapping text`, async () => {
    await fs.mkdir(OUT, { recursive: true });
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const { page, log } = await open(base, { context: ctx });
    const viewer = await ctx.newPage();
    await waitReady(page);
    const text = await fs.readFile(path.join(dataDir, `${st.file}.csv`), 'utf8');
    if ((await page.getByTestId('data-input').inputValue()).trim() !== text.trim()) await paste(page, text);
    await setAndWait(page, 'covariate', st.covariate);
    if (st.test) await setAndWait(page, 'test-column', st.test);
    const book = ledger();
    const ids = await visibleFigures(page);
    for (const want of ['forest', 'forest-counts', 'sroc', 'fagan', 'deeks', 'doi', 'lr-scatter']) {
      assert.ok(ids.includes(want), `${want} on screen (${ids})`);
    }
    if (st.test) assert.ok(ids.includes('comparison-sroc') && ids.includes('comparison-forest'), `comparison (${ids})`);
    for (const id of ids) await capture(page, viewer, id, `${st.name}-${id}`, book);

    // The Cochrane / RevMan SROC conventions: rectangles, specificity axis, observed range, lines.
    await page.getByTestId('sroc-revman').click();
    await waitReady(page);
    for (const id of ids.filter((i) => i.includes('sroc'))) await capture(page, viewer, id, `${st.name}-${id}-revman`, book);
    // The other Cochrane variant: RevMan markers and lines on the usual 1 − specificity axis.
    await page.getByTestId('sroc-x').selectOption('fpr');
    await waitReady(page);
    await capture(page, viewer, 'sroc', `${st.name}-sroc-cochrane-fpr`, book);
    // Zoomed SROC; every study labelled on Deeks and the LR scattergram.
    await page.getByTestId('sroc-zoom').check();
    await waitReady(page);
    await capture(page, viewer, 'sroc', `${st.name}-sroc-zoom`, book);
    await page.getByTestId('plot-labels').selectOption('all');
    await waitReady(page);
    for (const id of ['deeks', 'lr-scatter']) await capture(page, viewer, id, `${st.name}-${id}-all-labels`, book);

    // Icon array and decision curve: the canvas, and the SVGs of the exported HTML report.
    for (const id of ['icons', 'decision']) {
      await saveCanvas(page, id, path.join(OUT, `${st.name}-${id}-canvas.png`));
    }
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-report').click()]);
    const report = await fs.readFile(await dl.path(), 'utf8');
    const svgs = [...report.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    const icons = svgs.find((s) => /True positives|true positives/.test(s) && /people|People/.test(s));
    const decision = svgs.find((s) => /Net benefit|net benefit/.test(s));
    assert.ok(icons && decision, 'the report has the icon array and the decision curve');
    for (const [id, svg] of [['icons', icons], ['decision', decision]]) {
      await fs.writeFile(path.join(OUT, `${st.name}-${id}.svg`), svg);
      book.add(`${st.name}-${id}.svg`, await viewSvg(viewer, svg, path.join(OUT, `${st.name}-${id}-svg.png`)));
    }
    // Subgroups in every figure: forest headings and summaries, a legend entry per level.
    if (st.covariate) {
      const want = await cli(path.join(dataDir, `${st.file}.csv`), '--by', st.covariate);
      const levels = want.subgroups.levels.map((l) => [l.level, l.k]);
      const forest = await fs.readFile(path.join(OUT, `${st.name}-forest.svg`), 'utf8');
      assert.equal(forest.match(/Subgroup summary/g)?.length, levels.length, 'a summary per subgroup');
      for (const id of ['forest', 'deeks', 'doi', 'lr-scatter', 'sroc']) {
        const svg = await fs.readFile(path.join(OUT, `${st.name}-${id}.svg`), 'utf8');
        for (const [l, k] of levels) assert.ok(svg.includes(`${l} (k = ${k})`), `${id}: "${l} (k = ${k})"`);
      }
    }
    await fs.writeFile(path.join(OUT, `${st.name}-pixel-diff.json`), JSON.stringify(book.diffs, null, 1));
    await fs.writeFile(path.join(OUT, `${st.name}-defects.txt`), book.found.join('\n') + '\n');
    assert.deepEqual(log.problems, [], 'console errors');
    assert.deepEqual(book.found, [], 'text defects');
    await ctx.close();
  });
}

test('QUADAS-2 and QUADAS-3 figures: canvas and SVG, titles follow the tool, no overlapping text', async () => {
  await fs.mkdir(OUT, { recursive: true });
  const q2 = (await fs.readFile(path.join(root, 'tests/fixtures/audit_c_quadas.csv'), 'utf8'))
    .split('\n').filter((l) => !l.startsWith('#')).join('\n');
  // QUADAS-3 (participants, index test, target condition, analysis; "insufficient information").
  const rows = q2.trim().split('\n').slice(1).map((l) => l.split(','));
  const words = ['Low', 'High', 'Insufficient information'];
  const q3 = ['study,TP,FP,FN,TN,Participants,Index test,Target condition,Analysis',
    ...rows.map((r, i) => [...r.slice(0, 5), ...[0, 1, 2, 3].map((d) => words[(i * 7 + d * 3 + ((i * (d + 1)) % 5)) % 9 < 6 ? 0 : (i + d) % 2 + 1])].join(','))].join('\n') + '\n';
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const { page, log } = await open(base, { context: ctx });
  const viewer = await ctx.newPage();
  await waitReady(page);
  const book = ledger();
  for (const [tool, text] of [['QUADAS-2', q2], ['QUADAS-3', q3]]) {
    await paste(page, text);
    assert.equal(await page.getByTestId('rob-tool').textContent(), tool);
    for (const id of ['quadas', 'quadas-summary']) {
      const stem = `${tool.toLowerCase().replace('-', '')}-${id}`;
      await capture(page, viewer, id, stem, book);
      const svg = await fs.readFile(path.join(OUT, `${stem}.svg`), 'utf8');
      assert.ok(svg.includes(id === 'quadas' ? `${tool}: risk of bias` : `${tool} summary`), `${stem} title`);
      const other = tool === 'QUADAS-2' ? 'QUADAS-3' : 'QUADAS-2';
      assert.ok(!svg.includes(other), `${stem} never says ${other}`);
      assert.ok(svg.includes(tool === 'QUADAS-3' ? 'Insufficient information (?)' : 'Unclear (?)'), `${stem} legend`);
    }
  }
  await fs.writeFile(path.join(OUT, 'quadas-defects.txt'), book.found.join('\n') + '\n');
  assert.deepEqual(log.problems, [], 'console errors');
  assert.deepEqual(book.found, [], 'text defects');
  await ctx.close();
});

test('MCMC plots (CLI --bayes-plots): no overlapping text', async () => {
  await fs.mkdir(OUT, { recursive: true });
  const dir = path.join(OUT, 'mcmc');
  await fs.mkdir(dir, { recursive: true });
  await run(path.join(root, 'target/release/fourfold'), ['analyze', path.join(dataDir, 'audit_c.csv'), '--model', 'bayes',
    '--chains', '4', '--warmup', '500', '--draws', '500', '--bayes-plots', dir], { cwd: root, maxBuffer: 64 << 20 });
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const viewer = await ctx.newPage();
  const book = ledger();
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.svg'));
  assert.equal(files.length, 5, `μ, τ and ρ: ${files}`);
  for (const f of files) {
    const svg = await fs.readFile(path.join(dir, f), 'utf8');
    book.add(f, await viewSvg(viewer, svg, path.join(dir, f.replace('.svg', '-svg.png'))));
  }
  assert.deepEqual(book.found, [], 'text defects');
  await ctx.close();
});
