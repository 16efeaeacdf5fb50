// The e2e tests' shared harness: serve ../../dist under a sub-path with a tiny static server, drive
// /usr/bin/chromium through playwright-core, and the helpers every test file uses (the CLI's JSON,
// opening a page that records problems, waiting for "ready", pasting). Never `npx playwright
// install`: the browser is Debian's chromium.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const run = promisify(execFile);
export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const dist = path.join(root, 'dist');
export const artifacts = path.join(here, 'artifacts');
export const dataDir = path.join(root, 'www/examples');
// Served under a sub-path to prove that dist/ has only relative URLs.
export const SUB = '/sub/path/';
// Generous: the first analysis includes the AUC bootstrap and the leave-one-out refits.
export const READY_MS = 180_000;

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/** Set by the hooks of [`useBrowser`]; live bindings for the test files. */
export let server, browser, base;

/** Register the hooks that serve dist/ and start Chromium (call once, at the top of a test file). */
export function useBrowser() {
  before(async () => {
    await fs.access(path.join(dist, 'index.html')).catch(() => {
      throw new Error(`${dist}/index.html is missing: run \`make build\` first`);
    });
    server = http.createServer(async (req, res) => {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (!url.pathname.startsWith(SUB)) { res.writeHead(404).end(); return; }
      const rel = decodeURIComponent(url.pathname.slice(SUB.length)) || 'index.html';
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
    await fs.mkdir(artifacts, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok()));
  });
}

// ------------------------------------------------------------------ helpers

/** The CLI's JSON for a data file (the release binary when built, else `cargo run --release`). */
export async function cli(file, ...args) {
  const bin = path.join(root, 'target/release/fourfold');
  const exists = await fs.access(bin).then(() => true, () => false);
  const [cmd, pre] = exists ? [bin, []] : ['cargo', ['run', '--release', '--quiet', '--']];
  const { stdout } = await run(cmd, [...pre, 'analyze', file, '--json', ...args],
    { cwd: root, maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

/** Minimal CSV reader (quoted cells, doubled quotes) → rows of cells. */
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); cell = '';
      if (row.some((x) => x !== '')) rows.push(row);
      row = [];
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** What Excel puts on the clipboard: tab-separated cells, CRLF line ends. */
export async function excelTsv(name) {
  const rows = parseCsv(await fs.readFile(path.join(dataDir, `${name}.csv`), 'utf8'));
  return rows.map((r) => r.join('\t')).join('\r\n') + '\r\n';
}

/** A new page (in its own context unless one is given) that records problems and foreign requests. */
export async function open(url = base, { context, viewport = { width: 1400, height: 1000 } } = {}) {
  const ctx = context ?? await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const log = { problems: [], requests: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => log.problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => log.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) log.problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => log.requests.push(r.url()));
  page.on('dialog', async (d) => { log.dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, ctx, log };
}

/** Wait until the status reads "ready" (within `timeout` ms: the slow models' tests give more). */
export async function waitReady(page, timeout = READY_MS) {
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'ready',
    null, { timeout });
}

/** Replace the data by `text` as a paste would, and wait until the results belong to it. */
export async function paste(page, text) {
  await page.getByTestId('data-input').fill(text);
  assert.notEqual(await page.getByTestId('status').textContent(), 'ready', 'status must leave "ready" on input');
  await waitReady(page);
}
