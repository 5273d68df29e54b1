// Sizes and durations as the page writes them.

/** Bytes in megabytes, as download sizes are given: `605 MB`, `0.4 MB`. */
export function megabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb >= 10 ? Math.round(mb).toLocaleString() : mb.toFixed(1)} MB`;
}

/** A time still to go, roughly: `40 s`, `3 min`, `2 h 10 min`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** `part` of `whole` in whole percent, never 100 before it is all there. */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return part >= whole ? 100 : Math.min(99, Math.floor((100 * part) / whole));
}
