import type { Logger, RunEvent } from '../events.js';

/** One logger that hands every event to several (the books first, then the view). */
export function fanout(...loggers: Logger[]): Logger {
  return {
    log(e: RunEvent) {
      for (const l of loggers) l.log(e);
    },
    close() {
      for (const l of loggers) l.close();
    },
  };
}
