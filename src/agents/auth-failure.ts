import type { TaskError } from '../events.js';
import { readableError } from '../util/readable-error.js';
import { clippedMessage, lastLineSaying } from './usage-limit.js';

/*
 * An agent that cannot authenticate (a wrong or expired key, a CLI logged out) fails every task the
 * same way: overnight, a plan of hundreds of tasks would fail one by one, each after the agent's own
 * retries (Claude Code retries a 401 ten times, for minutes). It is a usage limit that never resets:
 * the run stops starting tasks on the first one (engine/usage-limits.ts), resumable, and says what to
 * fix.
 *
 * Only the agent's own final error is read (the error its adapter parsed from its events, or the
 * last stderr line that names an error), never its output: an agent working on a login page prints
 * "401 Unauthorized" in its test runs. Within that line the words must be the message itself, as a
 * usage limit's are (`saidAsMessage`).
 */

export interface AuthFailure {
  /** The agent's line that said so. */
  message: string;
}

const AUTH_LINE: readonly RegExp[] = [
  // Claude Code: "Invalid API key · Fix external API key", "Invalid API key · Please run /login";
  // Anthropic's "invalid x-api-key"; OpenAI's code `invalid_api_key`.
  /\binvalid[ _-](?:x-)?api[ _-]?key\b/i,
  // OpenAI: "Incorrect API key provided: sk-…".
  /\bincorrect api key provided\b/i,
  // Anthropic's error type; Claude Code's `"error":"authentication_failed"`.
  /\bauthentication_(?:error|failed)\b/,
  // Python SDKs (aider through litellm): "openai.AuthenticationError: Error code: 401 …".
  /\b(?:[\w.]+\.)?AuthenticationError\b/,
  // Claude Code: "Not logged in · Please run /login", "OAuth token revoked · Please run /login",
  // "Please run /login · API Error: 401 …", "Failed to authenticate. API Error: 401 …".
  /\bnot logged in\b/i,
  /\bplease run \/login\b/i,
  /\bfailed to authenticate\b/i,
  /\boauth token (?:has expired|has been revoked|revoked)\b/i,
  // Claude Code: "Your organization has disabled API key authentication · …", "Your ANTHROPIC_API_KEY
  // belongs to a disabled organization · …".
  /\byour organization has disabled api key authentication\b/i,
  /\byour [\w-]*api[ _]key belongs to a disabled organization\b/i,
  // Codex: "unexpected status 401 Unauthorized: …"; "API Error: 401 …", "Error code: 401".
  /\b(?:unexpected status|api error:?|error code:?|https?(?:\/[\d.]+)?|status(?: code)?:?) 401\b/i,
  /\b401 Unauthorized\b/i,
  // Codex: the model provider's key is not set ("Missing environment variable: `OPENAI_API_KEY`.").
  /\bmissing environment variable: `[A-Z][A-Z0-9_]*`/i,
  // Codex logged in with ChatGPT: "Your access token could not be refreshed because your refresh
  // token has expired. Please log out and sign in again.", "no Codex credentials were found".
  /\byour access token could not be refreshed\b/i,
  /\bno codex credentials were found\b/i,
];

/** The authentication failure an agent's final error reports, if it is one. */
export function authFailureIn(text: string): AuthFailure | undefined {
  const found = lastLineSaying(text, AUTH_LINE);
  // An API's JSON body as its type and message, one line.
  return found ? { message: clippedMessage(readableError(found.line)) } : undefined;
}

/**
 * The authentication failure a failed agent run reports: its parsed error, its last error line, or
 * (timed out) what it was retrying: Claude Code retries a 401 for minutes, longer than a short
 * `timeout`.
 */
export function authFailureOf(e: TaskError): AuthFailure | undefined {
  if (e.reason === 'agent-error') return authFailureIn(e.message);
  if (e.reason === 'agent-exit' && e.said) return authFailureIn(e.said);
  if (e.reason === 'timeout' && e.retrying) return authFailureIn(e.retrying);
  return undefined;
}
