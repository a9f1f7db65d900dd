/**
 * Calendar days in the business time zone (BUSINESS_TIME_ZONE, e.g. Asia/Seoul), for the
 * list's `date` filter and the date in order numbers. Built on Intl's time-zone data, so
 * DST and historical offset changes are handled by the platform, not by fixed offsets.
 */

/** The instants a DATETIME(3) column holds (MySQL's range): days outside it match nothing. */
const earliestInstant = Date.UTC(1000, 0, 1);
const latestInstant = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The zone's offset can never exceed ±15 hours: a window that surely holds a day's start. */
const searchWindowMs = 15 * 3600_000;

/** Resolved day ranges are kept (they never change); the bound keeps memory flat. */
const maxCachedDays = 1024;

export interface DayRange {
  /** The first instant of the day. */
  start: Date;
  /** The first instant of the next day (exclusive end). */
  end: Date;
}

export class BusinessCalendar {
  private readonly format: Intl.DateTimeFormat;
  private readonly ranges = new Map<string, DayRange>();
  /** The day of the last dateStamp asked for: its instants [start, end) and its stamp. */
  private currentDay?: { start: number; end: number; stamp: string };

  constructor(readonly timeZone: string) {
    // Throws a RangeError for a zone Intl does not know.
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  /** The business day of an instant as `YYYYMMDD`. */
  dateStamp(instant: Date): string {
    const at = instant.getTime();
    const current = this.currentDay;
    if (current !== undefined && at >= current.start && at < current.end) return current.stamp;
    const stamp = String(this.dayNumber(at));
    // Every order created today asks for today's stamp: keep the day's range, so Intl is
    // consulted once a day rather than once an order.
    const range = this.dayRange(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}`);
    this.currentDay = { start: range.start.getTime(), end: range.end.getTime(), stamp };
    return stamp;
  }

  /**
   * The instants of a calendar day `YYYY-MM-DD` as a half-open range [start, end): on
   * Asia/Seoul, 2026-01-31 is [2026-01-30T15:00Z, 2026-01-31T15:00Z). A day that starts in
   * a DST gap starts when the gap ends.
   */
  dayRange(date: string): DayRange {
    const cached = this.ranges.get(date);
    if (cached) return cached;
    const [year, month, day] = date.split('-').map(Number);
    let range: DayRange;
    if (year < 1000) {
      range = { start: new Date(earliestInstant), end: new Date(earliestInstant) };
    } else {
      const wallMidnight = Date.UTC(year, month - 1, day);
      const target = year * 10000 + month * 100 + day;
      const start = this.firstInstantOnOrAfter(target, wallMidnight);
      const next = new Date(wallMidnight + 86400_000);
      const nextTarget = next.getUTCFullYear() * 10000 + (next.getUTCMonth() + 1) * 100 + next.getUTCDate();
      const end = this.firstInstantOnOrAfter(nextTarget, next.getTime());
      range = { start: new Date(start), end: new Date(end) };
    }
    if (this.ranges.size >= maxCachedDays) this.ranges.clear();
    this.ranges.set(date, range);
    return range;
  }

  /** Binary search for the first millisecond whose local day is `target` or later. */
  private firstInstantOnOrAfter(target: number, wallMidnight: number): number {
    let before = wallMidnight - searchWindowMs; // local day surely earlier than target
    let atOrAfter = wallMidnight + searchWindowMs; // local day surely target or later
    if (before >= latestInstant) return latestInstant;
    atOrAfter = Math.min(atOrAfter, latestInstant);
    while (atOrAfter - before > 1) {
      const middle = Math.floor((before + atOrAfter) / 2);
      if (this.dayNumber(middle) >= target) atOrAfter = middle;
      else before = middle;
    }
    return Math.max(atOrAfter, earliestInstant);
  }

  /** The local day of an instant as the number YYYYMMDD. */
  private dayNumber(instant: number): number {
    let year = 0;
    let month = 0;
    let day = 0;
    for (const part of this.format.formatToParts(instant)) {
      if (part.type === 'year') year = Number(part.value);
      else if (part.type === 'month') month = Number(part.value);
      else if (part.type === 'day') day = Number(part.value);
    }
    return year * 10000 + month * 100 + day;
  }
}
