import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import IndexProgress from './IndexProgress.svelte';

afterEach(() => cleanup());

test('shows the phase, counts and failures with their causes, and pauses', async () => {
  const oncancel = vi.fn();
  const { getByTestId, queryByTestId, getByText } = render(IndexProgress, {
    progress: { phase: 'encoding', done: 3200, total: 10000, failed: 2, rate: 40, startedAt: 0 },
    failures: [
      { path: '/photos/broken.jpg', cause: 'the file is truncated' },
      { path: '/photos/empty.jpg', cause: 'cannot decode' },
    ],
    oncancel,
  });
  expect(getByTestId('index-progress').textContent).toContain('Encoding');
  expect(getByTestId('index-count').textContent).toBe(`${(3200).toLocaleString()} / ${(10000).toLocaleString()}`);
  expect(queryByTestId('failures')).toBeNull();
  await fireEvent.click(getByTestId('failures-toggle'));
  expect(getByTestId('failures').textContent).toContain('/photos/broken.jpg: the file is truncated');
  await fireEvent.click(getByText('Pause'));
  expect(oncancel).toHaveBeenCalled();
});

test('nothing shows when there is no run and no failure', () => {
  const { queryByTestId } = render(IndexProgress, { progress: null, failures: [], oncancel: () => {} });
  expect(queryByTestId('index-progress')).toBeNull();
});
