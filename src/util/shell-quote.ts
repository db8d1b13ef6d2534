/** Characters no POSIX shell treats specially in a word: such an argument is shown as it is. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `arg` as one word of a POSIX shell command line: as it is when nothing in it is special (a plain
 * task id stays readable), else in single quotes, each `'` in it written `'\''`. A command line we
 * print for the user to paste must not run a task's text: an id `x;touch /tmp/pwned;` stays an id.
 */
export function shellQuote(arg: string): string {
  if (PLAIN.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `argv` as a command line to paste into a POSIX shell (see `shellQuote`). */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
