import { expect, test } from 'vitest';
import { readFilters, withFilter } from './query-text';

test('the filters of a query are read wherever they stand, quoted folders unquoted', () => {
  expect(readFilters('beach after:2024-06 - people in:"Summer 2024" BEFORE:2024-09')).toEqual({
    after: '2024-06',
    before: '2024-09',
    folder: 'Summer 2024',
  });
  expect(readFilters('"after:2024" red')).toEqual({ after: null, before: null, folder: null });
});

test('a control sets, replaces or removes its filter and leaves the rest of the query', () => {
  expect(withFilter('beach - people', 'after', '2024-06')).toBe('beach - people after:2024-06');
  expect(withFilter('beach after:2023 "a + b"', 'after', '2024-06')).toBe('beach "a + b" after:2024-06');
  expect(withFilter('beach after:2023 in:x', 'after', null)).toBe('beach in:x');
  expect(withFilter('beach', 'folder', 'Summer 2024')).toBe('beach in:"Summer 2024"');
  expect(withFilter('in:"Summer 2024" beach', 'folder', '')).toBe('beach');
});
