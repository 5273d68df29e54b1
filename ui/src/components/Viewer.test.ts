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
  // Taken on 9 January 2020 at midnight where it was taken, one hour east of UTC.
  expect(getByTestId('taken').textContent).toMatch(/2020.*\(UTC\+1\)/);
  await fireEvent.click(getByText('More like this'));
  expect(onsimilar).toHaveBeenCalledWith(9);
  await fireEvent.click(getByText('Open'));
  expect(backend.openPhoto).toHaveBeenCalledWith(9);
  await fireEvent.click(getByText('Show in folder'));
  expect(backend.showInFolder).toHaveBeenCalledWith(9);
  await fireEvent.click(getByLabelText('Next'));
  expect(onstep).toHaveBeenCalledWith(1);
});

test('on a phone a library photo offers the share sheet, not the file manager, and swipes step or close', async () => {
  const backend = new MockBackend(20, 0);
  backend.phone = 'android';
  const onstep = vi.fn();
  const onclose = vi.fn();
  const { getByTestId, queryByText } = render(Viewer, {
    backend,
    id: 4,
    onPhone: true,
    onclose,
    onstep,
    onsimilar: () => {},
  });
  await waitFor(() => expect(getByTestId('share')).toBeTruthy());
  expect(queryByText('Show in folder')).toBeNull();
  expect(queryByText('Open')).toBeNull();
  await fireEvent.click(getByTestId('share'));
  expect(backend.shared).toEqual([4]);

  const viewer = getByTestId('viewer');
  const swipe = async (from: [number, number], to: [number, number]) => {
    await fireEvent.touchStart(viewer, { touches: [{ clientX: from[0], clientY: from[1] }] });
    await fireEvent.touchMove(viewer, { touches: [{ clientX: to[0], clientY: to[1] }] });
    await fireEvent.touchEnd(viewer, { touches: [] });
  };
  await swipe([300, 400], [100, 410]);
  expect(onstep).toHaveBeenLastCalledWith(1);
  await swipe([100, 400], [300, 390]);
  expect(onstep).toHaveBeenLastCalledWith(-1);
  await swipe([200, 300], [210, 320]);
  expect(onstep).toHaveBeenCalledTimes(2);
  expect(onclose).not.toHaveBeenCalled();
  await swipe([200, 300], [205, 500]);
  expect(onclose).toHaveBeenCalled();
});
