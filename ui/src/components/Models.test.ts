import { cleanup, fireEvent, render, waitFor, within } from '@testing-library/svelte';
import { afterEach, expect, test } from 'vitest';
import App from '../App.svelte';
import { AppModel } from '../lib/app.svelte';
import { MockBackend } from '../lib/mock-backend';

afterEach(() => cleanup());

const SUGGESTED = 'vit-b-32-laion2b';

async function started(backend: MockBackend) {
  const app = new AppModel(backend);
  const view = render(App, { app });
  await waitFor(() => expect(app.models).not.toBeNull());
  await waitFor(() => expect(app.indexing).toBe(false));
  return { app, backend, ...view };
}

async function openModels(view: Awaited<ReturnType<typeof started>>) {
  await fireEvent.click(view.getByTestId('open-models'));
  return view.getByTestId('models');
}

function row(panel: HTMLElement, id: string): HTMLElement {
  const found = panel.querySelector<HTMLElement>(`[data-model-id="${id}"]`);
  if (!found) throw new Error(`no row for ${id}`);
  return found;
}

/** 48 photos indexed with the demo model, then "Use this model" on the suggested one:
 * the gallery is being encoded with it, step by step. */
async function switching() {
  const backend = new MockBackend(48, 0);
  backend.installModel(SUGGESTED);
  const view = await started(backend);
  const { app } = view;
  expect(app.status?.encoded).toBe(48);
  backend.stepMs = 40;
  const panel = await openModels(view);
  await fireEvent.click(within(row(panel, SUGGESTED)).getByTestId('use-model'));
  await waitFor(() => expect(view.getByTestId('switching')).toBeTruthy());
  await waitFor(() => expect(app.status?.switching?.covered).toBeGreaterThan(0));
  return { view, app, backend, panel };
}

test('the panel lists the installed and the downloadable models with size, licence and note', async () => {
  const view = await started(new MockBackend(12, 0));
  const panel = await openModels(view);
  expect(within(panel).getByTestId('model-in-use').textContent).toContain('motis demo');
  const demo = row(panel, 'motis-demo');
  expect(within(demo).getByTestId('in-use')).toBeTruthy();
  expect(within(demo).queryByTestId('use-model')).toBeNull();
  const available = within(panel).getAllByTestId('available-model').map((e) => e.dataset.modelId);
  expect(available).toEqual([SUGGESTED, 'vit-b-32-openai']);
  const suggested = row(panel, SUGGESTED);
  expect(suggested.textContent).toContain('Suggested');
  expect(suggested.textContent).toContain('Licence: MIT · 605 MB');
  expect(within(suggested).getByTestId('download-model').textContent).toContain('605 MB');
  // With only the demo model, the page offers a real one.
  expect(view.getByTestId('suggest-model')).toBeTruthy();
});

test('a download shows its progress, and Cancel stops it and deletes what it fetched', async () => {
  const backend = new MockBackend(12, 0);
  backend.downloadMs = 30;
  const view = await started(backend);
  const panel = await openModels(view);
  await fireEvent.click(within(row(panel, SUGGESTED)).getByTestId('download-model'));
  await waitFor(() => expect(within(row(panel, SUGGESTED)).getByTestId('download-status').textContent).toMatch(/[1-9]\d* MB of 605 MB \(\d+ %\)/));
  expect(view.app.downloads[SUGGESTED].done).toBeGreaterThan(0);
  await fireEvent.click(within(row(panel, SUGGESTED)).getByTestId('download-cancel'));
  await waitFor(() => expect(within(row(panel, SUGGESTED)).getByTestId('download-model')).toBeTruthy());
  expect(backend.partial.has(SUGGESTED)).toBe(false);
  expect(backend.installedModels.has(SUGGESTED)).toBe(false);
  expect(view.app.downloads[SUGGESTED]).toBeUndefined();
});

test('a failed download says why, and Try again finishes it', async () => {
  const backend = new MockBackend(12, 0);
  backend.downloadFailure = 'https://huggingface.co/…/model.onnx: HTTP 503 (tried 6 times)';
  const view = await started(backend);
  const panel = await openModels(view);
  await fireEvent.click(within(row(panel, 'vit-b-32-openai')).getByTestId('download-model'));
  const error = await waitFor(() => within(row(panel, 'vit-b-32-openai')).getByTestId('download-error'));
  expect(error.textContent).toContain('HTTP 503');
  await fireEvent.click(within(row(panel, 'vit-b-32-openai')).getByTestId('download-retry'));
  await waitFor(() => expect(within(row(panel, 'vit-b-32-openai')).getByTestId('use-model')).toBeTruthy());
  expect(backend.installedModels.has('vit-b-32-openai')).toBe(true);
});

test('a download the last run left part-way goes on from where it stopped when the app starts', async () => {
  const backend = new MockBackend(12, 0);
  backend.downloadMs = 20;
  backend.interrupt(SUGGESTED, 0.4);
  const seen: number[] = [];
  const download = backend.downloadModel.bind(backend);
  backend.downloadModel = (name, onEvent) =>
    download(name, (event) => {
      if (event.event === 'resolved') seen.push(event.present);
      onEvent(event);
    });
  const view = await started(backend);
  await waitFor(() => expect(backend.installedModels.has(SUGGESTED)).toBe(true));
  expect(seen).toEqual([242_000_000]);
  const panel = await openModels(view);
  await waitFor(() => expect(within(row(panel, SUGGESTED)).getByTestId('use-model')).toBeTruthy());
});

test('Discard beside a failed download deletes what it fetched', async () => {
  const backend = new MockBackend(12, 0);
  backend.downloadFailure = 'the disk is full';
  const view = await started(backend);
  const panel = await openModels(view);
  await fireEvent.click(within(row(panel, 'vit-b-32-openai')).getByTestId('download-model'));
  await waitFor(() => within(row(panel, 'vit-b-32-openai')).getByTestId('download-error'));
  expect(backend.partial.get('vit-b-32-openai')).toBeGreaterThan(0);
  await fireEvent.click(within(row(panel, 'vit-b-32-openai')).getByTestId('download-discard'));
  await waitFor(() => expect(within(row(panel, 'vit-b-32-openai')).getByTestId('download-model')).toBeTruthy());
  expect(backend.partial.has('vit-b-32-openai')).toBe(false);
});

test('choosing a model keeps search on the current one while the gallery is encoded, then switches', async () => {
  const { view, app, panel } = await switching();

  // Mid-switch: the current model answers over the whole gallery.
  await app.search('purple star');
  expect(app.resultsModel).toBe('motis-demo');
  expect(app.searched).toBe(48);
  expect(app.status?.switching?.covered).toBeLessThan(48);
  expect(view.getByTestId('switch-status').textContent).toContain('Search uses motis demo until then');

  // Encoded: the new model takes over, and the shown results are searched again with it.
  await waitFor(() => expect(app.status?.modelId).toBe(SUGGESTED), { timeout: 5000 });
  await waitFor(() => expect(app.resultsModel).toBe(SUGGESTED));
  expect(app.status?.switching).toBeNull();
  expect(view.queryByTestId('switching')).toBeNull();
  expect(within(row(panel, SUGGESTED)).getByTestId('in-use')).toBeTruthy();
  expect(view.queryByTestId('suggest-model')).toBeNull();
});

test('"Search with it now" switches before the gallery is encoded, and encoding goes on with it', async () => {
  const { app, panel } = await switching();
  await fireEvent.click(within(panel).getByTestId('switch-now'));
  await waitFor(() => expect(app.status?.modelId).toBe(SUGGESTED));
  expect(app.status!.encoded).toBeLessThan(48);
  await app.search('purple star');
  expect(app.resultsModel).toBe(SUGGESTED);
  expect(app.searched).toBeLessThan(48);
  await waitFor(() => expect(app.status?.encoded).toBe(48), { timeout: 5000 });
});

test('"Keep the current model" stops a switch', async () => {
  const { app, backend, panel } = await switching();
  await fireEvent.click(within(panel).getByTestId('keep-current'));
  await waitFor(() => expect(app.status?.switching).toBeNull());
  await waitFor(() => expect(app.indexing).toBe(false));
  expect(app.status?.modelId).toBe('motis-demo');
  expect(backend.nextModel).toBeNull();
});

test('on first start the page offers the real model, and downloading it makes it the one search uses', async () => {
  const backend = new MockBackend(0, 0);
  backend.sources = [];
  const view = await started(backend);
  const offer = view.getByTestId('first-start-model');
  expect(offer.textContent).toContain('605 MB');
  expect(offer.textContent).toContain('The demo model stays');
  await fireEvent.click(within(offer).getByTestId('suggestion-download'));
  await waitFor(() => expect(view.app.status?.modelId).toBe(SUGGESTED));
  expect(view.queryByTestId('first-start-model')).toBeNull();
});
