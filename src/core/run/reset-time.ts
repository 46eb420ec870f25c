/**
 * When a usage window opens again, read from the words an agent CLI prints
 * after its limit message:
 * - claude: "3pm (America/New_York)", "3:30pm (UTC)", "Dec 9, 5pm (UTC)",
 *   "Dec 9, 2027, 5pm (UTC)" (its en-US time format plus the IANA zone it
 *   runs in);
 * - codex: "at 3:51 PM.", "at Sep 29th, 2026 12:55 AM.", "in 4 days 3 hours"
 *   (in the local time of the codex process; a container's clock is UTC).
 *
 * A time without a zone is taken as UTC. Anything that does not parse is
 * undefined, and the caller falls back to its backoff; the result is only a
 * proposal from untrusted output, which the caller bounds.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const CLOCK =
  /^(?:at\s+)?(?:([A-Za-z]{3})\s+(\d{1,2})(?:st|nd|rd|th)?,\s*(?:(\d{4}),?\s+)?)?(\d{1,2})(?::(\d{2}))?\s*([AaPp][Mm])\b(?:\s*\(([A-Za-z0-9_/+:-]{1,64})\))?/;

const DURATION = /^in\s+~?\s*((?:\d{1,4}\s*(?:days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b[\s,]*(?:and\s+)?)+)/i;

const UNIT_MS: ReadonlyArray<[RegExp, number]> = [
  [/^d/i, 86_400_000],
  [/^h/i, 3_600_000],
  [/^m/i, 60_000],
  [/^s/i, 1000],
];

/** The zone's offset from UTC at `at`, in ms, or undefined for a zone Intl does not know. */
function zoneOffsetMs(at: number, zone: string): number | undefined {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(at));
  } catch {
    return undefined;
  }
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Number.isFinite(wall) ? wall - Math.floor(at / 1000) * 1000 : undefined;
}

/** The instant a wall-clock time in `zone` names (two passes settle a DST edge). */
function wallToInstant(year: number, month: number, day: number, hour: number, minute: number, zone: string): number | undefined {
  const guess = Date.UTC(year, month, day, hour, minute);
  const first = zoneOffsetMs(guess, zone);
  if (first === undefined) return undefined;
  const second = zoneOffsetMs(guess - first, zone);
  return second === undefined ? undefined : guess - second;
}

/** Today's date in `zone`. */
function today(now: Date, zone: string): { year: number; month: number; day: number } | undefined {
  const offset = zoneOffsetMs(now.getTime(), zone);
  if (offset === undefined) return undefined;
  const wall = new Date(now.getTime() + offset);
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth(), day: wall.getUTCDate() };
}

function duration(text: string, now: Date): Date | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  let ms = 0;
  for (const [, count, unit] of (match[1] as string).matchAll(/(\d{1,4})\s*([a-z]+)/gi)) {
    const per = UNIT_MS.find(([pattern]) => pattern.test(unit as string))?.[1];
    if (per === undefined) return undefined;
    ms += Number(count) * per;
  }
  return ms > 0 ? new Date(now.getTime() + ms) : undefined;
}

function clock(text: string, now: Date): Date | undefined {
  const match = CLOCK.exec(text);
  if (match === null) return undefined;
  const [, monthName, dayText, yearText, hourText, minuteText, ampm, zoneText] = match;
  const hour12 = Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  if (hour12 < 1 || hour12 > 12 || minute > 59) return undefined;
  const hour = (hour12 % 12) + ((ampm as string).toLowerCase() === 'pm' ? 12 : 0);
  const zone = zoneText ?? 'UTC';
  const base = today(now, zone);
  if (base === undefined) return undefined;
  if (monthName === undefined) {
    // A time of day is the next one to come.
    const at = wallToInstant(base.year, base.month, base.day, hour, minute, zone);
    if (at === undefined) return undefined;
    return new Date(at > now.getTime() ? at : at + 86_400_000);
  }
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const day = Number(dayText);
  if (month < 0 || day < 1 || day > 31) return undefined;
  // claude leaves the year out when it is this year's.
  const year = yearText === undefined ? base.year : Number(yearText);
  const at = wallToInstant(year, month, day, hour, minute, zone);
  return at === undefined ? undefined : new Date(at);
}

/** When the text (what follows "resets" or "try again") says the window opens, or undefined. */
export function parseResetTime(text: string | undefined, now: Date): Date | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  return duration(trimmed, now) ?? clock(trimmed, now);
}
