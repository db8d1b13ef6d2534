#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // Only a bug in taskwave gets here: users' mistakes are diagnostics with exit code 2.
    process.stderr.write(`taskwave: internal error (please report it): ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
