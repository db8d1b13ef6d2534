/** The message of something thrown, which need not be an Error. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
