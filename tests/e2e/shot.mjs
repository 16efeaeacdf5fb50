// Screenshot helper for development: node shot.mjs OUT.png [WIDTHxHEIGHT] [full]
// Serves ../../dist like the e2e test and waits for status "ready".
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.csv': 'text/csv', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };
const server = http.createServer(async (req, res) => {
  const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1)) || 'index.html';
  try { const b = await fs.readFile(path.join(dist, rel)); res.writeHead(200, { 'content-type': TYPES[path.extname(rel)] ?? 'application/octet-stream' }); res.end(b); } catch { res.writeHead(404).end(); }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const [out, size = '1366x768', full, hash = ''] = process.argv.slice(2);
const [w, h] = size.split('x').map(Number);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: w, height: h } });
page.on('console', (m) => { if (m.type() === 'error') console.log('console error:', m.text()); });
await page.goto(`http://127.0.0.1:${server.address().port}/${hash}`);
await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 120000 });
const top = await page.evaluate(() => document.getElementById('results').getBoundingClientRect().top + window.scrollY);
console.log('results top', top);
await page.screenshot({ path: out, fullPage: full === 'full' });
await browser.close(); server.close();
