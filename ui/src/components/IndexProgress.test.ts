import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import IndexProgress from './IndexProgress.svelte';

afterEach(() => cleanup());

test('shows the phase, counts and failures with their causes, and pauses', async () => {
  const oncancel = vi.fn();
  const { getByTestId, queryByTestId } = render(IndexProgress, {
    progress: { phase: 'encoding', done: 3200, total: 10000, failed: 2, rate: 40, startedAt: 0 },
    failures: [
      { id: 4, path: '/photos/broken.jpg', cause: 'the file is truncated' },
      { id: null, path: '/photos/locked.jpg', cause: 'Permission denied' },
    ],
    oncancel,
    onresume: () => {},
    onretry: () => {},
  });
  expect(getByTestId('index-progress').textContent).toContain('Encoding');
  expect(getByTestId('index-count').textContent).toBe(`${(3200).toLocaleString()} / ${(10000).toLocaleString()}`);
  // 6,800 left at 40/s.
  expect(getByTestId('index-progress').textContent).toContain('3 min left');
  expect(queryByTestId('failures')).toBeNull();
  await fireEvent.click(getByTestId('failures-toggle'));
  expect(getByTestId('failures').textContent).toContain('/photos/broken.jpg: the file is truncated');
  expect(getByTestId('failures').textContent).toContain('/photos/locked.jpg: Permission denied');
  await fireEvent.click(getByTestId('pause'));
  expect(oncancel).toHaveBeenCalled();
  expect(queryByTestId('resume')).toBeNull();
  expect(queryByTestId('retry-failed'), 'no retry while a run goes on').toBeNull();
});

test('a paused run offers Resume', async () => {
  const onresume = vi.fn();
  const { getByTestId, queryByTestId } = render(IndexProgress, {
    progress: null,
    failures: [],
    paused: true,
    oncancel: () => {},
    onresume,
    onretry: () => {},
  });
  expect(queryByTestId('pause')).toBeNull();
  await fireEvent.click(getByTestId('resume'));
  expect(onresume).toHaveBeenCalled();
});

test('nothing shows when there is no run, no pause and no failure', () => {
  const { queryByTestId } = render(IndexProgress, {
    progress: null,
    failures: [],
    oncancel: () => {},
    onresume: () => {},
    onretry: () => {},
  });
  expect(queryByTestId('index-progress')).toBeNull();
});
