// The months a run of photos falls into, for the grid's headings.

export interface Section {
  /** `July 2024`, in the page's language. */
  label: string;
  /** Where the month's photos start and end in the list. */
  start: number;
  end: number;
}

const MONTH = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The months of photos taken at `taken` (see `TakenAt`), in list order: a new section
 * wherever the month changes, so that newest-first and oldest-first lists both work. */
export function monthSections(taken: number[]): Section[] {
  const sections: Section[] = [];
  let key = -1;
  taken.forEach((seconds, index) => {
    const date = new Date(seconds * 1000);
    const month = date.getUTCFullYear() * 12 + date.getUTCMonth();
    if (month !== key) {
      if (sections.length > 0) sections[sections.length - 1].end = index;
      sections.push({ label: MONTH.format(date), start: index, end: taken.length });
      key = month;
    }
  });
  return sections;
}
