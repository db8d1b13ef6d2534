/**
 * `text` cut to `max` characters, saying how many were left off; never between the two halves of
 * a surrogate pair. For what an agent or a gate printed that goes into prompts and the books: one
 * line of a minified bundle or a base64 blob can be megabytes.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}
