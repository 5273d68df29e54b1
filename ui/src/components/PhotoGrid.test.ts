import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import PhotoGrid from './PhotoGrid.svelte';

afterEach(() => cleanup());

test('100,000 photos put only the rows in view into the page, and a click opens one', async () => {
  const ids = Array.from({ length: 100_000 }, (_, i) => i + 1);
  const onopen = vi.fn();
  const { getAllByTestId } = render(PhotoGrid, {
    ids,
    url: (id: number) => `photo://localhost/preview-${id}`,
    onopen,
    testid: 'gallery-item',
  });
  const cells = getAllByTestId('gallery-item');
  expect(cells.length).toBeGreaterThan(0);
  expect(cells.length).toBeLessThan(200);
  expect(cells[0].getAttribute('data-photo-id')).toBe('1');
  expect(cells[0].querySelector('img')!.getAttribute('src')).toBe('photo://localhost/preview-1');
  await fireEvent.click(cells[2]);
  expect(onopen).toHaveBeenCalledWith(2);
});

test('results carry their score for the hover title', () => {
  const { getAllByTestId } = render(PhotoGrid, {
    ids: [7, 3],
    scores: [0.812, 0.5],
    url: (id: number) => `x-${id}`,
    onopen: () => {},
    testid: 'result',
  });
  const cells = getAllByTestId('result');
  expect(cells.map((c) => c.getAttribute('data-photo-id'))).toEqual(['7', '3']);
  expect(cells[0].getAttribute('title')).toBe('score 0.812');
});

test('a cell shows its stand-in under the picture until the picture loads, and only where there is one', async () => {
  const { getAllByTestId } = render(PhotoGrid, {
    ids: [1, 2, 3],
    url: (id: number) => `preview-${id}`,
    standIn: (id: number) => (id === 3 ? null : `thumbnail-${id}`),
    onopen: () => {},
    testid: 'gallery-item',
  });
  const cells = getAllByTestId('gallery-item');
  const images = (cell: HTMLElement) => [...cell.querySelectorAll('img')].map((i) => i.getAttribute('src'));
  expect(images(cells[0])).toEqual(['thumbnail-1', 'preview-1']);
  expect(images(cells[2])).toEqual(['preview-3']);

  await fireEvent.load(cells[0].querySelector('img.picture')!);
  expect(images(cells[0])).toEqual(['preview-1']);
  expect(images(cells[1])).toEqual(['thumbnail-2', 'preview-2']);

  // A photo without an embedded thumbnail: its stand-in is hidden, not shown broken.
  const standIn = cells[1].querySelector('img.stand-in')!;
  await fireEvent.error(standIn);
  expect(standIn.classList.contains('unavailable')).toBe(true);
  expect(cells[1].classList.contains('missing')).toBe(false);
});
