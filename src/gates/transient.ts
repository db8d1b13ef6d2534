import type { TaskError } from '../events.js';

/*
 * Agent failures that say nothing about the task: the provider's rate limit or overload, a 5xx, a
 * dropped connection, the agent's own crash. They are retried after a backoff and do not count as
 * repairs. Anything else (a timeout, an ordinary non-zero exit) is the task's failure.
 *
 * The output tail is the agent's own talk too, and a task about rate limiting will say "rate limit"
 * in it; the text rules therefore look for the shapes error messages take, not bare words.
 */

export interface FailureHint {
  /** The TaskError reason, where the caller has one. */
  reason?: TaskError['reason'];
  exitCode?: number | null;
  signal?: string | null;
}

const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGILL']);
/** 128 + SIGABRT, SIGBUS, SIGSEGV: how a shell wrapper reports the crash of what it ran. */
const CRASH_EXIT_CODES = new Set([134, 135, 139]);

const STATUS = '(?:429|5(?:0[0234]|29))';

const TRANSIENT_TEXT: readonly RegExp[] = [
  // Error types and codes of provider APIs and Node's network stack: never prose.
  /\brate_limit_(?:error|exceeded)\b|"rate_limit"/i,
  /\bRESOURCE_EXHAUSTED\b/,
  /\boverloaded_error\b/,
  /\bapi_error\b/,
  /\bserver_error\b/,
  /\bECONNRESET\b/,
  /\bETIMEDOUT\b/,
  /\bEAI_AGAIN\b/,
  /\bsocket hang up\b/i,
  // "API Error: 529", "HTTP 503", "status code 502", "Error: 429".
  new RegExp(`\\b(?:api error|https?(?:/[\\d.]+)?|status(?: ?code)?|error|code)\\W{0,3}${STATUS}\\b`, 'i'),
  // "429 Too Many Requests", "502 Bad Gateway", "500 Internal Server Error".
  new RegExp(
    `\\b${STATUS}\\W{0,3}(?:too many requests|internal server error|bad gateway|service unavailable|gateway time-?out|overloaded)`,
    'i',
  ),
  /\btoo many requests\b/i,
  // Anthropic's `"message":"Overloaded"`, a line that is only "Overloaded"; not a compiler's
  // "call of overloaded 'f(int)' is ambiguous".
  /"Overloaded"|^\s*(?:API Error:?\s*)?Overloaded\.?\s*$/,
  /\b(?:server|servers|service|api|model) (?:is|are) (?:currently |temporarily )?overloaded\b/i,
  // Codex's own words for a 5xx, an overloaded model and a connection dropped or stalled mid-answer;
  // not for what follows the same "stream disconnected before completion:" otherwise, and would again
  // ("Your input exceeds the context window", "Incomplete response returned, reason: content_filter").
  /\bexperiencing high demand, which may cause temporary errors\b/i,
  /\bSelected model is at capacity\b/,
  /\bstream disconnected before completion: (?:error sending request|error decoding response body|idle timeout|stream closed before response\.completed)/,
  /\bRateLimit(?:Error|Exceeded)\b/,
  /\brate[ -]?limit(?:ed)?\b.*\b(?:exceeded|reached|hit|429|try again|retrying|retry after)\b/i,
  /\b(?:exceeded|reached|hit)\b.*\brate[ -]?limit/i,
];

/** A failure worth retrying as it is (after a backoff), rather than a repair. */
export function isTransient(outputTail: string, hint: FailureHint = {}): boolean {
  // A timeout is the task taking too long, a cancel is the user: retrying either would be wrong.
  if (hint.reason === 'timeout' || hint.reason === 'cancelled') return false;
  if (hint.signal && CRASH_SIGNALS.has(hint.signal)) return true;
  if (hint.exitCode !== undefined && hint.exitCode !== null && CRASH_EXIT_CODES.has(hint.exitCode)) return true;
  return outputTail.split('\n').some((line) => TRANSIENT_TEXT.some((re) => re.test(line)));
}

/**
 * How long to wait before retry number `retry` (1 for the first): "full jitter", a random time up to
 * `base * 2^(retry-1)` capped at `cap`, so agents that hit a rate limit together do not come back
 * together.
 */
export function backoffMs(retry: number, base = 2000, cap = 60_000, random: () => number = Math.random): number {
  const exp = Math.max(0, Math.floor(retry) - 1);
  // 2^exp overflows to Infinity for large retry counts, which the cap then bounds.
  const ceiling = Math.min(cap, base * 2 ** exp);
  return Math.floor(random() * ceiling);
}
