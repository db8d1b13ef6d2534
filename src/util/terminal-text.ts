/**
 * C0 controls but tab, newline and the CR of a CRLF, DEL, and the C1 controls (U+0080–U+009F; the
 * 8-bit CSI among them).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_OR_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Text from a plan or an agent, made safe to write to a terminal: each control character that
 * would move the cursor, erase a line, retitle the window or start an escape sequence is written
 * out as `\xNN` instead, so a hostile title shows what it holds and does nothing. Tabs stay;
 * newlines stay too unless `oneLine` (a title must not fake a line of its own).
 */
export function terminalText(text: string, o: { oneLine?: boolean } = {}): string {
  return text.replace(
    o.oneLine ? CONTROL_OR_NEWLINE : CONTROL,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
