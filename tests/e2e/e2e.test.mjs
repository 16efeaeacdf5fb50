// End-to-end test of the built page: serves ../../dist on 127.0.0.1 (random port) with a tiny
// static server, drives /usr/bin/chromium through playwright-core, checks what a user sees.
// Run `make build` (or `trunk build --release`) first; then `cd tests/e2e && node --test`.
// Never `npx playwright install`: the browser is Debian's chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist');
const artifacts = path.join(here, 'artifacts');
const exampleCsv = path.resolve(here, '../../www/examples/scheidler.csv');
// Served under a sub-path to prove that dist/ has only relative URLs.
const SUB = '/sub/path/';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

let server, browser, base;

before(async () => {
  await fs.access(path.join(dist, 'index.html')).catch(() => {
    throw new Error(`${dist}/index.html is missing: run \`make build\` first`);
  });
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (!url.pathname.startsWith(SUB)) { res.writeHead(404).end(); return; }
    let rel = decodeURIComponent(url.pathname.slice(SUB.length)) || 'index.html';
    const file = path.resolve(dist, rel);
    if (!file.startsWith(dist + path.sep)) { res.writeHead(403).end(); return; }
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}${SUB}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

/** The expected numbers, computed here from the CSV independently of the Rust code. */
async function expectedFromCsv() {
  const lines = (await fs.readFile(exampleCsv, 'utf8')).split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0].split(',').map((h) => h.replace(/"/g, '').trim().toLowerCase());
  const [iTP, iFN] = [header.indexOf('tp'), header.indexOf('fn')];
  let tp = 0, n1 = 0;
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    tp += Number(cells[iTP]);
    n1 += Number(cells[iTP]) + Number(cells[iFN]);
  }
  return { rows: lines.length - 1, tp, n1, sens: tp / n1 };
}

test('the example is analysed offline, shown, and plotted', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const problems = [];
  const foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!(u.protocol === 'data:' || u.hostname === '127.0.0.1')) foreign.push(r.url());
  });

  await page.goto(base, { waitUntil: 'load' });
  const status = page.getByTestId('status');
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent !== 'loading',
    null, { timeout: 30_000 });
  assert.equal(await status.textContent(), 'ready', `status; problems: ${problems.join('; ')}`);

  const want = await expectedFromCsv();
  assert.equal(want.rows, 44);
  assert.equal(await page.locator('[data-testid=data-table] tbody tr').count(), want.rows);
  assert.equal(await page.locator('[data-testid=data-table] thead th').count(), 6);
  const sensText = await page.getByTestId('crude-sens').textContent();
  assert.equal(sensText, `${want.sens.toFixed(3)} (${want.tp} / ${want.n1})`);

  // The canvas has been drawn on: count pixels that differ from the white background.
  const ink = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=plot-sroc]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
    return { n, total: d.length / 4 };
  });
  assert.ok(ink.n > 2000 && ink.n < ink.total / 2, `canvas ink ${ink.n} of ${ink.total}`);

  await fs.mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'example.png'), fullPage: true });

  // Editing the data re-analyses it: keep the header and the first two studies.
  const csv = await fs.readFile(exampleCsv, 'utf8');
  const two = csv.split('\n').slice(0, 3).join('\n');
  await page.getByTestId('data-input').fill(two);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=data-table] tbody tr').length === 2);
  assert.equal(await status.textContent(), 'ready');
  // Grumbine_1981 0/6 and Walsh_1981 12/15 → 12/21.
  assert.equal(await page.getByTestId('crude-sens').textContent(), `${(12 / 21).toFixed(3)} (12 / 21)`);

  // Bad input is reported with its line, and the status is not "ready".
  await page.getByTestId('data-input').fill('study,TP,FP,FN,TN\nA,1,2,x,4');
  await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent === 'error');
  assert.match(await page.getByTestId('error').textContent(), /line 2: FN/);

  assert.deepEqual(foreign, [], 'requests to hosts other than 127.0.0.1');
  assert.deepEqual(problems, [], 'console errors / failed requests');
  await page.close();
});
