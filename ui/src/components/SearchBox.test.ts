import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import SearchBox from './SearchBox.svelte';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

test('typing searches after a pause, Enter at once, Escape clears back to the gallery', async () => {
  vi.useFakeTimers();
  const onsearch = vi.fn();
  const { getByTestId } = render(SearchBox, { onsearch, delay: 200 });
  const input = getByTestId('search-input') as HTMLInputElement;

  await fireEvent.input(input, { target: { value: 'red st' } });
  await fireEvent.input(input, { target: { value: 'red star' } });
  expect(onsearch).not.toHaveBeenCalled();
  vi.advanceTimersByTime(200);
  expect(onsearch).toHaveBeenCalledTimes(1);
  expect(onsearch).toHaveBeenLastCalledWith('red star');

  await fireEvent.input(input, { target: { value: 'reset' } });
  await fireEvent.keyDown(input, { key: 'Enter' });
  expect(onsearch).toHaveBeenLastCalledWith('reset');
  vi.advanceTimersByTime(500);
  expect(onsearch).toHaveBeenCalledTimes(2);

  await fireEvent.keyDown(input, { key: 'Escape' });
  expect(onsearch).toHaveBeenLastCalledWith('');
  expect(input.value).toBe('');
});

test('the clear button empties the box, returns to the gallery and keeps the keyboard up', async () => {
  const onsearch = vi.fn();
  const { getByTestId, queryByTestId } = render(SearchBox, { onsearch });
  const input = getByTestId('search-input') as HTMLInputElement;
  expect(queryByTestId('search-clear')).toBeNull();
  await fireEvent.input(input, { target: { value: 'a dog' } });
  await fireEvent.click(getByTestId('search-clear'));
  expect(onsearch).toHaveBeenLastCalledWith('');
  expect(input.value).toBe('');
  expect(document.activeElement).toBe(input);
  expect(queryByTestId('search-clear')).toBeNull();
});
