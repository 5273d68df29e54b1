// The months a run of photos falls into, for the grid's headings.

export interface Section {
  /** `July 2024`, in the page's language. */
  label: string;
  /** Where the month's photos start and end in the list. */
  start: number;
  end: number;
}

const MONTH = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const labels = new Map<number, string>();

/** Year × 12 + month (0–11) of a `TakenAt`, by arithmetic on the days since 1970 (the
 * civil calendar, as in Howard Hinnant's `civil_from_days`): a 100,000-photo gallery is
 * grouped again as each page of it arrives, and a Date per photo would dominate that. */
function monthOf(seconds: number): number {
  const z = Math.floor(seconds / 86_400) + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const month = shifted < 10 ? shifted + 2 : shifted - 10;
  const year = yearOfEra + era * 400 + (month <= 1 ? 1 : 0);
  return year * 12 + month;
}

function label(month: number): string {
  let text = labels.get(month);
  if (text === undefined) {
    text = MONTH.format(Date.UTC(Math.floor(month / 12), month % 12, 1));
    labels.set(month, text);
  }
  return text;
}

/** The months of photos taken at `taken` (see `TakenAt`), in list order: a new section
 * wherever the month changes, so that newest-first and oldest-first lists both work. */
export function monthSections(taken: number[]): Section[] {
  const sections: Section[] = [];
  let key = NaN;
  for (let index = 0; index < taken.length; index++) {
    const month = monthOf(taken[index]);
    if (month !== key) {
      if (sections.length > 0) sections[sections.length - 1].end = index;
      sections.push({ label: label(month), start: index, end: taken.length });
      key = month;
    }
  }
  return sections;
}
