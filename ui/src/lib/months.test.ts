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

test('months by arithmetic agree with the calendar over centuries, leap days included', () => {
  const days = [];
  for (let t = Date.UTC(1600, 0, 1); t < Date.UTC(2400, 0, 1); t += 86_400_000 * 29) days.push(t / 1000);
  for (const t of [Date.UTC(2000, 1, 29), Date.UTC(1900, 1, 28), Date.UTC(2024, 11, 31, 23, 59), -1]) days.push(t / 1000);
  const sections = monthSections(days);
  for (const section of sections) {
    const date = new Date(days[section.start] * 1000);
    expect(section.label).toBe(
      new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)).toLocaleDateString(undefined, {
        month: 'long',
        year: 'numeric',
        timeZone: 'UTC',
      }),
    );
  }
  // Every day of a section is in its month, and the next section's first is not.
  for (let i = 0; i + 1 < sections.length; i++) {
    const last = new Date(days[sections[i].end - 1] * 1000);
    const next = new Date(days[sections[i + 1].start] * 1000);
    expect(last.getUTCFullYear() * 12 + last.getUTCMonth()).not.toBe(next.getUTCFullYear() * 12 + next.getUTCMonth());
  }
});
