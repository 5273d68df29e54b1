// The page in headless Chromium against the mock backend: what component tests cannot
// see because happy-dom has no layout — virtualised scrolling through 100,000 photos,
// lazy full-resolution results, keyboard use, small windows, dark mode.
//
//   npm run test:browser
//
// Phones have their own file (phone.test.mjs); harness.mjs serves the page and starts
// the browser.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ids, usePages } from './harness.mjs';

const open = usePages();

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

test('query terms and filters: results stop where the matches do, no good match, bad queries explained, months', async () => {
  const { page, errors, close } = await open('photos=120&step=1');
  await page.getByTestId('photo-counts').getByText('120 photos').waitFor();
  // Photo i was taken i − 1 days after 1 January 2020: the newest, 120, on 29 April.
  const month = (y, m) => new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  assert.equal((await page.getByTestId('month-heading').first().textContent()).trim(), month(2020, 4));

  const input = page.getByTestId('search-input');
  await input.fill('purple star - circle');
  await input.press('Enter');
  await page.getByTestId('show-more').waitFor();
  // The five purple stars of 120 photos stand out; the rest of the 60 are one click away.
  assert.deepEqual(await ids(page, 'result'), [17, 41, 65, 89, 113]);
  assert.equal(await page.getByTestId('show-more').textContent(), 'Show 55 more');
  await page.getByTestId('show-more').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length > 5);

  // Nothing has both words: a line says none stands out, over the closest eight.
  await input.fill('purple hexagon');
  await input.press('Enter');
  await page.getByTestId('no-good-match').waitFor();
  assert.match(await page.getByTestId('no-good-match').textContent(), /no photo stands out for “purple hexagon”/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length === 8);
  assert.equal(await page.getByTestId('show-more').textContent(), 'Show 52 more');
  await page.getByTestId('show-more').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length > 8);

  await input.fill('purple "star');
  await input.press('Enter');
  await page.getByTestId('query-error').getByText('quote').waitFor();
  assert.ok((await page.getByTestId('result').count()) > 0, 'the last results stay');

  // Filters alone narrow the gallery; the controls write them into the box.
  await input.fill('');
  await input.press('Enter');
  await page.getByTestId('gallery-item').first().waitFor();
  await page.getByTestId('open-filters').click();
  await page.getByTestId('filter-after').fill('2020-04');
  await page.getByTestId('filter-after').dispatchEvent('change');
  await page.getByTestId('filtered-gallery').getByText('29 photos match').waitFor();
  assert.equal(await input.inputValue(), 'after:2020-04');
  assert.equal(await page.getByTestId('month-heading').count(), 1);
  assert.deepEqual(errors, []);
  await close();
});

test('100,000 photos: the page holds only the rows in view, down to the oldest photo', async () => {
  const { page, close } = await open('photos=100000&step=1');
  await page.getByTestId('gallery-item').first().waitFor();
  const cellsAtTop = await page.getByTestId('gallery-item').count();
  assert.ok(cellsAtTop > 20 && cellsAtTop < 200, `${cellsAtTop} cells at the top`);

  // Scrolled as a person would, again until the gallery has come in whole (its pages
  // arrive after the first screenful).
  const scrollUntilShown = (depth, from, to) =>
    page.waitForFunction(
      ([depth, from, to]) => {
        const grid = document.querySelector('.grid');
        grid.scrollTop = grid.scrollHeight * depth;
        return [...document.querySelectorAll('[data-testid="gallery-item"]')].some((c) => Number(c.dataset.photoId) >= from && Number(c.dataset.photoId) <= to);
      },
      [depth, from, to],
      { polling: 100 },
    );
  await scrollUntilShown(0.5, 49000, 51000);
  assert.ok((await page.getByTestId('gallery-item').count()) < 200);
  await scrollUntilShown(1, 1, 1);
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
  // Paused during encoding: the count of searchable photos stops where it was, and a
  // search answers from those.
  await page.getByTestId('photo-counts').getByText(/^[1-9]\d* of 40 searchable$/).waitFor({ timeout: 20000 });
  await page.getByTestId('pause').click();
  await page.getByTestId('resume').waitFor();
  const atPause = await page.getByTestId('photo-counts').textContent();
  await page.waitForTimeout(600);
  assert.equal(await page.getByTestId('photo-counts').textContent(), atPause, 'encoding went on while paused');
  await page.getByTestId('search-input').fill('green');
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('result').first().waitFor();
  await page.getByTestId('search-input').fill('reset');
  await page.getByTestId('search-input').press('Enter');
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

/** In the page: once the scan has ended (the `motis:scan-ended` mark), the milliseconds
 * until every cell in view shows an image (its stand-in or its preview) and until every
 * one shows its preview, and what the progress line says then. */
function firstScreenful() {
  return new Promise((resolve) => {
    const shown = (image) => image && image.complete && image.naturalWidth > 0;
    let firstImagesMs = null;
    const check = () => {
      const [mark] = performance.getEntriesByName('motis:scan-ended');
      const grid = document.querySelector('.grid');
      if (mark && grid) {
        const view = grid.getBoundingClientRect();
        const inView = [...grid.querySelectorAll('.cell')].filter((cell) => {
          const box = cell.getBoundingClientRect();
          return box.bottom > view.top && box.top < view.bottom;
        });
        const now = performance.now() - mark.startTime;
        if (inView.length > 0 && inView.every((cell) => [...cell.querySelectorAll('img')].some(shown))) firstImagesMs ??= now;
        if (inView.length > 0 && inView.every((cell) => shown(cell.querySelector('img.picture')))) {
          resolve({
            ms: now,
            firstImagesMs,
            cells: inView.length,
            progress: document.querySelector('[data-testid="index-progress"]')?.textContent ?? '',
          });
          return;
        }
      }
      requestAnimationFrame(check);
    };
    check();
  });
}

test('a new folder of 10,000 photos: the whole gallery shows when the scan ends, the previews in view before the rest', async () => {
  // Each preview takes 15 ms to make, two at a time (vite.config.ts), as the app makes the
  // ones the screen asks for; the run makes the others in the background (4 s here).
  const { page, errors, close } = await open('photos=10000&step=400&previewMs=15');
  await page.getByTestId('empty-gallery').getByText('Looking for photos…').waitFor();
  const screenful = await page.evaluate(firstScreenful);
  console.log(
    `  first screenful (${screenful.cells} cells) ${screenful.ms.toFixed(0)} ms after the scan ended, the cameras' ` +
      `thumbnails in every cell after ${screenful.firstImagesMs.toFixed(0)} ms (mock backend, 15 ms a preview)`,
  );
  assert.ok(screenful.firstImagesMs < screenful.ms, 'the thumbnails showed before the previews they stand in for');
  assert.match(screenful.progress, /Making previews/, 'the previews in view came before the run had made the rest');
  // The whole gallery is there: its last photo is reachable.
  await page.locator('.grid').evaluate((g) => (g.scrollTop = g.scrollHeight));
  await page.locator('[data-testid="gallery-item"][data-photo-id="1"]').waitFor();
  assert.deepEqual(errors, []);
  await close();
});
