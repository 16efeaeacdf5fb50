// Development screenshot of the summary table with subgroups at 1366 px: node shot2.mjs OUT.png
import http from 'node:http'; import fs from 'node:fs/promises'; import path from 'node:path';
import { fileURLToPath } from 'node:url'; import { chromium } from 'playwright-core';
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const T = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.csv': 'text/csv' };
const server = http.createServer(async (req, res) => { const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1)) || 'index.html'; try { const b = await fs.readFile(path.join(dist, rel)); res.writeHead(200, { 'content-type': T[path.extname(rel)] ?? 'application/octet-stream' }); res.end(b); } catch { res.writeHead(404).end(); } });
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 120000 });
await page.selectOption('#covariate', 'modality');
await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 120000 });
const o = await page.evaluate(() => { const s = document.querySelector('#summary').parentElement; return [s.scrollWidth, s.clientWidth]; });
console.log('summary scrollWidth/clientWidth', o);
await page.locator('#results').screenshot({ path: process.argv[2] });
await browser.close(); server.close();
