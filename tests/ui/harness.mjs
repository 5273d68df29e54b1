// What the page tests share: Vite serving the page on loopback with the mock backend,
// Debian's Chromium through Playwright (scripts/setup installs it; Playwright's own
// browser downloads are not reachable), and pages at desktop or phone profiles.

import { after, before } from 'node:test';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

const root = resolve(import.meta.dirname, '../..');

/** Phones the page is tested on: CSS size, touch, device scale 3, and a notch and home
 * indicator (safe-area insets). */
export const PHONES = [
  { name: 'Android 360×740', viewport: { width: 360, height: 740 }, insets: { top: 24, bottom: 16, left: 0, right: 0 } },
  { name: 'iPhone 390×844', viewport: { width: 390, height: 844 }, insets: { top: 47, bottom: 34, left: 0, right: 0 } },
];

/** Registers the server and browser for this test file; returns `open`. */
export function usePages() {
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

  /** A fresh page on the mock backend shaped by `query`: at 1280×800 (or `size`), or on a
   * `phone` of PHONES (touch, isMobile, scale 3, its safe-area insets). */
  return async function open(query = '', { size = { width: 1280, height: 800 }, colorScheme = 'light', phone } = {}) {
    const context = await browser.newContext(
      phone
        ? { viewport: phone.viewport, isMobile: true, hasTouch: true, deviceScaleFactor: 3, colorScheme }
        : { viewport: size, colorScheme },
    );
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    if (phone) await cdp.send('Emulation.setSafeAreaInsetsOverride', { insets: phone.insets });
    const errors = [];
    page.on('pageerror', (error) => errors.push(error));
    await page.goto(`${base}?${query}`);
    return { page, cdp, errors, close: () => context.close() };
  };
}

/** The photo ids of the cells with this test id, in page order. */
export const ids = (page, testid) =>
  page.locator(`[data-testid="${testid}"]`).evaluateAll((cells) => cells.map((c) => Number(c.dataset.photoId)));
