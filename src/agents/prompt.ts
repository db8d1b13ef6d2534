import { isAbsolute, relative } from 'node:path';
import type { Phase, Plan, Task } from '../plan/types.js';

/**
 * The prompt an agent gets for one task. It names what to do, where the context is, and the one
 * file it must not touch: taskwave ticks the plan itself, once the task is done.
 */
export function renderTaskPrompt(plan: Plan, task: Task, root: string): string {
  const rel = (p: string) => (isAbsolute(p) ? relative(root, p) || '.' : p);
  // The file the task is written in: a folder plan (a specs tree, `.claudio/`) is not one file.
  const planFile = rel(task.source.file || plan.path);
  const phase: Phase | undefined = plan.phases.find((p) => p.id === task.phase);
  const out: string[] = [];
  out.push(`You are implementing one task of an implementation plan, in the repository at the current directory.`);
  out.push('');
  out.push(`# Task ${task.id}: ${task.title}`);
  if (phase) out.push(`Phase: ${phase.title}`);
  out.push(`Plan: ${planFile} (line ${task.source.line})`);
  if (task.tags.length > 0) out.push(`Tags: ${task.tags.join(', ')}`);
  if (task.role) out.push(`Role: ${task.role}${task.complexity ? ` (${task.complexity})` : ''}`);
  if (task.spec) out.push(`Spec: ${task.spec}`);
  if (task.body.trim()) {
    out.push('', '## Details', '', task.body.trimEnd());
  }
  if (task.files.length > 0) {
    out.push('', '## Files this task names', '', ...task.files.map((f) => `- ${f}`));
  }
  if (task.requirements.length > 0) {
    out.push('', `Requirements: ${task.requirements.join(', ')}`);
  }
  if (task.criteria.length > 0) {
    out.push('', '## Acceptance criteria', '', ...task.criteria.map((c) => `- ${c}`));
  }
  const context = [...(task.context ?? []), ...plan.documents.filter((d) => !task.context?.includes(d))];
  if (context.length > 0) {
    out.push('', '## Context documents (read what you need)', '', ...context.map((d) => `- ${rel(d)}`));
  }
  out.push(
    '',
    '## Rules',
    '',
    `- Do only this task. Other tasks of the plan may be running at the same time.`,
    `- Do not edit the plan file (${planFile}): taskwave marks the task done once it is verified.`,
    '- When you finish, end with a short summary of what you changed and any decision you made.',
    '',
  );
  return out.join('\n');
}

/**
 * The prompt for resolving a merge conflict: the task as before, then what happened. The agent is in
 * its worktree with the integration branch merged in and the conflict markers in the files.
 */
export function renderConflictPrompt(taskPrompt: string, files: readonly string[], branch: string): string {
  return [
    taskPrompt.trimEnd(),
    '',
    '## Merge conflict',
    '',
    `You finished this task, but other tasks changed the same files on ${branch} in the meantime. Their changes are now merged into your working tree, and these files have conflict markers (<<<<<<<, =======, >>>>>>>):`,
    '',
    ...files.map((f) => `- ${f}`),
    '',
    'Resolve every conflict so that both your change and theirs are kept and the files are correct. Remove all the markers. Do not commit and do not run git merge, git rebase or git checkout: taskwave commits the resolution.',
    '',
  ].join('\n');
}
