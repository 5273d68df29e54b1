import { cleanup, fireEvent, render, waitFor } from '@testing-library/svelte';
import { afterEach, expect, test } from 'vitest';
import App from './App.svelte';
import { AppModel, CLOSEST_FEW } from './lib/app.svelte';
import type { AppStatus } from './lib/backend';
import { MockBackend, SKIPPED } from './lib/mock-backend';

afterEach(() => cleanup());

async function started(backend = new MockBackend(48, 0)) {
  const app = new AppModel(backend);
  const view = render(App, { app });
  await waitFor(() => expect(app.status?.encoded).toBe(backend.photos.length));
  await waitFor(() => expect(app.indexing).toBe(false));
  await waitFor(() => expect(view.getAllByTestId('gallery-item').length).toBeGreaterThan(0));
  return { app, backend, ...view };
}

test('the gallery shows newest first, a query shows ranked results, reset returns to the gallery', async () => {
  const { getAllByTestId, getByTestId, queryAllByTestId } = await started();
  expect(getAllByTestId('gallery-item')[0].getAttribute('data-photo-id')).toBe('48');

  const input = getByTestId('search-input');
  await fireEvent.input(input, { target: { value: 'purple star' } });
  await fireEvent.keyDown(input, { key: 'Enter' });
  await waitFor(() => expect(queryAllByTestId('result').length).toBeGreaterThan(0));
  // Photo 17 is the first purple star (photo i + 1 has colour i mod 6 and shape ⌊i / 6⌋ mod 4).
  expect(getAllByTestId('result')[0].getAttribute('data-photo-id')).toBe('17');
  expect(queryAllByTestId('gallery-item')).toHaveLength(0);

  await fireEvent.input(input, { target: { value: '  RESET ' } });
  await fireEvent.keyDown(input, { key: 'Enter' });
  await waitFor(() => expect(queryAllByTestId('gallery-item').length).toBeGreaterThan(0));
  expect(queryAllByTestId('result')).toHaveLength(0);
});

test('results stop where the matches do; "Show more" shows the rest, and no good match says so', async () => {
  const { app, getAllByTestId, getByTestId, queryByTestId } = await started();
  // Two of the 48 photos are purple stars (17 and 41): only they have both words.
  await app.search('purple star');
  await waitFor(() => expect(getAllByTestId('result').length).toBe(app.cutAt));
  expect(app.cutAt).toBe(2);
  expect(app.results!.length).toBe(48);
  expect(getByTestId('search-status').textContent).toContain('2 best of 48 photos searched');
  await fireEvent.click(getByTestId('show-more'));
  await waitFor(() => expect(getAllByTestId('result').length).toBeGreaterThan(2));
  expect(getByTestId('show-more').textContent).toBe('Show only the best');

  // Nothing has all three words: no good match, said above the closest few, and the
  // rest on request.
  await app.search('purple star hexagon');
  await waitFor(() => expect(queryByTestId('no-good-match')).not.toBeNull());
  expect(getByTestId('no-good-match').textContent).toContain('no photo stands out for “purple star hexagon”');
  expect(getAllByTestId('result').map((r) => r.getAttribute('data-photo-id'))).toEqual(
    app.results!.slice(0, CLOSEST_FEW).map((r) => String(r.id)),
  );
  expect(getByTestId('show-more').textContent).toBe(`Show ${48 - CLOSEST_FEW} more`);
  await fireEvent.click(getByTestId('show-more'));
  await waitFor(() => expect(getAllByTestId('result').length).toBeGreaterThan(CLOSEST_FEW));
  expect(app.shownResults.length).toBe(48);
  expect(getByTestId('show-more').textContent).toBe(`Show only the closest ${CLOSEST_FEW}`);
  await fireEvent.click(getByTestId('show-more'));
  await waitFor(() => expect(getAllByTestId('result').length).toBe(CLOSEST_FEW));
});

test("an empty box offers searches that work with the model in use, and one fills the box", async () => {
  const { app, getAllByTestId, getByTestId, queryByTestId } = await started();
  const examples = getAllByTestId('example-search').map((chip) => chip.textContent);
  expect(examples).toEqual(app.status!.exampleSearches);
  expect(examples.length).toBeGreaterThan(2);
  await fireEvent.click(getAllByTestId('example-search')[0]);
  await waitFor(() => expect((getByTestId('search-input') as HTMLInputElement).value).toBe(examples[0]));
  await waitFor(() => expect(getAllByTestId('result').length).toBeGreaterThan(0));
  expect(app.cutAt).toBeGreaterThan(0);
  // Typing hides them; an empty box shows them again.
  expect(queryByTestId('example-searches')).toBeNull();
  await app.search('');
  await waitFor(() => expect(queryByTestId('example-searches')).not.toBeNull());
});

test('a query that cannot be understood says why under the box and keeps what is shown', async () => {
  const { app, getByTestId, getAllByTestId } = await started();
  await app.search('red "circle');
  await waitFor(() => expect(getByTestId('query-error').textContent).toContain('quote'));
  expect(app.results).toBeNull();
  expect(getAllByTestId('gallery-item').length).toBeGreaterThan(0);
  await app.search('red circle');
  await waitFor(() => expect(app.queryError).toBeNull());
});

test('"More like this" puts the photo into the box as the query', async () => {
  const { app, getAllByTestId, getByTestId } = await started();
  await fireEvent.click(getAllByTestId('gallery-item')[0]);
  await fireEvent.click(getByTestId('more-like-this'));
  await waitFor(() => expect((getByTestId('search-input') as HTMLInputElement).value).toBe('photo:48'));
  expect(app.results!.every((r) => r.id !== 48)).toBe(true);
  expect(app.cutAt).toBeGreaterThan(0);
});

test('the gallery is grouped by month, and filters alone narrow it; the controls write the filters into the box', async () => {
  const { app, getAllByTestId, getByTestId, queryByTestId } = await started();
  // 48 photos a day apart from 1 January 2020: January and February, newest first.
  const headings = getAllByTestId('month-heading').map((h) => h.textContent!.trim());
  expect(headings).toEqual([
    new Date(Date.UTC(2020, 1, 1)).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }),
    new Date(Date.UTC(2020, 0, 1)).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }),
  ]);

  await fireEvent.click(getByTestId('open-filters'));
  await waitFor(() => expect(app.folders.length).toBe(4));
  await fireEvent.change(getByTestId('filter-after'), { target: { value: '2020-02' } });
  await waitFor(() => expect(app.galleryTotal).toBe(17));
  expect((getByTestId('search-input') as HTMLInputElement).value).toBe('after:2020-02');
  expect(getByTestId('filtered-gallery').textContent).toContain('17 photos match');
  expect(getAllByTestId('month-heading')).toHaveLength(1);

  await fireEvent.change(getByTestId('filter-folder'), { target: { value: 'Shapes/stars' } });
  await waitFor(() => expect(app.query).toBe('after:2020-02 in:Shapes/stars'));
  await waitFor(() => expect(app.galleryTotal).toBe(6));

  // Words as well: a search among those photos, sorted by date on request.
  await app.search('purple after:2020-02');
  expect(app.results!.every((r) => r.id >= 32)).toBe(true);
  await fireEvent.change(getByTestId('sort'), { target: { value: 'oldest' } });
  await waitFor(() => expect(app.sort).toBe('oldest'));
  const shown = app.shownResults.map((r) => r.taken);
  expect(shown).toEqual([...shown].sort((a, b) => a - b));

  await app.search('');
  await waitFor(() => expect(app.galleryTotal).toBe(48));
  expect(queryByTestId('filtered-gallery')).toBeNull();
});

test('a gallery of several pages loads whole, newest first, each photo once', async () => {
  // Pages hold 2,000 photos: 4,500 end on a short page, 4,000 on an empty one.
  for (const count of [4500, 4000]) {
    const app = new AppModel(new MockBackend(count, 0));
    await app.loadGallery();
    expect(app.gallery).toHaveLength(count);
    expect(new Set(app.gallery).size).toBe(count);
    expect([app.gallery[0], app.gallery[count - 1]]).toEqual([count, 1]);
    expect(app.galleryTotal).toBe(count);
  }
});

test('a new gallery shows from its first page on; the gallery shown is reloaded without shrinking', async () => {
  const backend = new MockBackend(4500, 0);
  const app = new AppModel(backend);
  // What is shown each time the next page is asked for.
  const seen: number[] = [];
  const gallery = backend.gallery.bind(backend);
  backend.gallery = (...args: Parameters<typeof gallery>) => {
    seen.push(app.gallery.length);
    return gallery(...args);
  };
  await app.loadGallery();
  expect(seen).toEqual([0, 2000, 4000]);

  seen.length = 0;
  await app.loadGallery();
  expect(seen).toEqual([4500, 4500, 4500]);
  expect(app.gallery).toHaveLength(4500);

  // Another filter is another gallery: it shows as it arrives.
  seen.length = 0;
  app.galleryQuery = 'after:2025';
  await app.loadGallery();
  // Photos 1,828 to 4,500 were taken from 2025 on (a day apart from 1 January 2020).
  expect(seen).toEqual([4500, 2000]);
  expect([app.gallery.length, app.galleryTotal]).toEqual([2673, 2673]);
});

test('the viewer opens on a click, steps with the arrow keys, and Escape closes it', async () => {
  const { getAllByTestId, getByTestId, queryByTestId } = await started();
  await fireEvent.click(getAllByTestId('gallery-item')[0]);
  expect(getByTestId('viewer').getAttribute('data-photo-id')).toBe('48');
  await fireEvent.keyDown(window, { key: 'ArrowRight' });
  expect(getByTestId('viewer').getAttribute('data-photo-id')).toBe('47');
  await fireEvent.keyDown(window, { key: 'ArrowLeft' });
  await fireEvent.keyDown(window, { key: 'ArrowLeft' });
  expect(getByTestId('viewer').getAttribute('data-photo-id')).toBe('48');
  await fireEvent.keyDown(window, { key: 'Escape' });
  expect(queryByTestId('viewer')).toBeNull();
});

test('a search during indexing says how much of the gallery it covers', async () => {
  const backend = new MockBackend(40, 0);
  backend.encoded = 10;
  const app = new AppModel(backend);
  await app.search(backend.photos[0].colour);
  expect(app.searched).toBe(10);
  expect(app.searchTotal).toBe(40);
  const { getByTestId } = render(App, { app });
  await waitFor(() => expect(getByTestId('search-status').textContent).toContain('searching 10 of 40 photos'));
});

test('an engine that cannot start shows its error and the fix', async () => {
  const backend = new MockBackend(0, 0);
  backend.appStatus = async () => ({
    engine: {
      state: 'failed',
      error: { code: 'failed', message: '/data/catalog.sqlite: the catalog was written by a newer motis' },
    },
    model: { state: 'opening' },
    photos: 0,
    encoded: 0,
    failed: 0,
    indexing: false,
    demoGallery: false,
    platform: 'desktop',
    photoSources: 'folders',
    modelId: null,
    modelName: null,
    exampleSearches: [],
    switching: null,
  });
  const { findByTestId } = render(App, { app: new AppModel(backend) });
  expect((await findByTestId('engine-error')).textContent).toContain('written by a newer motis');
});

test('the gallery shows while the model loads, and a model that cannot run says why', async () => {
  const backend = new MockBackend(12, 0);
  const ready = backend.appStatus.bind(backend);
  let model: AppStatus['model'] = { state: 'opening' };
  backend.appStatus = async () => ({ ...(await ready()), model });
  const app = new AppModel(backend);
  const { findByTestId, getAllByTestId } = render(App, { app });
  await findByTestId('model-loading');
  await waitFor(() => expect(getAllByTestId('gallery-item').length).toBeGreaterThan(0));
  model = {
    state: 'failed',
    error: { code: 'model_or_runtime', message: 'ONNX Runtime library not found; run scripts/setup' },
  };
  expect((await findByTestId('model-error')).textContent).toContain('run scripts/setup');
  expect(getAllByTestId('gallery-item').length).toBeGreaterThan(0);
});

test('an empty app offers the demo gallery, which then fills the grid', async () => {
  const backend = new MockBackend(0, 0);
  backend.sources = [];
  backend.demo = 30;
  const app = new AppModel(backend);
  const { findByTestId, getAllByTestId } = render(App, { app });
  await fireEvent.click(await findByTestId('try-demo'));
  await waitFor(() => expect(getAllByTestId('gallery-item').length).toBeGreaterThan(0));
  expect(app.galleryTotal).toBe(30);
});

test('failures from an earlier run are listed at start, and a gallery where every photo failed says so', async () => {
  const backend = new MockBackend(3, 0);
  backend.broken = new Map([
    [1, 'cannot decode: the file is truncated'],
    [2, 'cannot decode: not an image'],
    [3, 'cannot decode: unsupported format'],
  ]);
  const app = new AppModel(backend);
  const { findByTestId, getByTestId } = render(App, { app });
  expect((await findByTestId('all-failed')).textContent).toContain('None of the 3 photos');
  await fireEvent.click(await findByTestId('failures-toggle'));
  expect(getByTestId('failures').textContent).toContain('/mock/Shapes/red-circle-1.jpg: cannot decode: the file is truncated');
});

test('a photo skipped for stopping motis is listed with its cause, and Try them again reads it again', async () => {
  const backend = new MockBackend(4, 0);
  backend.broken = new Map([
    [2, `${SKIPPED}: skipped until the file changes or failed photos are retried`],
    [3, 'cannot decode: not an image'],
  ]);
  const app = new AppModel(backend);
  const { findByTestId, getByTestId } = render(App, { app });
  await waitFor(() => expect(app.indexing).toBe(false));
  await fireEvent.click(await findByTestId('failures-toggle'));
  expect(getByTestId('failures').textContent).toContain(SKIPPED);
  await fireEvent.click(getByTestId('retry-failed'));
  await waitFor(() => expect(app.status?.encoded).toBe(3));
  expect(app.failures.map((f) => f.id)).toEqual([3]);
});

test.each([
  ['disk_full', /the disk is full\. Free space on it/],
  ['data_folder_gone', /the data folder is gone \(was its disk removed or unmounted\?\)\. Connect it again/],
] as const)('a data disk that is %s pauses indexing with what to do, and Resume goes on once it is fine', async (trouble, says) => {
  const backend = new MockBackend(40, 0);
  backend.diskTroubleAt = 12;
  backend.diskTrouble = trouble;
  const app = new AppModel(backend);
  const { findByTestId, getByText } = render(App, { app });
  await waitFor(() => expect(app.paused && !app.indexing).toBe(true));
  expect(getByText(says)).toBeTruthy();
  expect(app.status?.encoded).toBe(backend.encoded);
  backend.diskTroubleAt = null;
  await fireEvent.click(await findByTestId('resume'));
  await waitFor(() => expect(app.status?.encoded).toBe(40));
  expect(app.paused).toBe(false);
});

test('pausing keeps what is encoded searchable, and Resume finishes the run', async () => {
  const backend = new MockBackend(60, 20);
  const app = new AppModel(backend);
  const { findByTestId } = render(App, { app });
  await waitFor(() => expect(backend.encoded).toBeGreaterThan(0));
  await fireEvent.click(await findByTestId('pause'));
  await waitFor(() => expect(app.paused && !app.indexing).toBe(true));
  // Encoding has stopped: no step of the run comes after the pause (the mock steps every 20 ms).
  const encodedAtPause = backend.encoded;
  expect(encodedAtPause).toBeLessThan(60);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(backend.encoded).toBe(encodedAtPause);
  // Search answers from what is encoded: every result is one of the photos encoded so far.
  await app.search(backend.photos[0].colour);
  expect(app.results?.length ?? 0).toBeGreaterThan(0);
  const encodedIds = new Set(backend.photos.slice(0, encodedAtPause).map((p) => p.id));
  expect(app.results!.every((r) => encodedIds.has(r.id))).toBe(true);
  await fireEvent.click(await findByTestId('resume'));
  await waitFor(() => expect(app.indexing).toBe(false));
  expect(app.paused).toBe(false);
  expect(backend.encoded).toBe(60);
  expect(app.status?.encoded).toBe(60);
});

test('removing a folder in the Library takes its photos out of the gallery and the results', async () => {
  const backend = new MockBackend(12, 0);
  backend.demo = 6;
  await backend.addDemoGallery();
  const { app, getAllByTestId, getByTestId, findByTestId } = await started(backend);
  expect(app.galleryTotal).toBe(18);
  await fireEvent.click(getByTestId('open-library'));
  expect((await findByTestId('library')).textContent).toContain('/mock/demo/images');
  await fireEvent.click(getAllByTestId('remove-folder')[0]);
  await fireEvent.click(getByTestId('confirm-remove'));
  await waitFor(() => expect(app.galleryTotal).toBe(6));
  expect(getAllByTestId('folder')).toHaveLength(1);
  expect(app.gallery).toEqual([18, 17, 16, 15, 14, 13]);
  expect(getAllByTestId('gallery-item')[0].getAttribute('data-photo-id')).toBe('18');
});

test('a folder without photos says none were found, not "add a folder"', async () => {
  const { findByTestId, queryByTestId } = render(App, { app: new AppModel(new MockBackend(0, 0)) });
  expect((await findByTestId('no-photos-found')).textContent).toContain('Shapes');
  expect(queryByTestId('empty-gallery')).toBeNull();
});

test('the page being hidden (a minimised desktop window) does not stop indexing: the platform decides', async () => {
  const backend = new MockBackend(60, 20);
  const app = new AppModel(backend);
  render(App, { app });
  await waitFor(() => expect(app.progress?.phase).toBe('encoding'));
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  try {
    document.dispatchEvent(new Event('visibilitychange'));
    const encodedHidden = backend.encoded;
    await waitFor(() => expect(backend.encoded).toBeGreaterThan(encodedHidden));
    expect(app.indexing).toBe(true);
  } finally {
    delete (document as { visibilityState?: string }).visibilityState;
  }
});

test('a run waiting for its condition says why in the progress line, until it goes on', async () => {
  const app = new AppModel(new MockBackend(60, 0));
  const { findByTestId, queryByTestId } = render(App, { app });
  await waitFor(() => expect(app.indexing).toBe(false));
  app.onIndexEvent({ kind: 'progress', phase: 'encoding', done: 3, total: 60, failed: 0 });
  app.onIndexEvent({ kind: 'paused', reason: 'the phone is hot' });
  expect((await findByTestId('waiting-for')).textContent).toBe('Paused: the phone is hot');
  app.onIndexEvent({ kind: 'resumed' });
  await waitFor(() => expect(queryByTestId('waiting-for')).toBeNull());
});

test('indexing pauses when the app leaves the screen and goes on when it returns', async () => {
  const backend = new MockBackend(60, 20);
  const app = new AppModel(backend);
  render(App, { app });
  await waitFor(() => expect(app.progress?.phase).toBe('encoding'));
  await app.setBackground(true);
  await waitFor(() => expect(app.indexing).toBe(false));
  const encodedAway = backend.encoded;
  expect(encodedAway).toBeLessThan(60);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(backend.encoded).toBe(encodedAway);
  // The app itself stopped the run as it left (the page was frozen): it says so on return.
  backend.lifecycle({ background: false, resume: true });
  await waitFor(() => expect(app.indexing).toBe(true));
  await waitFor(() => expect(backend.encoded).toBe(60));
});

test('with "only while charging", indexing waits for the charger and stops when it goes', async () => {
  const backend = new MockBackend(60, 20);
  backend.charging = false;
  backend.settings = { results: 60, onlyWhileCharging: true };
  const app = new AppModel(backend);
  const { findByTestId } = render(App, { app });
  await findByTestId('waiting-for-power');
  expect(app.indexing).toBe(false);
  expect(backend.encoded).toBe(0);
  backend.charging = true;
  await app.checkPower();
  await waitFor(() => expect(app.progress?.phase).toBe('encoding'));
  backend.charging = false;
  await app.checkPower();
  await waitFor(() => expect(app.indexing).toBe(false));
  expect(app.waitingForPower).toBe(true);
  expect(backend.encoded).toBeLessThan(60);
});

test('on a phone with no access yet: one button asks for the photo library, which then fills the grid', async () => {
  const backend = new MockBackend(0, 0);
  backend.phone = 'ios';
  backend.sources = [];
  backend.access = 'notDetermined';
  const app = new AppModel(backend);
  const { findByTestId, getAllByTestId } = render(App, { app });
  const add = await findByTestId('add-photos');
  expect(add.textContent).toBe('Index your photos');
  await fireEvent.click(add);
  await waitFor(() => expect(getAllByTestId('gallery-item').length).toBeGreaterThan(0));
  expect(app.access).toBe('full');
  expect(app.sources.map((s) => s.kind)).toEqual(['library']);
});

test('on a phone where access is refused, the page says where to allow it', async () => {
  const backend = new MockBackend(0, 0);
  backend.phone = 'android';
  backend.sources = [];
  backend.access = 'denied';
  const app = new AppModel(backend);
  const { findByTestId } = render(App, { app });
  await fireEvent.click(await findByTestId('add-photos'));
  expect((await findByTestId('access-denied')).textContent).toContain('system settings');
});
