// The table editor by keyboard (issue #11: ~250 tab stops stood between the data box and the
// settings): the grid is one Tab stop with arrow keys between cells (WAI-ARIA grid, roving
// tabindex), a skip link after the data box reaches the settings, and editing a cell still re-runs
// the analysis. Run `make build` first; then `cd tests/e2e && node --test keyboard.test.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useBrowser, base, artifacts, open, waitReady } from './harness.mjs';

useBrowser();

/** What has the focus: its test id, or tag#id, or the grid cell's (row, col), and whether it is in Settings. */
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  const inSettings = !!a?.closest('section.settings') && a.matches('select, input, button, textarea');
  return { id: a?.dataset.testid ?? `${a?.tagName}#${a?.id}`, row: a?.dataset.row, col: a?.dataset.col, inSettings,
    text: a?.textContent?.trim().slice(0, 40) };
});

test('one Tab stop in the grid, arrows move between cells, a skip link reaches Settings in ≤ 5 keys', async (t) => {
  const { page, log } = await open(base);
  await waitReady(page);
  const stops = await page.$$eval('#grid input, #grid button', (els) => ({
    all: els.length, tab: els.filter((e) => e.tabIndex >= 0).length }));
  assert.ok(stops.all > 200, `the example's grid has many controls (${stops.all})`);
  assert.equal(stops.tab, 1, 'exactly one of them is in the Tab order');

  // Route 1: the skip link right after the data box.
  await page.getByTestId('data-input').focus();
  let keys = 0;
  await page.keyboard.press('Tab'); keys++;
  assert.equal((await focused(page)).id, 'skip-settings');
  await page.screenshot({ path: path.join(artifacts, 'keyboard-skip-link.png'), clip: await page.getByTestId('data-input').evaluate((t) => {
    const r = t.getBoundingClientRect(); return { x: 0, y: Math.max(0, r.bottom - 80), width: 900, height: 160 };
  }) });
  await page.keyboard.press('Enter'); keys++;
  for (let i = 0; i < 5 && !(await focused(page)).inSettings; i++) { await page.keyboard.press('Tab'); keys++; }
  const f = await focused(page);
  assert.ok(f.inSettings, `a Settings control has the focus (${JSON.stringify(f)})`);
  assert.ok(keys <= 5, `${keys} keys from the data box to Settings`);

  // Route 2: Tab only. Every control of the grid used to be a stop (~250); now the grid is one.
  await page.getByTestId('data-input').focus();
  let tabs = 0;
  const seen = [];
  while (tabs < 30 && !(await focused(page)).inSettings) {
    await page.keyboard.press('Tab'); tabs++;
    seen.push((await focused(page)).id);
  }
  assert.ok((await focused(page)).inSettings, `Settings reached by Tab alone: ${seen}`);
  assert.ok(tabs <= 12, `${tabs} Tab presses without the skip link: ${seen}`);
  t.diagnostic(`data box → Settings: ${keys} keys by the skip link, ${tabs} Tab presses without it (${seen.join(', ')})`);
  assert.equal(seen.filter((s) => /^INPUT#$|^BUTTON#$|use|cell/.test(s)).length <= 2, true, `grid stops: ${seen}`);

  // Into the grid: the stop is the first header cell; arrows move, Tab leaves.
  await page.getByTestId('data-input').focus();
  let guard = 0;
  while ((await focused(page)).row === undefined && guard++ < 10) await page.keyboard.press('Tab');
  assert.deepEqual([(await focused(page)).row, (await focused(page)).col], ['0', '0'], 'the grid is entered at its first cell');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.deepEqual([(await focused(page)).row, (await focused(page)).col], ['2', '0'], 'Down twice: row 2');
  await page.keyboard.press('ArrowRight');
  assert.deepEqual([(await focused(page)).row, (await focused(page)).col], ['2', '1'], 'Right: TP of row 2');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement.type), 'checkbox', 'Left from the label: the Use box');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowUp');
  assert.deepEqual([(await focused(page)).row, (await focused(page)).col], ['1', '1'], 'Up: TP of row 1');

  // Editing still works: arriving by arrow selects the value; typing replaces it and re-analyses.
  const before = await page.getByTestId('data-input').inputValue();
  const tp = before.split('\n')[1].split(',')[1];
  await page.keyboard.type(String(Number(tp) + 1));
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent !== 'ready', null, { timeout: 5000 }).catch(() => {});
  await waitReady(page);
  const after = await page.getByTestId('data-input').inputValue();
  assert.equal(after.split('\n')[1].split(',')[1], String(Number(tp) + 1), 'the text follows the cell');
  // Inside a text being edited, Left moves the caret, not the focus.
  await page.keyboard.press('ArrowLeft');
  assert.deepEqual([(await focused(page)).row, (await focused(page)).col], ['1', '1'], 'Left moves the caret in an edited cell');
  // The cell keeps the Tab stop: leaving and coming back lands there.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  assert.deepEqual([(await focused(page)).row, (await focused(page)).col], ['1', '1'], 'the last cell keeps the stop');
  assert.equal(await page.$$eval('#grid input, #grid button', (els) => els.filter((e) => e.tabIndex >= 0).length), 1);
  assert.deepEqual(log.problems, []);
  await page.context().close();
});
