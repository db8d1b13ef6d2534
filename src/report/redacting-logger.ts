import type { Logger, RunEvent } from '../events.js';
import { mapStrings } from '../util/map-strings.js';

/**
 * The one door between a run and everything that keeps or shows its events (books, logs, reports,
 * the views): every string of every event goes through `redact` first. Stages mask what they know
 * to be output (an agent's lines, a gate's tail), but an error message can carry command output
 * from anywhere (a failed setup command, git's stderr): masking here leaves none out.
 */
export function redactingLogger(inner: Logger, redact: (text: string) => string): Logger {
  return {
    log(e: RunEvent) {
      inner.log(mapStrings(e, redact));
    },
    close() {
      inner.close();
    },
  };
}
