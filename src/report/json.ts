import type { Logger, RunEvent } from '../events.js';
import { writeIfOpen } from '../util/closed-output.js';

/** `--json`: every event as one JSON object a line on stdout, for scripts. */
export class JsonLogger implements Logger {
  constructor(private readonly write: (line: string) => void = (l) => writeIfOpen(process.stdout, `${l}\n`)) {}

  log(e: RunEvent): void {
    this.write(JSON.stringify({ time: new Date().toISOString(), ...e }));
  }

  close(): void {}
}
