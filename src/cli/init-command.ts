import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorAt } from '../plan/diagnostic.js';
import { findRoot } from '../workspace/repo.js';
import { CONFIG_FILE } from './config.js';
import { EXIT, printDiagnostics } from './output.js';

const TEMPLATE = `# taskwave configuration: see the README's config reference.
agent: mine              # the agent that runs tasks unless --agent says otherwise
concurrency: 4           # tasks running at once

agents:
  mine:
    # Any command: cwd is the workspace, the prompt arrives on stdin and in TASKWAVE_PROMPT_FILE,
    # with TASKWAVE_TASK_ID, TASKWAVE_TASK_TITLE, TASKWAVE_ATTEMPT, TASKWAVE_REPAIR, TASKWAVE_RUN_ID. Exit 0 = finished.
    command: ["node", "scripts/agent.mjs"]
    timeout: 30m
`;

/** `taskwave init`: a starter taskwave.yaml at the repository root. */
export function initCommand(): number {
  const repo = findRoot(process.cwd());
  if (!repo.ok) {
    printDiagnostics([repo.error]);
    return EXIT.usage;
  }
  const { root } = repo.value;
  const file = join(root, CONFIG_FILE);
  if (existsSync(file)) {
    printDiagnostics([errorAt(undefined, `${file} already exists; edit it instead`)]);
    return EXIT.usage;
  }
  writeFileSync(file, TEMPLATE);
  process.stdout.write(`wrote ${file}\n`);
  return EXIT.ok;
}
