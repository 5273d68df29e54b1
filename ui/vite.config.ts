import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { mockPhotoSvg } from './src/lib/mock-backend.ts';

/** For the mock backend in the dev server (`npm run ui:dev`, the page tests): previews
 * that take `ms` each to make, two at a time, in the order asked. Which of the screen's
 * requests the app serves first is the engine's rule, tested where it lives
 * (`previews.rs`); the page tests test what the page asks for, and when. */
function mockPhotos(): Plugin {
  const waiting: (() => void)[] = [];
  let busy = 0;
  const next = () => {
    while (busy < 2 && waiting.length > 0) waiting.shift()!();
  };
  return {
    name: 'motis-mock-photos',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/__mock-photo/', (request, response) => {
        const url = new URL(request.url ?? '', 'http://localhost');
        const id = Number(url.pathname.replace(/^\//, ''));
        const size = Number(url.searchParams.get('size') ?? 160);
        const ms = Number(url.searchParams.get('ms') ?? 0);
        const serve = () => {
          busy += 1;
          setTimeout(() => {
            response.setHeader('content-type', 'image/svg+xml');
            response.setHeader('cache-control', 'no-cache');
            response.end(mockPhotoSvg(id, size));
            busy -= 1;
            next();
          }, ms);
        };
        waiting.push(serve);
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), mockPhotos()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari15',
    minify: !process.env.TAURI_ENV_DEBUG,
    sourcemap: !!process.env.TAURI_ENV_DEBUG,
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-layout.ts'],
  },
});
