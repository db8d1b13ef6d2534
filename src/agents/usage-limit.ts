/*
 * An agent's subscription or account limit ("You've hit your limit · resets 3pm"): not the task's
 * failure, and not a rate limit that a backoff of seconds gets past. Its reset is hours or days
 * away, often said in the message. Overnight, every task after the first would fail the same way,
 * so the run waits for the reset (or stops, resumable) instead; see engine/usage-limits.ts.
 *
 * The messages are recognised by the shapes the CLIs print them in, not by bare words: an agent
 * working on a task about usage limits says "usage limit" in its own output.
 */

export interface UsageLimit {
  /** The line that said so. */
  message: string;
  /** When the limit resets (epoch ms), where the message says. */
  resetsAt?: number;
}

// Gemini CLI: "You have exhausted your daily quota on this model.", "You have reached your daily
// gemini-2.5-pro quota limit.", its `TerminalQuotaError`. Google's daily quotas reset at midnight
// Pacific time.
const DAILY_QUOTA: readonly RegExp[] = [
  /\byou have (?:reached|exhausted) your daily (?:[\w.-]+ )?quota\b/i,
  /\bTerminalQuotaError\b/,
];
const DAILY_QUOTA_ZONE = 'America/Los_Angeles';

const LIMIT_LINE: readonly RegExp[] = [
  // Claude Code: "Claude AI usage limit reached|1760000000", "Usage limit reached"; Codex's error
  // type `usage_limit_reached`.
  /\b(?:claude(?: ai)? )?usage[_ ]limits?[_ ](?:reached|exceeded)\b/i,
  // Claude Code: "You've hit your limit · resets 3:30am (Europe/Moscow)", "... your session limit ...";
  // Codex: "You've hit your usage limit. ... try again in 2 days 17 hours 14 minutes."
  /\b(?:you(?:'|’)ve|you have) hit your (?:[\w-]+ ){0,3}limit\b/i,
  // Claude Code: "5-hour limit reached ∙ resets 2am", "Opus weekly limit reached ∙ resets Oct 6, 1pm".
  /\b(?:\d+-hour|session|weekly|daily|monthly|opus|sonnet)(?: [\w-]+)? limit reached\b/i,
  ...DAILY_QUOTA,
];

/**
 * What may stand before a limit's words on the line for them to be the message itself: nothing but
 * symbols, digits and bracketed stamps ("■ ", "[2026-11-22T10:00:00] "), a label or punctuation that
 * opens a message ("Error: ", "[API Error: ", "ERROR "), or a JSON string's opening as a value
 * (`"type":"usage_limit_reached"`). Quoted in running text (a failing test's name, an assertion's
 * expected value) or inside a sentence, the words are someone talking about limits.
 */
const MESSAGE_START: readonly RegExp[] = [
  /^(?:\[[^\]]*\]|[^\p{L}'"`‘’“”])*$/u,
  /[:|•·∙■>=([\]–—-]\s*$/u,
  /\b(?:error|warning|warn)\s*$/i,
  /\\?"\s*:\s*\\?"$/,
];

/**
 * Whether one of the pattern's matches on the line is the message, not a mention of it (also read
 * for an agent's authentication failure: agents/auth-failure.ts).
 */
export function saidAsMessage(re: RegExp, line: string): boolean {
  for (const m of line.matchAll(new RegExp(re.source, `${re.flags}g`))) {
    const before = line.slice(0, m.index);
    if (MESSAGE_START.some((start) => start.test(before))) return true;
  }
  return false;
}

/** The lines of an agent's failure worth reading: its error is at the end. */
const TAIL_LINES = 8;

/**
 * The last of the last lines of an agent's failure that says one of `patterns` as the message
 * itself (`saidAsMessage`), and the lines after it.
 */
export function lastLineSaying(
  text: string,
  patterns: readonly RegExp[],
): { line: string; after: string[] } | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-TAIL_LINES);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (patterns.some((re) => saidAsMessage(re, line))) return { line, after: lines.slice(i + 1) };
  }
  return undefined;
}

/** A message line as the books keep it: 300 characters at most. */
export function clippedMessage(line: string): string {
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The usage limit an agent's failure reports, if it is one. `now` reads relative times. */
export function usageLimitIn(text: string, now: number = Date.now()): UsageLimit | undefined {
  const found = lastLineSaying(text, LIMIT_LINE);
  if (!found) return undefined;
  const { line, after } = found;
  const resetsAt =
    resetIn(line, now) ??
    resetIn(after.join('\n'), now) ??
    (DAILY_QUOTA.some((re) => re.test(line)) ? nextWallTime(now, { hour: 0, minute: 0 }, DAILY_QUOTA_ZONE) : undefined);
  return { message: clippedMessage(line), ...(resetsAt ? { resetsAt } : {}) };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** When the limit resets, read from the ways the CLIs say it; undefined when none fits. */
function resetIn(text: string, now: number): number | undefined {
  const epoch = /usage limit reached\|(\d{9,13})\b/i.exec(text) ?? /"resets_at"\s*:\s*(\d{9,13})\b/.exec(text);
  if (epoch) return epochMs(Number(epoch[1]));
  const inSeconds = /"resets_in_seconds"\s*:\s*(\d+)/.exec(text);
  if (inSeconds) return now + Number(inSeconds[1]) * 1000;
  const tryIn = /\btry again in ((?:\d+\s*[a-z]+[\s,]*(?:and\s+)?)+)/i.exec(text);
  if (tryIn) {
    const ms = durationWords(tryIn[1] as string);
    if (ms !== undefined) return now + ms;
  }
  const tryAt = /\btry again at (.+?)\.?\s*$/im.exec(text);
  if (tryAt) {
    const when = tryAt[1] as string;
    const t = Date.parse(when.replace(/(\d+)(?:st|nd|rd|th)\b/g, '$1'));
    if (Number.isFinite(t)) return t;
    // Codex leaves the date out when the reset is today, in this machine's time: "try again at 8:05 PM".
    const clock = /^(\d{1,2}):(\d{2})\s*([ap])\.?m\.?$/i.exec(when);
    const hour = Number(clock?.[1]);
    if (clock && hour >= 1 && hour <= 12) {
      return nextWallTime(now, {
        hour: (hour % 12) + (/p/i.test(clock[3] as string) ? 12 : 0),
        minute: Number(clock[2]),
      });
    }
  }
  // "resets 3:50pm (Asia/Tokyo)", "resets Oct 6, 1pm", "will reset at 2pm (America/New_York)".
  const resets =
    /\breset(?:s|ting)?(?: at| on)?\s+(?:([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,?(?: at)? )?(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?:\s*\(([\w+\-/]+)\))?/i.exec(
      text,
    );
  if (resets) {
    const [, monthName, day, hour, minute, ampm, zone] = resets;
    let h = Number(hour);
    if (ampm) {
      if (h < 1 || h > 12) return undefined;
      h = (h % 12) + (/^p/i.test(ampm) ? 12 : 0);
    } else if (minute === undefined || h > 23) {
      // A bare number ("resets 3") is not a time.
      return undefined;
    }
    const month = monthName ? MONTHS.indexOf(monthName.slice(0, 3).toLowerCase()) : undefined;
    if (month === -1) return undefined;
    return nextWallTime(now, { month, day: day ? Number(day) : undefined, hour: h, minute: Number(minute ?? 0) }, zone);
  }
  return undefined;
}

/** Seconds or milliseconds since the epoch. */
function epochMs(n: number): number {
  return n < 1e12 ? n * 1000 : n;
}

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** "2 days 17 hours 14 minutes", "45 seconds", "1h 5m" → ms. */
function durationWords(s: string): number | undefined {
  let total = 0;
  let any = false;
  for (const m of s.matchAll(/(\d+)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b/gi)) {
    const unit = (m[2] as string).toLowerCase();
    total += Number(m[1]) * (UNIT_MS[unit === 'mins' || unit.startsWith('min') ? 'm' : unit.charAt(0)] ?? 0);
    any = true;
  }
  return any ? total : undefined;
}

interface WallTime {
  /** 0-11; absent: the next time the clock shows hour:minute. */
  month?: number;
  day?: number;
  hour: number;
  minute: number;
}

/**
 * The first instant after `now` (or, with a date, that day: this year's, unless it is more than a
 * day past) at which the clock in `zone` (an IANA name; the machine's own when absent or unknown)
 * shows the wall time.
 */
export function nextWallTime(now: number, wall: WallTime, zone?: string): number {
  const tz = knownZone(zone);
  const today = partsIn(now, tz);
  if (wall.month !== undefined && wall.day !== undefined) {
    const at = instantOf(today.year, wall.month, wall.day, wall.hour, wall.minute, tz);
    return at < now - 86_400_000 ? instantOf(today.year + 1, wall.month, wall.day, wall.hour, wall.minute, tz) : at;
  }
  const at = instantOf(today.year, today.month, today.day, wall.hour, wall.minute, tz);
  return at > now ? at : instantOf(today.year, today.month, today.day + 1, wall.hour, wall.minute, tz);
}

function knownZone(zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function partsIn(instant: number, zone: string | undefined): Parts {
  const f = new Intl.DateTimeFormat('en-US', {
    ...(zone ? { timeZone: zone } : {}),
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const get = (type: string) => Number(f.formatToParts(new Date(instant)).find((p) => p.type === type)?.value ?? 0);
  return {
    year: get('year'),
    month: get('month') - 1,
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** How far the zone's clock is ahead of UTC at `instant`, in ms. */
function offsetAt(instant: number, zone: string | undefined): number {
  const p = partsIn(instant, zone);
  return Date.UTC(p.year, p.month, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant the zone's clock shows this wall time (days past the month's end roll over). */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, zone?: string): number {
  const asUtc = Date.UTC(year, month, day, hour, minute);
  const guess = asUtc - offsetAt(asUtc, zone);
  // Once more at the guess: a daylight-saving change between the two moves the offset.
  return asUtc - offsetAt(guess, zone);
}

/** A reset time as a person reads it on this machine: `15:50` today, `Nov 25 15:50` another day. */
export function formatClock(at: number, now: number = Date.now()): string {
  const d = new Date(at);
  const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (d.toDateString() === new Date(now).toDateString()) return time;
  const month = MONTHS[d.getMonth()] as string;
  const year = d.getFullYear() !== new Date(now).getFullYear() ? ` ${d.getFullYear()}` : '';
  return `${month.charAt(0).toUpperCase()}${month.slice(1)} ${d.getDate()}${year} ${time}`;
}
