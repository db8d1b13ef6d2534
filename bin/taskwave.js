#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // The machine's doing, not taskwave's: a full or read-only disk is said as it is, without a trace.
    if (['ENOSPC', 'EDQUOT', 'EROFS'].includes(error?.code)) {
      process.stderr.write(`taskwave: ${error.message}: free some space (or make it writable) and run again\n`);
      process.exitCode = 1;
      return;
    }
    // Only a bug in taskwave gets here: users' mistakes are diagnostics with exit code 2.
    process.stderr.write(`taskwave: internal error (please report it): ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
