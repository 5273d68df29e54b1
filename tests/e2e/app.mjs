// End to end on the real app: tauri-driver (which starts WebKitWebDriver) drives
// target/debug/motis-app under Xvfb, opened on a copy of the committed captioned gallery.
//
//   npm run test:e2e      (after `npx tauri build --debug --no-bundle`)
//
// It waits until indexing finishes, searches a full caption and expects that photo first,
// opens it and goes back, types `reset` and expects the gallery, checks that the page can
// neither read a file nor fetch a photo by path, and saves a screenshot of the results to
// build/test-output/app-results.png. Then a photo that crashes the app (the debug build's
// MOTIS_CRASH_READING): two starts die on it, the third shows it in the failures with every
// other photo indexed, and "Try them again" indexes it.
//
// Then the Models panel, against a loopback server that answers as the Hugging Face Hub
// (hub.mjs, at HF_ENDPOINT): a download shows its progress and Cancel leaves nothing; the
// next one installs the model, checked and with its source recorded; "Use this model"
// encodes the gallery with it while searches keep answering with the demo model over the
// whole gallery, then search answers with the new model; and the choice holds after the
// app restarts. Then a minimised window (iconified by xdotool under openbox): the page sees
// itself hidden and encoding goes on.
//
// Then the gallery at once, on a new folder of phone-sized photos (12 MP JPEGs from
// scripts/make_phone_photos.py; MOTIS_E2E_PHOTOS of them, 1,000 unless set; carrying EXIF
// thumbnails as phone cameras write them unless MOTIS_E2E_THUMBNAILS=0): the time from the
// end of the scan until every cell in view shows an image (the camera's thumbnail, or the
// preview) and until every one shows its preview, which must come while the run is still
// making the others; the page at a phone's width (at least 3 columns,
// no sideways scrolling; build/test-output/app-phone.png); and the image memory of 60
// results. MOTIS_APP picks another build, MOTIS_E2E_ONLY_GALLERY=1 runs this part alone,
// and MOTIS_E2E_GALLERY_RUNS=N measures the first screenful on N new data folders and
// prints each time and the median (scripts/bench-gallery does all three, on the release
// build and 10,000 photos).

import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMMIT, startHub } from './hub.mjs';

const root = resolve(import.meta.dirname, '../..');
const app = process.env.MOTIS_APP ?? join(root, 'target/debug/motis-app');
const port = 4444;
const driverUrl = `http://127.0.0.1:${port}`;
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

const children = [];
function start(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  return child;
}

async function webdriver(method, path, body) {
  const response = await fetch(`${driverUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const reply = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(reply.value)}`);
  return reply.value;
}

async function until(what, check, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'motis-e2e-'));
  const gallery = join(work, 'gallery');
  cpSync(join(root, 'tests/fixtures/gallery'), gallery, { recursive: true });
  const captions = JSON.parse(readFileSync(join(gallery, 'captions.json'), 'utf8'));
  rmSync(join(gallery, 'captions.json'));
  // A phone's HEIC, stored sideways with its rotation in the file: shown upright, as JPEG.
  cpSync(join(root, 'tests/fixtures/heif/rotated.heic'), join(gallery, 'phone.heic'));

  let display = process.env.DISPLAY;
  if (!display) {
    display = ':97';
    start('Xvfb', [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp']);
    await sleep(500);
  }
  const hub = await startHub(root);
  start('tauri-driver', ['--port', String(port)], { DISPLAY: display, HF_ENDPOINT: hub.endpoint });
  await until('tauri-driver', () => fetch(`${driverUrl}/status`).then((r) => r.ok), 20);

  try {
    const photos = makePhonePhotos(work);
    if (!process.env.MOTIS_E2E_ONLY_GALLERY) {
      await searchAndSecurity(work, gallery, captions);
      await crashingPhoto(work, gallery, display);
      await modelsPanel(work, gallery, photos, hub);
      await minimised(work, photos, display);
    }
    await galleryAtOnce(work, photos);
  } finally {
    await hub.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** A session on the app opened with `args`, and what the steps use of it. */
async function open(args) {
  const session = await webdriver('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: app, args } } },
  });
  const s = `/session/${session.sessionId}`;
  await webdriver('POST', `${s}/timeouts`, { script: 600_000 });
  return {
    s,
    find: async (css) => (await webdriver('POST', `${s}/elements`, { using: 'css selector', value: css })).map((e) => e[ELEMENT]),
    attribute: (element, name) => webdriver('GET', `${s}/element/${element}/attribute/${name}`),
    text: (element) => webdriver('GET', `${s}/element/${element}/text`),
    /** Click the first element `css` finds, once there is one. */
    click: async (css) => {
      const [element] = await until(css, async () => {
        const found = await webdriver('POST', `${s}/elements`, { using: 'css selector', value: css });
        return found.length > 0 ? found.map((e) => e[ELEMENT]) : null;
      }, 30);
      await webdriver('POST', `${s}/element/${element}/click`, {});
    },
    /** A motis command, as the page calls it; a failure resolves `{ error }`. */
    invoke: (command, args = {}) => webdriver('POST', `${s}/execute/async`, {
      script: 'window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(arguments[2], (error) => arguments[2]({ error }))',
      args: [command, args],
    }),
    run: (script, args = []) => webdriver('POST', `${s}/execute/async`, { script, args }),
    screenshot: async (name) => {
      mkdirSync(join(root, 'build/test-output'), { recursive: true });
      const shot = await webdriver('GET', `${s}/screenshot`);
      writeFileSync(join(root, 'build/test-output', name), Buffer.from(shot, 'base64'));
    },
    close: () => webdriver('DELETE', s).catch(() => {}),
  };
}

async function searchAndSecurity(work, gallery, captions) {
  const { s, find, attribute, text, run, screenshot, close } = await open(['--data-dir', join(work, 'data'), '--add-folder', gallery]);
  try {
    // Indexing finished: every photo is encoded, and the progress bar has gone.
    await until('the gallery', async () => (await find('[data-testid="gallery-item"]')).length === 11, 60);
    await until('indexing to finish', async () => {
      const status = await run('window.__TAURI_INTERNALS__.invoke("app_status").then(arguments[0])');
      return status.encoded === 11 && !status.indexing;
    }, 120);
    const heic = await run(`
      const done = arguments[0];
      const ids = [...document.querySelectorAll('[data-testid="gallery-item"]')].map((e) => Number(e.dataset.photoId));
      Promise.all(ids.map((id) => window.__TAURI_INTERNALS__.invoke('photo_details', { id }))).then((all) => {
        const photo = all.find((d) => d.name === 'phone.heic');
        const img = new Image();
        img.onload = () => done({ width: img.naturalWidth, height: img.naturalHeight });
        img.onerror = () => done({ error: 'did not load' });
        img.src = 'photo://localhost/full-' + photo.id;
      }, (error) => done({ error: String(error) }));
    `);
    if (heic.width !== 160 || heic.height !== 120) throw new Error(`the HEIC photo is not shown upright at 160 × 120: ${JSON.stringify(heic)}`);

    // An empty box offers the demo model's own example searches (its manifest's); one fills
    // the box and answers.
    const manifest = JSON.parse(readFileSync(join(root, 'models/motis-demo/manifest.json'), 'utf8'));
    const chips = await until('the example searches', async () => {
      const found = await find('[data-testid="example-search"]');
      return found.length > 0 ? found : null;
    }, 20);
    const offered = await Promise.all(chips.map((chip) => text(chip)));
    if (manifest.examples.length === 0 || offered.join('|') !== manifest.examples.join('|')) {
      throw new Error(`the example searches offered are ${JSON.stringify(offered)}, the manifest's ${JSON.stringify(manifest.examples)}`);
    }
    await webdriver('POST', `${s}/element/${chips[0]}/click`, {});
    await until('results for the example', async () => (await find('[data-testid="result"]')).length > 0, 20);
    const boxed = await run('arguments[0](document.querySelector(\'[data-testid="search-input"]\').value)');
    if (boxed !== manifest.examples[0]) throw new Error(`the example put "${boxed}" in the box`);

    const [name, caption] = Object.entries(captions)[3];
    const [input] = await find('[data-testid="search-input"]');
    await webdriver('POST', `${s}/element/${input}/clear`, {});
    await webdriver('POST', `${s}/element/${input}/value`, { text: `${caption}\uE007` });
    const first = await until('results', async () => (await find('[data-testid="result"]'))[0]);
    const firstId = await attribute(first, 'data-photo-id');
    const details = await run('window.__TAURI_INTERNALS__.invoke("photo_details", { id: Number(arguments[0]) }).then(arguments[1])', [firstId]);
    if (details.name !== name) throw new Error(`"${caption}" found ${details.name} first, not ${name}`);
    await until('the results to load', () => run(
      'const img = document.querySelector(\'[data-testid="result"] img\'); (img.complete ? Promise.resolve() : img.decode()).then(() => arguments[0](img.naturalWidth > 0))',
    ), 20);
    await screenshot('app-results.png');

    await webdriver('POST', `${s}/element/${first}/click`, {});
    const [viewer] = await until('the viewer', () => find('[data-testid="viewer"]'));
    if ((await attribute(viewer, 'data-photo-id')) !== firstId) throw new Error('the viewer shows another photo');
    await webdriver('POST', `${s}/actions`, { actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: '\uE00C' }, { type: 'keyUp', value: '\uE00C' }] }] });
    await until('the viewer to close', async () => (await find('[data-testid="viewer"]')).length === 0, 10);

    // "More like this" puts the photo into the box as the query; its answers leave it out.
    await webdriver('POST', `${s}/element/${first}/click`, {});
    const [more] = await until('the viewer', () => find('[data-testid="more-like-this"]'));
    await webdriver('POST', `${s}/element/${more}/click`, {});
    await until('photo:ID in the box', async () => (await run('arguments[0](document.querySelector(\'[data-testid="search-input"]\').value)')) === `photo:${firstId}`, 10);
    const like = await run('window.__TAURI_INTERNALS__.invoke("search", { query: "photo:" + arguments[0] }).then(arguments[1])', [firstId]);
    if (like.results.length === 0 || like.results.some((r) => String(r.id) === firstId)) throw new Error(`photo:${firstId} answered ${JSON.stringify(like)}`);
    // A query the engine cannot understand is explained under the box.
    await webdriver('POST', `${s}/element/${input}/clear`, {});
    await webdriver('POST', `${s}/element/${input}/value`, { text: 'red after:2024-13\uE007' });
    const [problem] = await until('the query error', () => find('[data-testid="query-error"]'), 10);
    const explained = await webdriver('GET', `${s}/element/${problem}/text`);
    if (!explained.includes('not a date')) throw new Error(`the query error says: ${explained}`);

    await webdriver('POST', `${s}/element/${input}/clear`, {});
    await webdriver('POST', `${s}/element/${input}/value`, { text: 'reset\uE007' });
    await until('the gallery again', async () => (await find('[data-testid="gallery-item"]')).length === 11, 10);
    if ((await find('[data-testid="result"]')).length !== 0) throw new Error('results still shown after reset');

    // The page reaches photos by id only: no file reads, no photo by path.
    const probes = await run(`
      const done = arguments[arguments.length - 1];
      const image = (src) => new Promise((ok, fail) => {
        const img = new Image();
        img.onload = () => ok(img.naturalWidth);
        img.onerror = () => fail(src);
        img.src = src;
      });
      const tries = [
        image('photo://localhost/' + encodeURIComponent(arguments[0])),
        image('photo://localhost/full-' + encodeURIComponent(arguments[0])),
        fetch('file:///etc/hostname').then((r) => r.text()),
        fetch('photo://localhost/etc/hostname').then((r) => r.ok ? r.text() : Promise.reject(r.status)),
        fetch('photo://localhost/full-' + encodeURIComponent(arguments[0])).then((r) => r.ok ? r.text() : Promise.reject(r.status)),
        window.__TAURI_INTERNALS__.invoke('plugin:fs|read_text_file', { path: '/etc/hostname' }),
        // A path as a search term: refused before anything reads it.
        window.__TAURI_INTERNALS__.invoke('search', { query: arguments[0] }),
      ];
      // The control: the same photo by its id loads.
      image('photo://localhost/full-' + arguments[1]).then(
        () => Promise.allSettled(tries).then((outcomes) => done(outcomes.map((o) => o.status))),
        () => done(['the photo did not load by its id']),
      );
    `, [join(gallery, name), firstId]);
    if (probes.some((status) => status !== 'rejected')) throw new Error(`the page read something it must not: ${probes}`);
    console.log(`e2e: "${caption}" → ${name} first; viewer, Escape, More like this, a query error explained, reset, a HEIC shown upright and the security probes passed`);
  } finally {
    await close();
  }
}

/** The app started with `args` and `env` outside WebDriver, expected to die within
 * `seconds`: resolves the signal that ended it. */
function dies(args, env, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn(app, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app did not die on the crashing photo in ${seconds} s`));
    }, seconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? `exit ${code}`);
    });
  });
}

/** A photo whose decode takes the app down (a decoder's bug; the debug build's stand-in is
 * MOTIS_CRASH_READING): the app dies on it twice (the second time reading it alone), then
 * starts with every other photo indexed and this one named in its failures; once the bug
 * is gone, "Try them again" indexes it. */
async function crashingPhoto(work, gallery, display) {
  const data = join(work, 'data-crash');
  const folder = join(work, 'crash-gallery');
  cpSync(gallery, folder, { recursive: true });
  cpSync(join(root, 'tests/fixtures/images/landscape.jpg'), join(folder, 'crashes.jpg'));
  const args = ['--data-dir', data, '--add-folder', folder];
  for (const attempt of [1, 2]) {
    const signal = await dies(args, { DISPLAY: display, MOTIS_CRASH_READING: 'decode:crashes.jpg' }, 120);
    if (signal !== 'SIGABRT') throw new Error(`start ${attempt} on the crashing photo ended with ${signal}, not its crash`);
  }
  const { find, text, click, run, close } = await open(args);
  try {
    await until('the other photos indexed', async () => {
      const status = await run('window.__TAURI_INTERNALS__.invoke("app_status").then(arguments[0])');
      return status.encoded === 11 && !status.indexing;
    }, 120);
    await click('[data-testid="failures-toggle"]');
    const [list] = await until('the failure list', () => find('[data-testid="failures"]'), 10);
    const said = await text(list);
    if (!said.includes('crashes.jpg') || !said.includes('motis stopped while reading this photo, twice')) {
      throw new Error(`the failure list says: ${said}`);
    }
    await click('[data-testid="retry-failed"]');
    await until('the skipped photo indexed', async () => {
      const status = await run('window.__TAURI_INTERNALS__.invoke("app_status").then(arguments[0])');
      return status.encoded === 12 && status.failed === 0 && !status.indexing;
    }, 120);
    console.log('e2e: a photo that crashed the app twice was skipped and named at the third start, every other photo indexed, and "Try them again" indexed it');
  } finally {
    await close();
  }
}

const MINIMISED_PHOTOS = 150;

/** A desktop keeps indexing behind other windows and while minimised: under a window
 * manager (openbox) the app is iconified with xdotool, the page sees itself hidden, and
 * encoding goes on. */
async function minimised(work, phonePhotos, display) {
  const folder = join(work, 'minimised-photos');
  mkdirSync(folder);
  const jpegs = readdirSync(phonePhotos).filter((name) => name.endsWith('.jpg')).sort();
  for (const name of jpegs.slice(0, MINIMISED_PHOTOS)) cpSync(join(phonePhotos, name), join(folder, name));
  const manager = start('openbox', ['--sm-disable'], { DISPLAY: display });
  await sleep(500);
  const { run, close } = await open(['--data-dir', join(work, 'data-minimised'), '--add-folder', folder]);
  const status = () => run('window.__TAURI_INTERNALS__.invoke("app_status").then(arguments[0])');
  const xdotool = (...args) => execFileSync('xdotool', args, { env: { ...process.env, DISPLAY: display } }).toString().trim();
  try {
    await until('encoding to start', async () => (await status()).encoded > 0, 120);
    const [window] = xdotool('search', '--onlyvisible', '--name', '^motis$').split('\n');
    xdotool('windowminimize', '--sync', window);
    await until('the page to see itself hidden', () => run('arguments[0](document.visibilityState === "hidden")'), 10);
    const before = await status();
    if (before.encoded >= MINIMISED_PHOTOS) throw new Error('encoding ended before the window was minimised: use more photos');
    const after = await until('encoding to go on while minimised', async () => {
      const now = await status();
      return now.encoded > before.encoded + 5 ? now : null;
    }, 60);
    console.log(`e2e: minimised, the app went on encoding (${before.encoded} → ${after.encoded} of ${MINIMISED_PHOTOS} photos)`);
  } finally {
    await close();
    manager.kill();
  }
}

const SUGGESTED = 'vit-b-32-laion2b';
const SWITCH_PHOTOS = 120;

async function modelsPanel(work, gallery, phonePhotos, hub) {
  const data = join(work, 'data-models');
  // Enough photos that encoding them again takes a while: searches during it are seen.
  const more = join(work, 'switch-photos');
  mkdirSync(more);
  const jpegs = readdirSync(phonePhotos).filter((name) => name.endsWith('.jpg')).sort();
  for (const name of jpegs.slice(0, SWITCH_PHOTOS)) cpSync(join(phonePhotos, name), join(more, name));
  const photos = 11 + Math.min(SWITCH_PHOTOS, readdirSync(more).length);
  let session = await open(['--data-dir', data, '--add-folder', gallery, '--add-folder', more]);
  try {
    const { find, text, click, invoke, run } = session;
    await until('the gallery indexed with the demo model', async () => {
      const status = await invoke('app_status');
      return status.photos === photos && status.encoded === photos && !status.indexing && status.modelId === 'motis-demo';
    }, 300);
    await click('[data-testid="open-models"]');
    const row = `[data-model-id="${SUGGESTED}"]`;

    // A download shows its progress; Cancel stops it and deletes what it fetched.
    await click(`${row} [data-testid="download-model"]`);
    await until('download progress', async () => {
      const [status] = await find(`${row} [data-testid="download-status"]`);
      return status && /[1-9][\d.]* MB of [\d.]+ MB/.test(await text(status));
    }, 30);
    await click(`${row} [data-testid="download-cancel"]`);
    await until('the cancelled download to go', async () => (await find(`${row} [data-testid="download-model"]`)).length === 1, 30);
    const models = join(data, 'models');
    const left = existsSync(models) ? readdirSync(models).filter((name) => name.startsWith('.') || name === SUGGESTED) : [];
    if (left.length > 0) throw new Error(`a cancelled download left ${left.join(', ')}`);

    // Downloaded to the end: checked, installed, its source recorded.
    await click(`${row} [data-testid="download-model"]`);
    await until('the model installed', async () => (await find(`${row} [data-testid="use-model"]`)).length === 1, 120);
    const manifest = JSON.parse(readFileSync(join(models, SUGGESTED, 'manifest.json'), 'utf8'));
    if (manifest.source?.endpoint !== hub.endpoint || manifest.source?.commit !== COMMIT) {
      throw new Error(`the manifest does not record the download: ${JSON.stringify(manifest.source)}`);
    }

    // The switch: searches go on while the gallery is encoded with the new model, and no
    // preview is made again.
    const previewTimes = () => {
      const times = {};
      const walk = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else times[path] = statSync(path).mtimeMs;
        }
      };
      walk(join(data, 'previews'));
      return times;
    };
    const previewsBefore = previewTimes();
    await run(`
      const invoke = window.__TAURI_INTERNALS__.invoke;
      const replies = [];
      window.__switchWatch = (async () => {
        const started = performance.now();
        while (performance.now() - started < 120000) {
          const [reply, status] = await Promise.all([invoke('search', { query: 'a red star' }), invoke('app_status')]);
          replies.push({ model: reply.model, searched: reply.searched, total: reply.total, switching: status.switching, current: status.modelId });
          if (status.modelId === arguments[0] && !status.switching) {
            const after = await invoke('search', { query: 'a red star' });
            replies.push({ model: after.model, searched: after.searched, total: after.total, switching: null, current: arguments[0] });
            break;
          }
          // A person types a query every few seconds; this leaves the cores to the encoding.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return replies;
      })().catch((error) => [{ error: String(error) }]);
      arguments[1]();
    `, [SUGGESTED]);
    await click(`${row} [data-testid="use-model"]`);
    const replies = await run('window.__switchWatch.then(arguments[0])');
    const failed = replies.find((r) => r.error);
    if (failed) throw new Error(`a search failed during the switch: ${failed.error}`);
    const during = replies.filter((r) => r.switching);
    if (during.length === 0) throw new Error(`no search answered during the switch: ${JSON.stringify(replies)}`);
    const firstNew = replies.findIndex((r) => r.model === SUGGESTED);
    if (firstNew < 0) throw new Error(`no answer from ${SUGGESTED}: ${JSON.stringify(replies.slice(-3))}`);
    const wrong = replies.filter((r, i) => (i < firstNew ? r.model !== 'motis-demo' || r.searched !== photos : r.model !== SUGGESTED));
    if (wrong.length > 0) throw new Error(`answers out of order or short of the gallery: ${JSON.stringify(wrong)}`);
    if (replies.at(-1).searched !== photos) throw new Error(`the new model searched ${replies.at(-1).searched} of ${photos} photos`);
    await until('the panel to show the new model in use', async () => (await find(`${row} [data-testid="in-use"]`)).length === 1, 20);
    const previewsAfter = previewTimes();
    if (Object.keys(previewsBefore).length !== photos || JSON.stringify(previewsAfter) !== JSON.stringify(previewsBefore)) {
      throw new Error(`previews were made again for the new model (${Object.keys(previewsBefore).length} before, ${Object.keys(previewsAfter).length} after)`);
    }
    console.log(
      `e2e: a model downloaded from the loopback Hub (cancelled once, then installed); ${during.length} of ${replies.length} ` +
        `searches answered by the demo model over all ${photos} photos during the switch, then by ${SUGGESTED}`,
    );
    await session.close();

    // The choice holds after a restart, and nothing is encoded again.
    session = await open(['--data-dir', data]);
    const status = await until('the app again', async () => {
      const status = await session.invoke('app_status');
      return status.engine.state === 'ready' && !status.indexing ? status : null;
    }, 60);
    if (status.modelId !== SUGGESTED || status.encoded !== photos || status.switching) {
      throw new Error(`after a restart: ${JSON.stringify(status)}`);
    }
  } finally {
    await session.close();
  }
}

/** In the page (as a WebDriver async script): once the scan has ended (the
 * `motis:scan-ended` mark), the milliseconds until every cell in view shows an image (the
 * camera's thumbnail or the preview) and until every one shows its preview, and what the
 * progress line says then. */
const FIRST_SCREENFUL = `
  const done = arguments[arguments.length - 1];
  const shown = (image) => image && image.complete && image.naturalWidth > 0;
  let gridAt = null;
  let firstImagesAt = null;
  const check = () => {
    const [mark] = performance.getEntriesByName('motis:scan-ended');
    const grid = document.querySelector('.grid');
    if (mark && grid) {
      gridAt ??= performance.now() - mark.startTime;
      const view = grid.getBoundingClientRect();
      const inView = [...grid.querySelectorAll('.cell')].filter((cell) => {
        const box = cell.getBoundingClientRect();
        return box.bottom > view.top && box.top < view.bottom;
      });
      const now = performance.now() - mark.startTime;
      if (inView.length > 0 && inView.every((cell) => [...cell.querySelectorAll('img')].some(shown))) firstImagesAt ??= now;
      if (inView.length > 0 && inView.every((cell) => shown(cell.querySelector('img.picture')))) {
        done({
          ms: now,
          firstImagesMs: firstImagesAt,
          gridMs: gridAt,
          cells: inView.length,
          progress: document.querySelector('[data-testid="index-progress"]')?.textContent ?? '',
        });
        return;
      }
    }
    requestAnimationFrame(check);
  };
  check();
`;

const PHONE_PHOTOS = Number(process.env.MOTIS_E2E_PHOTOS ?? 1000);
const THUMBNAILS = process.env.MOTIS_E2E_THUMBNAILS !== '0';

/** The phone-sized photos both the Models part and the gallery at once use. */
function makePhonePhotos(work) {
  const photos = join(work, 'phone-photos');
  execFileSync(
    join(root, '.venv/bin/python'),
    [join(root, 'scripts/make_phone_photos.py'), String(PHONE_PHOTOS), photos, ...(THUMBNAILS ? [] : ['--without-thumbnails'])],
    { stdio: 'inherit' },
  );
  return photos;
}

async function galleryAtOnce(work, photos) {
  const count = PHONE_PHOTOS;
  const thumbnails = THUMBNAILS;
  const runs = Number(process.env.MOTIS_E2E_GALLERY_RUNS ?? 1);
  const times = [];
  const firstImages = [];
  let session;
  for (let run = 1; ; run++) {
    session = await open(['--data-dir', join(work, `data-phone-${run}`), '--add-folder', photos]);
    const screenful = await session.run(FIRST_SCREENFUL).catch(async (error) => {
      await session.close();
      throw error;
    });
    times.push(screenful.ms);
    firstImages.push(screenful.firstImagesMs);
    console.log(
      `e2e: ${count.toLocaleString('en')} new phone-sized photos (${thumbnails ? 'with' : 'without'} EXIF thumbnails): ` +
        `the first screenful (${screenful.cells} previews) ${Math.round(screenful.ms)} ms after the scan ended, ` +
        `an image in every cell after ${Math.round(screenful.firstImagesMs)} ms, the grid after ${Math.round(screenful.gridMs)} ms ` +
        `(${app.includes('/release/') ? 'release' : 'debug'} build${runs > 1 ? `, run ${run} of ${runs}` : ''})`,
    );
    // The run makes previews in its previews phase and then while encoding, from the same
    // decode: the screenful must come while it still has others to make.
    if (!/Making previews|Encoding/.test(screenful.progress)) {
      await session.close();
      throw new Error(`the previews in view came only after the run made the rest: "${screenful.progress}"`);
    }
    if (run === runs) break;
    await session.close();
  }
  if (runs > 1) {
    const summary = (what, values) => {
      const sorted = [...values].sort((a, b) => a - b);
      const middle = sorted.length / 2;
      const median = sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
      console.log(
        `e2e: ${what} over ${runs} runs: median ${Math.round(median)} ms, fastest ${Math.round(sorted[0])} ms, ` +
          `slowest ${Math.round(sorted.at(-1))} ms; ${values.filter((t) => t <= 1000).length} of ${runs} within 1 s`,
      );
    };
    summary('an image in every cell of the first screenful', firstImages);
    summary('the first screenful of previews', times);
  }
  // The last run's app goes on: a phone's width, and 60 results.
  const { s, find, run, screenshot, close } = session;
  try {
    const total = await run('window.__TAURI_INTERNALS__.invoke("app_status").then((s) => arguments[0](s.photos))');
    if (total !== count) throw new Error(`the gallery has ${total} photos, not ${count}`);

    // A phone's width: at least 3 columns, nothing wider than the window.
    await webdriver('POST', `${s}/window/rect`, { width: 390, height: 844 });
    const phone = await until('the page at a phone\'s width', () => run(`
      const done = arguments[0];
      if (window.innerWidth > 400) return done(null);
      requestAnimationFrame(() => done({
        columns: Number(document.querySelector('.grid').dataset.columns),
        overflow: document.documentElement.scrollWidth - window.innerWidth,
      }));
    `), 20);
    if (phone.columns < 3 || phone.overflow > 0) throw new Error(`at a phone's width: ${JSON.stringify(phone)}`);
    await run(FIRST_SCREENFUL);
    await screenshot('app-phone.png');

    // 60 results, each from a rendition sized to its cell: the page's decoded image memory.
    await until('60 photos encoded', () => run('window.__TAURI_INTERNALS__.invoke("app_status").then((s) => arguments[0](s.encoded >= 60))'), 600);
    const [input] = await find('[data-testid="search-input"]');
    await webdriver('POST', `${s}/element/${input}/value`, { text: 'a red circle\uE007' });
    // These photos are not of shapes: the search may find no good match. All 60 either way.
    const [reveal] = await until('results', async () => {
      const buttons = await find('[data-testid="show-more"]');
      return buttons.length > 0 ? buttons : (await find('[data-testid="result"]')).length === 60 ? [null] : null;
    }, 30);
    if (reveal) await webdriver('POST', `${s}/element/${reveal}/click`, {});
    await until('60 results', async () => {
      const status = await run('arguments[0](document.querySelector(\'[data-testid="search-status"]\')?.textContent ?? "")');
      return status.startsWith('60 best');
    }, 30);
    const memory = await until('the results to load', () => run(`
      const done = arguments[0];
      const images = [...document.querySelectorAll('[data-testid="result"] img')];
      if (!images.every((i) => i.complete && i.naturalWidth > 0)) return done(null);
      done({
        shown: images.length,
        bytes: images.reduce((sum, i) => sum + i.naturalWidth * i.naturalHeight * 4, 0),
        cell: images[0].parentElement.getBoundingClientRect().width * devicePixelRatio,
        width: images[0].naturalWidth,
      });
    `), 120);
    const sixty = (60 * memory.bytes) / memory.shown;
    console.log(
      `e2e: 60 results at a phone's width (device pixel ratio 1 here): ${memory.shown} images in the page, ` +
        `${(memory.bytes / 2 ** 20).toFixed(1)} MiB decoded (all 60: ${(sixty / 2 ** 20).toFixed(1)} MiB; ` +
        `60 decoded originals: ${((60 * 4032 * 3024 * 4) / 2 ** 20).toFixed(0)} MiB); ` +
        `a ${Math.round(memory.cell)} px cell gets a ${memory.width} px rendition`,
    );
    if (memory.width >= 4032) throw new Error('the results show originals, not renditions');
  } finally {
    await close();
  }
}

main()
  .then(() => (process.exitCode = 0), (error) => {
    console.error(`e2e: ${error.stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill();
  });
