/*
 * The dates a write-back stamps into Claudio's books, in UTC and in the style the file already uses
 * (`2025-06-26 14:30:00 UTC`, `2025-06-26`, `June 22, 2025`), so a rewritten line reads like its neighbours.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2025-06-26` (UTC). */
export function isoDate(now: Date): string {
  return `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`;
}

/** `now` written the way `previous` was written; `2025-06-26 14:30:00 UTC` when that way is not recognised. */
export function stampLike(previous: string, now: Date): string {
  const time = `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
  const p = previous.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(p)) return isoDate(now);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(p)) return `${isoDate(now)}T${time}Z`;
  if (/^[A-Z][a-z]+ \d{1,2}, \d{4}$/.test(p) && MONTHS.includes(p.split(' ')[0] as string)) {
    return `${MONTHS[now.getUTCMonth()]} ${now.getUTCDate()}, ${now.getUTCFullYear()}`;
  }
  return `${isoDate(now)} ${time} UTC`;
}
