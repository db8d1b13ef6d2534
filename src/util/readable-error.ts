/**
 * An agent's error as one line a person can act on. A provider's API answers a bad request with a
 * JSON body (OpenAI's `{"error": {"message", "type", "code"}}`, pretty-printed over several lines;
 * Anthropic's `{"type": "error", "error": {"type", "message"}}`), which some agents pass on as it
 * came, alone or after words of their own ("API Error: 400 "): its first line would be `{`. Such a
 * body becomes its error's type and message; any other text, its first line that is not blank.
 */
export function readableError(text: string): string {
  const start = text.indexOf('{');
  const body = start >= 0 ? apiError(text.slice(start)) : undefined;
  if (body !== undefined) return [text.slice(0, start).trim(), body].filter(Boolean).join(' ');
  return firstLine(text);
}

type Json = { [key: string]: unknown };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `type: message` of an API's JSON error body, or undefined when the text is not one. */
function apiError(json: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isObject(body)) return undefined;
  const error = isObject(body.error) ? body.error : body;
  const message = typeof error.message === 'string' ? firstLine(error.message) : '';
  if (!message) return undefined;
  const type = [error.type, error.code].find((v): v is string => typeof v === 'string' && v !== 'error');
  return type && !message.includes(type) ? `${type}: ${message}` : message;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}
