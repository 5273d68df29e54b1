// End to end on the real app: tauri-driver (which starts WebKitWebDriver) drives
// target/debug/motis-app under Xvfb, opened on a copy of the committed captioned gallery.
//
//   npm run test:e2e      (after `npx tauri build --debug --no-bundle`)
//
// It waits until indexing finishes, searches a full caption and expects that photo first,
// opens it and goes back, types `reset` and expects the gallery, checks that the page can
// neither read a file nor fetch a photo by path, and saves a screenshot of the results to
// build/test-output/app-results.png.

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = resolve(import.meta.dirname, '../..');
const app = join(root, 'target/debug/motis-app');
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

  let display = process.env.DISPLAY;
  if (!display) {
    display = ':97';
    start('Xvfb', [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp']);
    await sleep(500);
  }
  start('tauri-driver', ['--port', String(port)], { DISPLAY: display });
  await until('tauri-driver', () => fetch(`${driverUrl}/status`).then((r) => r.ok), 20);

  const session = await webdriver('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        browserName: 'wry',
        'tauri:options': { application: app, args: ['--data-dir', join(work, 'data'), '--add-folder', gallery] },
      },
    },
  });
  const s = `/session/${session.sessionId}`;
  const find = async (css) => (await webdriver('POST', `${s}/elements`, { using: 'css selector', value: css })).map((e) => e[ELEMENT]);
  const attribute = (element, name) => webdriver('GET', `${s}/element/${element}/attribute/${name}`);
  const run = (script, args = []) => webdriver('POST', `${s}/execute/async`, { script, args });

  try {
    // Indexing finished: every photo is encoded, and the progress bar has gone.
    await until('the gallery', async () => (await find('[data-testid="gallery-item"]')).length === 10, 60);
    await until('indexing to finish', async () => {
      const status = await run('window.__TAURI_INTERNALS__.invoke("app_status").then(arguments[0])');
      return status.encoded === 10 && !status.indexing;
    }, 120);

    const [name, caption] = Object.entries(captions)[3];
    const [input] = await find('[data-testid="search-input"]');
    await webdriver('POST', `${s}/element/${input}/value`, { text: `${caption}\uE007` });
    const first = await until('results', async () => (await find('[data-testid="result"]'))[0]);
    const firstId = await attribute(first, 'data-photo-id');
    const details = await run('window.__TAURI_INTERNALS__.invoke("photo_details", { id: Number(arguments[0]) }).then(arguments[1])', [firstId]);
    if (details.name !== name) throw new Error(`"${caption}" found ${details.name} first, not ${name}`);
    await until('the results to load', () => run(
      'const img = document.querySelector(\'[data-testid="result"] img\'); (img.complete ? Promise.resolve() : img.decode()).then(() => arguments[0](img.naturalWidth > 0))',
    ), 20);
    mkdirSync(join(root, 'build/test-output'), { recursive: true });
    const shot = await webdriver('GET', `${s}/screenshot`);
    writeFileSync(join(root, 'build/test-output/app-results.png'), Buffer.from(shot, 'base64'));

    await webdriver('POST', `${s}/element/${first}/click`, {});
    const [viewer] = await until('the viewer', () => find('[data-testid="viewer"]'));
    if ((await attribute(viewer, 'data-photo-id')) !== firstId) throw new Error('the viewer shows another photo');
    await webdriver('POST', `${s}/actions`, { actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: '\uE00C' }, { type: 'keyUp', value: '\uE00C' }] }] });
    await until('the viewer to close', async () => (await find('[data-testid="viewer"]')).length === 0, 10);

    await webdriver('POST', `${s}/element/${input}/clear`, {});
    await webdriver('POST', `${s}/element/${input}/value`, { text: 'reset\uE007' });
    await until('the gallery again', async () => (await find('[data-testid="gallery-item"]')).length === 10, 10);
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
      ];
      // The control: the same photo by its id loads.
      image('photo://localhost/full-' + arguments[1]).then(
        () => Promise.allSettled(tries).then((outcomes) => done(outcomes.map((o) => o.status))),
        () => done(['the photo did not load by its id']),
      );
    `, [join(gallery, name), firstId]);
    if (probes.some((status) => status !== 'rejected')) throw new Error(`the page read something it must not: ${probes}`);
    console.log(`e2e: "${caption}" → ${name} first; viewer, Escape, reset and the security probes passed`);
  } finally {
    await webdriver('DELETE', s).catch(() => {});
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
