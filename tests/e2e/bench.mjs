// Timing of the page (not part of `node --test`): `make build && node tests/e2e/bench.mjs`.
// For schuetz.csv with covariate `test`: time from paste to the main results on screen (summary
// cells filled for the new input) and to everything complete (status `ready`: bootstrap AUC,
// subgroups, meta-regression, leave-one-out). Prints the dist/ .wasm and .js sizes (raw, gzip -9).
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist');
const RUNS = Number(process.env.RUNS ?? 3);
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

const server = http.createServer(async (req, res) => {
  const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1)) || 'index.html';
  const file = path.resolve(dist, rel);
  try {
    const body = await fs.readFile(file);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch { res.writeHead(404).end(); }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}/`;
// The page logs each main-thread stage's duration (`fourfold-timing STAGE MS`) with this parameter.
const timing = `${base}?fourfold-timing`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

// First load, cold cache: what is fetched before the example analysis is on screen (each file's
// gzip -9 size: what a server with compression transfers), and how long after navigation it shows.
{
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  // When the summary's first cell enters the document, and which files were requested before.
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelector('[data-testid=summary-row] [data-stat=k]')) {
        window.fourfoldShown = performance.now();
        window.fourfoldEarly = performance.getEntriesByType('resource')
          .filter((e) => e.startTime <= window.fourfoldShown).map((e) => new URL(e.name).pathname);
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(base);
  await page.waitForFunction(() => window.fourfoldShown !== undefined, null, { timeout: 60_000 });
  const { shown, requested } = await page.evaluate(() => ({ shown: window.fourfoldShown, requested: window.fourfoldEarly }));
  const onScreen = Math.round(shown);
  const early = ['/', ...new Set(requested)];
  let gz = 0;
  for (const p of early) {
    const body = await fs.readFile(path.join(dist, decodeURIComponent(p.slice(1)) || 'index.html')).catch(() => null);
    if (body) gz += zlib.gzipSync(body, { level: 9 }).length;
  }
  const lazy = early.filter((p) => p.includes('sheets') || p.includes('engine'));
  console.log(`first load: example analysis on screen ${onScreen} ms after navigation; ${early.length} files, ${(gz / 1024).toFixed(0)} KiB gzip -9 before it (${early.join(' ')}; worker modules fetched by then: ${lazy.length ? lazy.join(', ') : 'no'})`);
  // The page's full module (boot.js sets window.wasmBindings once it runs) follows the first paint.
  await page.waitForFunction(() => window.wasmBindings !== undefined, null, { timeout: 60_000 });
  const { started, all } = await page.evaluate(() => ({
    started: performance.now(),
    all: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
  }));
  let total = 0;
  for (const p of ['/', ...new Set(all)]) {
    const body = await fs.readFile(path.join(dist, decodeURIComponent(p.slice(1)) || 'index.html')).catch(() => null);
    if (body) total += zlib.gzipSync(body, { level: 9 }).length;
  }
  console.log(`  full module running by ${Math.round(started)} ms; ${(total / 1024).toFixed(0)} KiB gzip -9 fetched by then`);
  await ctx.close();
}

const csv = await fs.readFile(path.resolve(here, '../../www/examples/schuetz.csv'), 'utf8');
const times = [];
for (let i = 0; i < RUNS; i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const stages = [];
  page.on('console', (m) => {
    const t = /^fourfold-timing (\w+) (\d+)$/.exec(m.text());
    if (t) stages.push([t[1], Number(t[2])]);
  });
  await page.goto(timing);
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready', null, { timeout: 300_000 });
  await page.waitForTimeout(200);
  stages.length = 0;
  const t = await page.evaluate(async (text) => {
    const status = document.querySelector('[data-testid=status]');
    const ta = document.querySelector('[data-testid=data-input]');
    const sel = document.querySelector('[data-testid=covariate]');
    // Choose the covariate `test` (not yet in the menu: the example has none), then paste.
    const o = document.createElement('option');
    o.value = 'test';
    o.textContent = 'test';
    sel.append(o);
    const long = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) long.push(e.duration); })
      .observe({ type: 'longtask' });
    // Where a long frame's time went (script invokers), for FOURFOLD_STAGES.
    const frames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration > 50) frames.push(`${e.duration.toFixed(0)} ms [${e.scripts.map((s) => `${s.invoker} ${s.duration.toFixed(0)}`).join('; ')}] render ${(e.duration - (e.renderStart ? e.renderStart - e.startTime : e.duration)).toFixed(0)}`);
      }
    }).observe({ type: 'long-animation-frame' });
    const t0 = performance.now();
    sel.value = 'test';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    ta.value = text;
    ta.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
    let main = null;
    return await new Promise((resolve) => {
      const tick = () => {
        const k = document.querySelector('[data-testid=summary-row] [data-stat=k]')?.getAttribute('data-value');
        if (main === null && k === '108') main = performance.now() - t0;
        const rows = document.querySelectorAll('[data-testid=summary-row]').length;
        if (main !== null && status.textContent === 'ready' && rows > 1) {
          const complete = performance.now() - t0;
          setTimeout(() => resolve({ main, complete, long: long.length, longest: Math.max(0, ...long), frames }), 100);
          return;
        }
        else requestAnimationFrame(tick);
      };
      tick();
    });
  }, csv);
  times.push(t);
  console.log(`run ${i + 1}: main results ${t.main.toFixed(0)} ms, complete ${t.complete.toFixed(0)} ms; ${t.long} main-thread tasks over 50 ms, longest ${t.longest.toFixed(0)} ms`);
  const slow = stages.filter(([, ms]) => ms > 50).map(([s, ms]) => `${s} ${ms}`);
  console.log(`  main-thread stages: ${stages.length}, over 50 ms: ${slow.join(', ') || 'none'}`);
  // FOURFOLD_STAGES=1: every stage of 3 ms or more, in order (where the time goes).
  if (process.env.FOURFOLD_STAGES) {
    console.log(`  all: ${stages.filter(([, ms]) => ms >= 3).map(([s, ms]) => `${s} ${ms}`).join(', ')}`);
    console.log(`  frames over 50 ms: ${t.frames.join(' | ') || 'none'}`);
  }
  await ctx.close();
}
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`schuetz (k = 108), covariate "test": paste → main results ${med(times.map((t) => t.main)).toFixed(0)} ms, → complete ${med(times.map((t) => t.complete)).toFixed(0)} ms (median of ${RUNS})`);

for (const f of await fs.readdir(dist)) {
  if (!/\.(wasm|js)$/.test(f)) continue;
  const body = await fs.readFile(path.join(dist, f));
  const gz = zlib.gzipSync(body, { level: 9 }).length;
  console.log(`${f}: ${body.length} bytes, gzip -9 ${gz} bytes`);
}
await browser.close();
server.close();
