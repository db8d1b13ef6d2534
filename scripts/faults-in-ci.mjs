#!/usr/bin/env node
// The end of `npm test`: in CI (CI set), the long crash sweep (`npm run test:faults`, several
// minutes); elsewhere only a line saying how to run it. .ci/run runs exactly the README's `npm test`,
// so this is how CI gets the sweep while a developer's `npm test` stays quick.
import { spawnSync } from 'node:child_process';

const ci = process.env.CI && !['0', 'false', ''].includes(process.env.CI.toLowerCase());
if (!ci) {
  console.log('crash sweep skipped (it runs in CI, where CI is set): npm run test:faults');
  process.exit(0);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['run', 'test:faults'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
