import { at, type TaskGraph } from './dag.js';
import { normalizeFilePath } from './file-locks.js';

/**
 * The id of a task other than `taskId` that names `file` too and may not have run before it, or
 * undefined when there is none.
 */
export type OtherNamer = (taskId: string, file: string) => string | undefined;

/** The last part of a normalised path: what two ways of writing one file's name share. */
function lastPart(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Whether two names written by tasks may be one file: the same, or one the last parts of the other. */
function sameFile(a: string, b: string): boolean {
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

/**
 * Who else names a file, for the check that the files a task names exist: a file that another task
 * names too, and that task is not done and not among this task's prerequisites (a sibling of its
 * phase, a task after it), may be that task's to create, which may not have run yet. Tasks done
 * (or skipped) when the run began do not count: what they made is in every checkout already, so a
 * file they name that is missing is not theirs to bring. Nor do tasks that landed since (`landed`,
 * the run's live books): of two siblings that name one file, the one verified last is held to it.
 *
 * The index of names is built once per run, O(files named), and keeps only names two tasks share;
 * the prerequisites are walked only when a task asks about such a name.
 */
export function otherNamers(graph: TaskGraph, landed: (id: string) => boolean = () => false): OtherNamer {
  // Last part → the tasks that may still run and name a file ending in it, with the name as written.
  const byLast = new Map<string, { task: number; name: string }[]>();
  graph.tasks.forEach((t, i) => {
    if (t.status === 'done' || t.status === 'skipped') return;
    for (const raw of t.files) {
      const name = normalizeFilePath(raw.trim());
      const key = lastPart(name);
      const list = byLast.get(key);
      if (!list) byLast.set(key, [{ task: i, name }]);
      else if (!list.some((e) => e.task === i && e.name === name)) list.push({ task: i, name });
    }
  });
  for (const [key, list] of byLast) if (list.every((e) => e.task === list[0]?.task)) byLast.delete(key);

  return (taskId, file) => {
    const self = graph.index.get(taskId);
    if (self === undefined) return undefined;
    const name = normalizeFilePath(file.trim());
    const others = (byLast.get(lastPart(name)) ?? []).filter((e) => e.task !== self && sameFile(e.name, name));
    if (others.length === 0) return undefined;
    const before = prerequisitesOf(graph, self);
    const other = others.find((e) => !before[e.task] && !landed(at(graph.tasks, e.task).id));
    return other === undefined ? undefined : at(graph.tasks, other.task).id;
  };
}

/** Every task `i` depends on, directly or through others, as a mask. */
function prerequisitesOf(graph: TaskGraph, i: number): Uint8Array {
  const seen = new Uint8Array(graph.tasks.length);
  const stack = [...at(graph.deps, i)];
  while (stack.length > 0) {
    const j = stack.pop() as number;
    if (seen[j]) continue;
    seen[j] = 1;
    for (const d of at(graph.deps, j)) if (!seen[d]) stack.push(d);
  }
  return seen;
}
