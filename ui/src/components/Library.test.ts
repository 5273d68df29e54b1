import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import type { Source } from '../lib/backend';
import Library from './Library.svelte';

afterEach(() => cleanup());

const folders: Source[] = [
  { index: 0, kind: 'folder', name: 'Camera', detail: '/home/ana/Pictures/Camera', albums: null },
  { index: 1, kind: 'folder', name: 'Trips', detail: '/media/ana/Trips', albums: null },
];

function shown(props: Record<string, unknown> = {}) {
  const calls = {
    onadd: vi.fn(),
    onaddlibrary: vi.fn(),
    onwiden: vi.fn(),
    onloadalbums: vi.fn(),
    onremove: vi.fn(),
    onsave: vi.fn(),
    onclose: vi.fn(),
  };
  const settings = { results: 60, onlyWhileCharging: false };
  const view = render(Library, { sources: folders, settings, photoSources: 'folders', ...calls, ...props });
  return { ...view, ...calls };
}

test('lists the folders and removes one only after a confirmation', async () => {
  const { getAllByTestId, getByTestId, onremove, queryByTestId } = shown();
  const rows = getAllByTestId('folder');
  expect(rows.map((r) => r.textContent)).toEqual([
    expect.stringContaining('/home/ana/Pictures/Camera'),
    expect.stringContaining('/media/ana/Trips'),
  ]);
  await fireEvent.click(getAllByTestId('remove-folder')[1]);
  expect(onremove).not.toHaveBeenCalled();
  await fireEvent.click(getByTestId('confirm-remove'));
  expect(onremove).toHaveBeenCalledWith(1);
  // A desktop has no photo library, and a device that does not report charging no option.
  expect(queryByTestId('photo-library')).toBeNull();
  expect(queryByTestId('only-while-charging')).toBeNull();
});

test('the number of results is saved when changed, and Escape closes', async () => {
  const { getByTestId, onsave, onclose } = shown();
  const input = getByTestId('results-setting') as HTMLInputElement;
  expect(input.value).toBe('60');
  await fireEvent.input(input, { target: { value: '24' } });
  await fireEvent.change(input);
  expect(onsave).toHaveBeenCalledWith({ results: 24, onlyWhileCharging: false });
  await fireEvent.input(input, { target: { value: '' } });
  await fireEvent.change(input);
  expect(onsave).toHaveBeenCalledTimes(1);
  await fireEvent.keyDown(window, { key: 'Escape' });
  expect(onclose).toHaveBeenCalled();
});

test('on a phone: the photo library with its access, chosen albums, more photos, and charging', async () => {
  const library: Source = { index: 0, kind: 'library', name: 'Photo library', detail: 'All photos motis may see', albums: null };
  const albums = [
    { id: 'a1', name: 'Camera', count: 80 },
    { id: 'a2', name: 'Beach 2026', count: null },
  ];
  const { getByTestId, queryByTestId, onaddlibrary, onwiden, onloadalbums, onsave, queryAllByTestId } = shown({
    sources: [library],
    photoSources: 'library',
    access: 'limited',
    albums,
    charging: false,
  });
  expect(getByTestId('access').textContent).toContain('only the photos you chose');
  expect(queryAllByTestId('folder')).toHaveLength(0);
  expect(queryByTestId('index-all')).toBeNull();
  await fireEvent.click(getByTestId('widen'));
  expect(onwiden).toHaveBeenCalled();

  await fireEvent.click(getByTestId('choose-albums'));
  expect(onloadalbums).toHaveBeenCalled();
  const boxes = getByTestId('albums').querySelectorAll('input');
  expect(getByTestId('albums').textContent).toContain('Camera · 80');
  expect((getByTestId('index-albums') as HTMLButtonElement).disabled).toBe(true);
  await fireEvent.click(boxes[1]);
  await fireEvent.click(getByTestId('index-albums'));
  expect(onaddlibrary).toHaveBeenCalledWith(['a2']);

  await fireEvent.click(getByTestId('only-while-charging'));
  expect(onsave).toHaveBeenCalledWith({ results: 60, onlyWhileCharging: true });
});
