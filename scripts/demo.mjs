#!/usr/bin/env node
// `npm run demo`: run the quickstart plan in a fresh copy (a temp git repository), so the demo can
// be run again and again and never changes this checkout.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'taskwave-demo-'));
cpSync(join(repo, 'examples', 'quickstart'), dir, { recursive: true });
const git = (...args) => spawnSync('git', args, { cwd: dir, stdio: 'ignore' });
git('init', '-q', '-b', 'main');
git('-c', 'user.name=taskwave demo', '-c', 'user.email=demo@taskwave.invalid', 'add', '-A');
git('-c', 'user.name=taskwave demo', '-c', 'user.email=demo@taskwave.invalid', 'commit', '-qm', 'quickstart');

console.log(`taskwave demo in ${dir}\n`);
const run = spawnSync(
  process.execPath,
  [join(repo, 'bin', 'taskwave.js'), 'run', 'tasks.md', ...process.argv.slice(2)],
  {
    cwd: dir,
    stdio: 'inherit',
  },
);
console.log(
  `\nThe plan, ticked: ${join(dir, 'tasks.md')}\nThe books: ${join(dir, '.taskwave')}  (try: cd ${dir} && node ${join(repo, 'bin', 'taskwave.js')} status)`,
);
process.exit(run.status ?? 1);
