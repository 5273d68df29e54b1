import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import Library from './Library.svelte';

afterEach(() => cleanup());

const folders = [
  { index: 0, name: 'Camera', path: '/home/ana/Pictures/Camera' },
  { index: 1, name: 'Trips', path: '/media/ana/Trips' },
];

function shown() {
  const calls = { onadd: vi.fn(), onremove: vi.fn(), onsave: vi.fn(), onclose: vi.fn() };
  const view = render(Library, { folders, settings: { results: 60 }, ...calls });
  return { ...view, ...calls };
}

test('lists the folders and removes one only after a confirmation', async () => {
  const { getAllByTestId, getByTestId, onremove } = shown();
  const rows = getAllByTestId('folder');
  expect(rows.map((r) => r.textContent)).toEqual([
    expect.stringContaining('/home/ana/Pictures/Camera'),
    expect.stringContaining('/media/ana/Trips'),
  ]);
  await fireEvent.click(getAllByTestId('remove-folder')[1]);
  expect(onremove).not.toHaveBeenCalled();
  await fireEvent.click(getByTestId('confirm-remove'));
  expect(onremove).toHaveBeenCalledWith(1);
});

test('the number of results is saved when changed, and Escape closes', async () => {
  const { getByTestId, onsave, onclose } = shown();
  const input = getByTestId('results-setting') as HTMLInputElement;
  expect(input.value).toBe('60');
  await fireEvent.input(input, { target: { value: '24' } });
  await fireEvent.change(input);
  expect(onsave).toHaveBeenCalledWith({ results: 24 });
  await fireEvent.input(input, { target: { value: '' } });
  await fireEvent.change(input);
  expect(onsave).toHaveBeenCalledTimes(1);
  await fireEvent.keyDown(window, { key: 'Escape' });
  expect(onclose).toHaveBeenCalled();
});
