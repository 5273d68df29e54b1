import { cleanup, fireEvent, render, waitFor } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import { MockBackend } from '../lib/mock-backend';
import Viewer from './Viewer.svelte';

afterEach(() => cleanup());

test('shows the photo at full resolution with its details, and its buttons act on its id', async () => {
  const backend = new MockBackend(20, 0);
  backend.openPhoto = vi.fn(async () => {});
  backend.showInFolder = vi.fn(async () => {});
  const onsimilar = vi.fn();
  const onstep = vi.fn();
  const { getByTestId, getByText, getByLabelText } = render(Viewer, {
    backend,
    id: 9,
    score: 0.4567,
    onclose: () => {},
    onstep,
    onsimilar,
  });
  const viewer = getByTestId('viewer');
  expect(viewer.querySelector('img')!.getAttribute('src')).toBe(backend.photoUrl('full', 9));
  await waitFor(() => expect(viewer.textContent).toContain('green-square-9.jpg'));
  expect(viewer.textContent).toContain('400 × 300');
  expect(viewer.textContent).toContain('score 0.457');
  await fireEvent.click(getByText('Similar photos'));
  expect(onsimilar).toHaveBeenCalledWith(9);
  await fireEvent.click(getByText('Open'));
  expect(backend.openPhoto).toHaveBeenCalledWith(9);
  await fireEvent.click(getByText('Show in folder'));
  expect(backend.showInFolder).toHaveBeenCalledWith(9);
  await fireEvent.click(getByLabelText('Next'));
  expect(onstep).toHaveBeenCalledWith(1);
});
