// The page on phones, in headless Chromium with phone profiles (harness.mjs: 360×740 and
// 390×844, isMobile, hasTouch, device scale 3, safe-area insets), against the mock
// backend as a phone's app: its photo library instead of folders. Touches are real touch
// events (CDP Input.dispatchTouchEvent), not clicks.
//
//   npm run test:browser

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PHONES, ids, usePages } from './harness.mjs';

const open = usePages();

/** Every control on screen that is smaller than a finger (44 × 44 CSS px), or that sticks
 * out of the screen sideways (but for one in a row that scrolls sideways, within the
 * screen: a finger brings it in). */
async function problems(page) {
  return page.evaluate(() => {
    const found = [];
    const controls = document.querySelectorAll('button, input, select, textarea, a[href], [role="button"]');
    const scrolledIn = (control) => {
      for (let row = control.parentElement; row; row = row.parentElement) {
        if (getComputedStyle(row).overflowX !== 'auto' || row.scrollWidth <= row.clientWidth) continue;
        const box = row.getBoundingClientRect();
        return box.left >= -0.5 && box.right <= window.innerWidth + 0.5;
      }
      return false;
    };
    for (const control of controls) {
      const box = control.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      // Cells and checkboxes inside a 44 px label count by the target around them.
      const target = control.closest('label')?.getBoundingClientRect() ?? box;
      const name = control.getAttribute('aria-label') || control.textContent.trim() || control.outerHTML.slice(0, 60);
      if (target.width < 44 || target.height < 44) found.push(`${name}: ${target.width.toFixed(0)}×${target.height.toFixed(0)}`);
      const outside = box.right > window.innerWidth + 0.5 || box.left < -0.5;
      if (outside && !scrolledIn(control)) found.push(`${name}: outside the screen`);
    }
    if (document.documentElement.scrollWidth > window.innerWidth) found.push('the page scrolls sideways');
    return found;
  });
}

/** A one-finger swipe from `from` to `to` (CSS px), as touch events. */
async function swipe(cdp, from, to, steps = 8) {
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from[0], y: from[1] }] });
  for (let i = 1; i <= steps; i++) {
    const x = from[0] + ((to[0] - from[0]) * i) / steps;
    const y = from[1] + ((to[1] - from[1]) * i) / steps;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** The mock as a phone whose library is indexed, ready for a search. */
async function indexedPhone(phone, query = '', colorScheme = 'light') {
  const opened = await open(`photos=200&step=1&phone=android${query}`, { phone, colorScheme });
  await opened.page.getByTestId('gallery-item').first().waitFor();
  await opened.page.getByTestId('index-progress').waitFor({ state: 'detached' });
  return opened;
}

for (const phone of PHONES) {
  for (const colorScheme of ['light', 'dark']) {
    test(`${phone.name}, ${colorScheme}: at least 3 columns, no sideways scrolling, finger-sized controls, safe areas`, async () => {
      const { page, errors, close } = await indexedPhone(phone, '', colorScheme);
      const layout = await page.evaluate(() => ({
        columns: Number(document.querySelector('.grid').dataset.columns),
        cell: document.querySelector('[data-testid="gallery-item"]').getBoundingClientRect().width,
        headerTop: getComputedStyle(document.querySelector('header')).paddingTop,
        search: document.querySelector('[data-testid="search-input"]').getBoundingClientRect().width,
        examples: document.querySelectorAll('[data-testid="example-search"]').length,
        gridBottom: getComputedStyle(document.querySelector('.grid')).paddingBottom,
        background: getComputedStyle(document.body).backgroundColor,
        text: getComputedStyle(document.body).color,
      }));
      assert.ok(layout.columns >= 3, `${layout.columns} columns`);
      assert.ok(Math.abs(layout.cell * layout.columns - phone.viewport.width) < 2, `cells of ${layout.cell} px`);
      assert.equal(layout.headerTop, `${phone.insets.top}px`, 'the header clears the notch');
      // The search box has a row of its own: the screen's width but for the margins.
      assert.ok(layout.search >= phone.viewport.width - 2 * 16 - phone.insets.left - phone.insets.right - 1, `a ${layout.search} px search box`);
      assert.ok(layout.examples > 0, 'example searches are offered on an empty box');
      assert.equal(layout.gridBottom, `${phone.insets.bottom}px`, 'the grid clears the home indicator');
      const [r, g, b] = layout.background.match(/\d+/g).map(Number);
      const [tr, tg, tb] = layout.text.match(/\d+/g).map(Number);
      if (colorScheme === 'dark') assert.ok(r + g + b < 3 * 64 && tr + tg + tb > 3 * 160, `${layout.background} on ${layout.text}`);
      else assert.ok(r + g + b > 3 * 200 && tr + tg + tb < 3 * 64, `${layout.background} on ${layout.text}`);
      assert.deepEqual(await problems(page), [], 'the gallery');
      assert.equal(await page.getByText('Add folder…').count(), 0, 'a phone has no folders to add');

      await page.getByTestId('open-library').tap();
      await page.getByTestId('library').waitFor();
      const sheet = await page.getByTestId('library').boundingBox();
      assert.ok(sheet.width >= phone.viewport.width - 1 && sheet.height >= phone.viewport.height - 1, 'the Library fills the screen');
      assert.deepEqual(await problems(page), [], 'the Library panel');
      await page.getByTestId('library-close').tap();

      await page.getByTestId('gallery-item').first().tap();
      await page.getByTestId('viewer').waitFor();
      await page.getByTestId('share').waitFor();
      assert.deepEqual(await problems(page), [], 'the viewer');
      assert.deepEqual(errors, []);
      await close();
    });
  }
}

test('tap opens a photo; swipes step to the next and previous and close it, and the page neither scrolls nor zooms', async () => {
  const { page, cdp, errors, close } = await indexedPhone(PHONES[1]);
  const gallery = await ids(page, 'gallery-item');
  await page.getByTestId('gallery-item').nth(4).tap();
  const viewer = page.getByTestId('viewer');
  await viewer.waitFor();
  const shown = async () => Number(await viewer.getAttribute('data-photo-id'));
  assert.equal(await shown(), gallery[4]);
  await swipe(cdp, [320, 400], [60, 410]);
  await page.waitForFunction((id) => document.querySelector('[data-testid="viewer"]').dataset.photoId === String(id), gallery[5]);
  await swipe(cdp, [60, 400], [330, 390]);
  await swipe(cdp, [60, 400], [330, 390]);
  assert.equal(await shown(), gallery[3]);
  // A short, wavering touch is not a swipe.
  await swipe(cdp, [200, 400], [220, 420]);
  assert.equal(await shown(), gallery[3]);
  const still = await page.evaluate(() => ({ y: window.scrollY, x: window.scrollX, scale: visualViewport.scale }));
  assert.deepEqual(still, { y: 0, x: 0, scale: 1 });
  // The phone's share sheet, not the desktop's file manager.
  assert.equal(await page.getByText('Show in folder').count(), 0);
  assert.equal(await page.getByText('Open', { exact: true }).count(), 0);
  await swipe(cdp, [195, 300], [200, 600]);
  await viewer.waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await close();
});

test('the search box stays usable with the on-screen keyboard up; reset and the clear button return to the gallery', async () => {
  const phone = PHONES[0];
  const { page, close } = await indexedPhone(phone);
  const input = page.getByTestId('search-input');
  await input.tap();
  // The keyboard takes the lower 45% of the screen: with `interactive-widget=resizes-content`
  // the page gets the rest.
  await page.setViewportSize({ width: phone.viewport.width, height: Math.round(phone.viewport.height * 0.55) });
  await page.keyboard.type('red circle');
  await page.keyboard.press('Enter');
  await page.getByTestId('result').first().waitFor();
  const layout = await page.evaluate(() => ({
    input: document.querySelector('[data-testid="search-input"]').getBoundingClientRect().toJSON(),
    grid: document.querySelector('.grid').getBoundingClientRect().toJSON(),
    height: window.innerHeight,
  }));
  assert.ok(layout.input.top >= 0 && layout.input.bottom <= layout.height, `the search box is at ${layout.input.top}–${layout.input.bottom}`);
  assert.ok(layout.grid.height >= 150, `the results have ${layout.grid.height} px`);
  assert.deepEqual(await problems(page), []);

  await page.getByTestId('search-clear').tap();
  await page.getByTestId('gallery-item').first().waitFor();
  await input.fill('reset');
  await page.keyboard.press('Enter');
  await page.getByTestId('gallery-item').first().waitFor();
  await input.fill('blue');
  await page.keyboard.press('Enter');
  await page.getByTestId('result').first().waitFor();
  await input.fill('reset');
  await page.keyboard.press('Enter');
  await page.getByTestId('gallery-item').first().waitFor();
  assert.equal(await page.getByTestId('result').count(), 0);
  await close();
});

test('the search filters on a phone: finger-sized, the box shows what they set, months in the gallery', async () => {
  const phone = PHONES[0];
  const { page, close } = await indexedPhone(phone);
  assert.ok((await page.getByTestId('month-heading').count()) > 0, 'the gallery is grouped by month');
  await page.getByTestId('open-filters').tap();
  await page.getByTestId('search-filters').waitFor();
  assert.deepEqual(await problems(page), [], 'the filters');
  await page.getByTestId('filter-folder').selectOption('Photo library/stars');
  await page.waitForFunction(() => document.querySelector('[data-testid="search-input"]').value === 'in:"Photo library/stars"');
  await page.getByTestId('filtered-gallery').getByText('48 photos match').waitFor();
  await page.getByTestId('search-input').fill('red in:"Photo library/stars"');
  await page.keyboard.press('Enter');
  await page.getByTestId('result').first().waitFor();
  assert.deepEqual(await problems(page), [], 'results with the filters and the order');
  await page.getByTestId('sort').selectOption('newest');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="month-heading"]').length > 0);
  await close();
});

test('results are sharp at the screen resolution from renditions sized to the cell, and 60 of them fit a phone', async () => {
  const phone = PHONES[1];
  const { page, close } = await indexedPhone(phone);
  await page.getByTestId('search-input').fill('red');
  await page.keyboard.press('Enter');
  await page.getByTestId('result').first().waitFor();
  // The red photos stand out; "Show more" adds the rest of the 60.
  await page.getByTestId('show-more').tap();
  await page.waitForFunction(() => document.querySelector('[data-testid="search-status"]').textContent.startsWith('60 best'));
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid="result"] img')].every((i) => i.complete && i.naturalWidth > 0),
  );
  const images = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="result"] img')].map((i) => ({
      cell: i.parentElement.getBoundingClientRect().width,
      width: i.naturalWidth,
      height: i.naturalHeight,
    })),
  );
  for (const image of images) {
    assert.ok(image.width >= image.cell * 3 - 1, `a ${image.cell} px cell got a ${image.width} px image`);
    assert.ok(image.width <= image.cell * 3 + 2, `a ${image.cell} px cell got a ${image.width} px image: more than it shows`);
  }
  // Decoded, an image takes 4 bytes a pixel. The virtualised grid holds the rows near the
  // view; were all 60 results in the page at this size, and were they 12 MP originals:
  const decoded = images.reduce((sum, i) => sum + i.width * i.height * 4, 0);
  const perResult = decoded / images.length;
  const sixty = 60 * perResult;
  const originals = 60 * 4032 * 3024 * 4;
  console.log(
    `  image memory with 60 results on ${phone.name} at scale 3: ${images.length} images in the page, ` +
      `${(decoded / 2 ** 20).toFixed(1)} MiB decoded; all 60 at this size ${(sixty / 2 ** 20).toFixed(1)} MiB; ` +
      `60 12-MP originals ${(originals / 2 ** 20).toFixed(0)} MiB (${(originals / sixty).toFixed(0)}×)`,
  );
  assert.ok(images.length < 60, `${images.length} of 60 results are in the page`);
  assert.ok(sixty < originals / 20, 'renditions, not originals');

  // The viewer shows the photo itself.
  await page.getByTestId('result').first().tap();
  await page.waitForFunction(() => document.querySelector('[data-testid="viewer"] img')?.naturalWidth === 640);
  await close();
});

test('the progress bar and the Library panel on a phone: pause, limited access, albums, only while charging', async () => {
  const phone = PHONES[0];
  const { page, close } = await open('photos=60&step=60&phone=ios&access=limited&charging=1', { phone });
  await page.getByTestId('pause').waitFor();
  const bar = await page.getByTestId('index-progress').boundingBox();
  assert.ok(bar.width <= phone.viewport.width, 'the progress bar fits');
  assert.deepEqual(await problems(page), [], 'while indexing');
  await page.getByTestId('pause').tap();
  await page.getByTestId('resume').tap();
  await page.getByTestId('limited-access').waitFor();

  await page.getByTestId('open-library').tap();
  assert.match(await page.getByTestId('access').textContent(), /only the photos you chose/);
  await page.getByTestId('choose-albums').tap();
  await page.getByTestId('albums').getByText('Beach 2026').tap();
  await page.getByTestId('index-albums').tap();
  await page.getByTestId('photo-library').getByText('1 album').waitFor();
  await page.getByTestId('only-while-charging').tap();
  assert.equal(await page.getByTestId('only-while-charging').isChecked(), true);
  assert.deepEqual(await problems(page), [], 'the Library panel');
  await page.getByTestId('widen').tap();
  await page.getByTestId('access').getByText('every photo').waitFor();
  await close();
});

test('the Models panel on a phone: download with progress, use the model, the switch and its end', async () => {
  for (const phone of PHONES) {
    const { page, errors, close } = await open('photos=120&step=30&downloadMs=60&phone=android', { phone });
    await page.getByTestId('gallery-item').first().waitFor();
    await page.getByTestId('index-progress').waitFor({ state: 'detached' });
    await page.getByTestId('suggest-model').waitFor();
    await page.getByTestId('open-models').tap();
    const suggested = page.locator('[data-model-id="vit-b-32-laion2b"]');
    await suggested.getByTestId('download-model').tap();
    await suggested.getByTestId('download-status').getByText(/MB of 605 MB/).waitFor();
    assert.deepEqual(await problems(page), [], `${phone.name}: the panel while downloading`);
    await suggested.getByTestId('use-model').waitFor({ timeout: 10_000 });
    await suggested.getByTestId('use-model').tap();
    await page.getByTestId('switching').waitFor();
    assert.deepEqual(await problems(page), [], `${phone.name}: the panel during the switch`);
    await suggested.getByTestId('in-use').waitFor({ timeout: 20_000 });
    await page.getByTestId('models-close').tap();
    assert.equal(await page.getByTestId('suggest-model').count(), 0, 'a real model is in use');
    assert.deepEqual(errors, []);
    await close();
  }
});
