// The page in headless Chromium against the mock backend: what component tests cannot
// see because happy-dom has no layout — virtualised scrolling through 100,000 photos,
// lazy full-resolution results, keyboard use, small windows, dark mode.
//
//   npm run test:browser
//
// Playwright drives Debian's /usr/bin/chromium (scripts/setup installs it; Playwright's
// own browser downloads are not reachable). The page is served by Vite on loopback.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

const root = resolve(import.meta.dirname, '../..');
let server;
let browser;
let base;

before(async () => {
  server = await createServer({
    root: resolve(root, 'ui'),
    configFile: resolve(root, 'ui/vite.config.ts'),
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  base = server.resolvedUrls.local[0];
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh page at 1280×800 (or `size`) on the mock backend shaped by `query`. */
async function open(query = '', { size = { width: 1280, height: 800 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: size, colorScheme });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${base}?${query}`);
  return { page, errors, close: () => context.close() };
}

const ids = (page, testid) =>
  page.locator(`[data-testid="${testid}"]`).evaluateAll((cells) => cells.map((c) => Number(c.dataset.photoId)));

test('a caption typed without Enter finds its photos first, with scores; reset returns to the gallery', async () => {
  const { page, errors, close } = await open('photos=120&step=1');
  await page.getByTestId('gallery-item').first().waitFor();
  await page.getByTestId('photo-counts').getByText('120 photos').waitFor();
  assert.equal((await ids(page, 'gallery-item'))[0], 120);

  // Debounced: no Enter. Photo i + 1 has colour i mod 6 and shape ⌊i / 6⌋ mod 4.
  await page.getByTestId('search-input').pressSequentially('purple star', { delay: 20 });
  await page.getByTestId('result').first().waitFor();
  const found = await ids(page, 'result');
  assert.deepEqual(found.slice(0, 3), [17, 41, 65]);
  assert.match((await page.getByTestId('result').first().getAttribute('title')) ?? '', /^score 1\.000$/);
  assert.match(await page.getByTestId('search-status').textContent(), /of 120 photos searched/);

  await page.getByTestId('search-input').fill('  Reset ');
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('gallery-item').first().waitFor();
  assert.equal(await page.getByTestId('result').count(), 0);
  assert.deepEqual(errors, []);
  await close();
});

test('100,000 photos: the page holds only the rows in view, down to the oldest photo', async () => {
  const { page, close } = await open('photos=100000&step=1');
  await page.getByTestId('gallery-item').first().waitFor();
  const grid = page.locator('.grid');
  const cellsAtTop = await page.getByTestId('gallery-item').count();
  assert.ok(cellsAtTop > 20 && cellsAtTop < 200, `${cellsAtTop} cells at the top`);

  await grid.evaluate((g) => (g.scrollTop = g.scrollHeight / 2));
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="gallery-item"]')].some((c) => Number(c.dataset.photoId) < 51000 && Number(c.dataset.photoId) > 49000));
  assert.ok((await page.getByTestId('gallery-item').count()) < 200);

  await grid.evaluate((g) => (g.scrollTop = g.scrollHeight));
  await page.locator('[data-testid="gallery-item"][data-photo-id="1"]').waitFor();
  assert.ok((await page.getByTestId('gallery-item').count()) < 200);
  // Only the images near the view were requested: lazy loading, not 100,000 requests.
  const loaded = await page.evaluate(() => [...document.images].filter((i) => i.complete && i.naturalWidth > 0).length);
  assert.ok(loaded < 200, `${loaded} images loaded`);
  await close();
});

test('keyboard only: search, open a result, step with the arrows, Escape back', async () => {
  const { page, close } = await open('photos=48&step=1');
  await page.getByTestId('photo-counts').getByText('48 photos').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'search-input');
  await page.keyboard.type('red circle');
  await page.keyboard.press('Enter');
  await page.getByTestId('result').first().waitFor();
  const found = await ids(page, 'result');

  await page.getByTestId('result').first().focus();
  await page.keyboard.press('Enter');
  const viewer = page.getByTestId('viewer');
  await viewer.waitFor();
  assert.equal(Number(await viewer.getAttribute('data-photo-id')), found[0]);
  // Results are shown at full resolution: 640 px drawings, not 160 px previews.
  await page.waitForFunction(() => document.querySelector('[data-testid="viewer"] img')?.naturalWidth === 640);
  await page.keyboard.press('ArrowRight');
  assert.equal(Number(await viewer.getAttribute('data-photo-id')), found[1]);
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });
  await close();
});

test('readable in a small window and in dark mode', async () => {
  const { page, close } = await open('photos=30&step=1', { size: { width: 480, height: 360 }, colorScheme: 'dark' });
  await page.getByTestId('gallery-item').first().waitFor();
  const layout = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    background: getComputedStyle(document.body).backgroundColor,
    searchWidth: document.querySelector('[data-testid="search-input"]').getBoundingClientRect().width,
    gridHeight: document.querySelector('.grid').getBoundingClientRect().height,
  }));
  assert.ok(layout.overflow <= 0, `the page is ${layout.overflow} px wider than the window`);
  assert.ok(layout.searchWidth >= 120, `the search box is ${layout.searchWidth} px wide`);
  assert.ok(layout.gridHeight >= 150, `the grid is ${layout.gridHeight} px high`);
  const [r, g, b] = layout.background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 3 * 64, `dark mode background is ${layout.background}`);
  await close();
});

test('pause, resume, failures with their causes, and the Library: results per search, removing a folder', async () => {
  const { page, close } = await open('photos=40&step=60&broken=3');
  await page.getByTestId('pause').click();
  await page.getByTestId('resume').click();
  await page.getByTestId('failures-toggle').click();
  assert.match(await page.getByTestId('failures').textContent(), /green-circle-3\.jpg: cannot decode: the file is truncated/);
  await page.getByTestId('photo-counts').getByText('40 photos').waitFor({ timeout: 20000 });
  assert.equal(await page.getByTestId('resume').count(), 0);
  // The broken photo has no preview: a placeholder says so.
  await page.locator('.grid').evaluate((g) => (g.scrollTop = g.scrollHeight));
  await page.waitForFunction(() => document.querySelector('[data-photo-id="3"]')?.classList.contains('missing'));

  await page.getByTestId('open-library').click();
  await page.getByTestId('results-setting').fill('5');
  await page.getByTestId('results-setting').press('Enter');
  await page.keyboard.press('Escape');
  await page.getByTestId('library').waitFor({ state: 'detached' });
  await page.getByTestId('search-input').fill('red');
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('result').first().waitFor();
  assert.equal(await page.getByTestId('result').count(), 5);

  await page.getByTestId('open-library').click();
  assert.equal(await page.getByTestId('folder').count(), 1);
  await page.getByTestId('remove-folder').click();
  await page.getByTestId('confirm-remove').click();
  await page.keyboard.press('Escape');
  await page.getByTestId('search-input').fill('');
  await page.getByTestId('search-input').press('Enter');
  // No folder is left: the first-start state again.
  await page.getByTestId('empty-gallery').waitFor();
  await close();
});
