// The filters of a query as the search box holds them (`after:2024-06 before:2024-09
// in:"Summer 2024"`): read for the filter controls, and written back by them, so that the
// box stays the one place a search is described and the syntax is learnt by seeing it.
// The engine parses queries (README: "Search syntax"); this only finds the filter words.

export interface QueryFilters {
  /** `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as typed; null when absent. */
  after: string | null;
  before: string | null;
  /** The folder of the first `in:`, unquoted. */
  folder: string | null;
}

type FilterKey = keyof QueryFilters;
const PREFIX: Record<FilterKey, string> = { after: 'after:', before: 'before:', folder: 'in:' };

/** The words of `text`; a quoted part belongs to its word, quotes and all. */
function words(text: string): string[] {
  return text.match(/(?:[^\s"]|"[^"]*"?)+/g) ?? [];
}

function value(word: string, key: FilterKey): string | null {
  const prefix = PREFIX[key];
  if (word.slice(0, prefix.length).toLowerCase() !== prefix) return null;
  return word.slice(prefix.length).replace(/^"(.*)"$/, '$1');
}

export function readFilters(text: string): QueryFilters {
  const found: QueryFilters = { after: null, before: null, folder: null };
  for (const word of words(text)) {
    for (const key of Object.keys(PREFIX) as FilterKey[]) {
      found[key] ??= value(word, key);
    }
  }
  return found;
}

/** `text` with its `key` filter set to `to` (quoted when it has spaces), or removed for
 * null or ''; the other words as they were. */
export function withFilter(text: string, key: FilterKey, to: string | null): string {
  const kept = words(text).filter((word) => value(word, key) === null);
  if (to) kept.push(/\s/.test(to) ? `${PREFIX[key]}"${to}"` : `${PREFIX[key]}${to}`);
  return kept.join(' ');
}
