#!/usr/bin/env node
// A stand-in for a coding agent, so the quickstart runs with no API key: it reads the prompt
// taskwave gives it, narrates a few steps, and writes the files the task names in its workspace
// (the task's worktree, or the working tree in place: the folder taskwave starts it in).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const prompt = readFileSync(0, 'utf8');
const id = process.env.TASKWAVE_TASK_ID;
const title = process.env.TASKWAVE_TASK_TITLE ?? '';
const files = [...prompt.matchAll(/^- (greet\/\S+)$/gm)].map((m) => m[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pause = () => sleep(300 + Math.random() * 700);

console.log(`reading the task ${id}: ${title}`);
await pause();
console.log('reading spec.md');
await pause();
for (const file of files) {
  console.log(`editing ${file}`);
  const path = join(process.cwd(), file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contentFor(file));
  await pause();
}
console.log(`done: ${id} wrote ${files.length ? files.join(', ') : 'nothing'}`);

function contentFor(file) {
  if (file.endsWith('package.json'))
    return `${JSON.stringify({ name: 'greet', version: '0.1.0', type: 'module', bin: { greet: 'bin/greet.js' } }, null, 2)}\n`;
  if (file.endsWith('hello.js')) return "export const hello = (name) => 'Hello, ' + name + '!';\n";
  if (file.endsWith('goodbye.js')) return "export const goodbye = (name) => 'Goodbye, ' + name + '.';\n";
  if (file.endsWith('greet.js'))
    return "#!/usr/bin/env node\nimport { hello } from '../src/hello.js';\nimport { goodbye } from '../src/goodbye.js';\nconst [verb, name = 'world'] = process.argv.slice(2);\nconsole.log(verb === 'goodbye' ? goodbye(name) : hello(name));\n";
  if (file.endsWith('.test.js'))
    return "import assert from 'node:assert/strict';\nimport { hello } from '../src/hello.js';\nimport { goodbye } from '../src/goodbye.js';\nassert.equal(hello('Ada'), 'Hello, Ada!');\nassert.equal(goodbye('Ada'), 'Goodbye, Ada.');\n";
  if (file.endsWith('LICENSE.txt')) return 'MIT License\n';
  return `# ${title}\n\nWritten by the taskwave demo agent for task ${id}.\n`;
}
