import { resolve } from 'node:path';
import { err, type Result } from '../../result.js';
import { type Diagnostic, errorAt } from '../diagnostic.js';
import { readPlanText } from '../plan-file.js';
import type { Plan, PlanFormat, ReadOptions } from '../types.js';
import { parseJsonDocument } from './json-file.js';
import { buildPlan } from './taskmaster/build.js';
import {
  detectTaskmaster,
  readCurrentTag,
  stateFileOf,
  tasksFileCandidates,
  tasksFileOf,
} from './taskmaster/locate.js';
import { DEFAULT_TAG, selectTag } from './taskmaster/root.js';
import { markTaskmasterDone } from './taskmaster/write.js';

/*
 * Taskmaster (`.taskmaster/tasks/tasks.json`, older `tasks/tasks.json`): one task list per tag, the
 * current tag named in `.taskmaster/state.json`. Read with positions (json-file.ts) so every problem
 * names its line; written back by setting one "status" value in place.
 *
 * The work is in `taskmaster/`: `locate.ts` (which file, which tag), `root.ts` (tagged or legacy root),
 * `entries.ts` and `fields.ts` (one task object), `build.ts` (the Plan: groups, dependencies, statuses)
 * and `write.ts` (marking a task done).
 */

async function readTaskmasterPlan(path: string, options: ReadOptions): Promise<Result<Plan, Diagnostic[]>> {
  const found = await tasksFileOf(path);
  if (!found) {
    const looked = tasksFileCandidates(path).join(' or ');
    return err([errorAt(undefined, `no Taskmaster tasks file at ${path}: looked for ${looked}`)]);
  }
  const file = resolve(found);
  const read = await readPlanText(file);
  if (!read.ok) return read;
  const parsed = parseJsonDocument(read.value.text, file);
  if (!parsed.ok) return err([...read.value.warnings, ...parsed.error]);

  const warnings: Diagnostic[] = [...read.value.warnings];
  let tag = options.tag;
  if (tag === undefined) {
    const current = await readCurrentTag(file);
    tag = current.tag;
    if (current.tag === undefined && current.problem) {
      warnings.push({
        severity: 'warning',
        location: { file: stateFileOf(file), line: 1, column: 1 },
        message: `cannot tell the current tag from state.json (${current.problem}); reading tag ${DEFAULT_TAG}`,
      });
    }
  }
  const selection = selectTag(parsed.value, tag ?? DEFAULT_TAG, options.tag !== undefined);
  if (!selection.ok) {
    if (options.tag !== undefined || tag === undefined) return selection;
    const state = stateFileOf(file);
    return err(selection.error.map((d) => ({ ...d, message: `${d.message} (the current tag, named in ${state})` })));
  }
  return buildPlan(parsed.value, selection.value, warnings);
}

export const taskmasterFormat: PlanFormat = {
  name: 'taskmaster',
  describe: '.taskmaster/tasks/tasks.json (or tasks/tasks.json)',

  detect(path: string): Promise<boolean> {
    return detectTaskmaster(path);
  },

  read(path: string, options: ReadOptions = {}): Promise<Result<Plan, Diagnostic[]>> {
    return readTaskmasterPlan(resolve(path), options);
  },

  ticksEditOnly: true,

  async writeStatus(plan: Plan, taskId: string, status: 'done'): Promise<Result<void, Diagnostic>> {
    if (status !== 'done') {
      return err(errorAt(undefined, `cannot record status ${String(status)} in a Taskmaster plan`));
    }
    return markTaskmasterDone(plan, taskId);
  },
};
