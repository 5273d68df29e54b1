import { expect, test } from 'vitest';
import { monthSections } from './months';

const at = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000;

test('a section starts wherever the month changes, newest first or oldest first', () => {
  const newestFirst = [at(2024, 7, 31), at(2024, 7, 1), at(2024, 6, 30), at(2023, 6, 30)];
  expect(monthSections(newestFirst).map(({ start, end }) => [start, end])).toEqual([
    [0, 2],
    [2, 3],
    [3, 4],
  ]);
  expect(monthSections([...newestFirst].reverse()).map(({ start, end }) => [start, end])).toEqual([
    [0, 1],
    [1, 2],
    [2, 4],
  ]);
  expect(monthSections([])).toEqual([]);
});

test('the month is the one on the clock where the photo was taken', () => {
  // 23:30 on 31 July where it was taken is July (the page's own time zone plays no part).
  const [july] = monthSections([at(2024, 7, 31) + 23.5 * 3600]);
  expect(july.label).toBe(
    new Date(Date.UTC(2024, 6, 15)).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }),
  );
});
