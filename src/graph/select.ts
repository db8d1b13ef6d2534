import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import type { Plan, Task } from '../plan/types.js';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import { at, buildGraph, type TaskGraph } from './dag.js';

export interface SelectOptions {
  /**
   * Phases to run: a phase id (`2`, `3.1`; `3` also takes `3.1`, `3.2`, …), or a word in its title
   * (case-insensitive). A number is an id, never part of a title.
   */
  phases?: readonly string[];
  /** Task ids to run. Together with `phases`, the union of both is selected. Naming an optional task selects it. */
  only?: readonly string[];
  /** Run optional tasks (Kiro `- [ ]*`) too. */
  includeOptional?: boolean;
  /** Only this task and the tasks after it in plan order. */
  from?: string;
  /** Only the tasks of these specs (`task.spec`, e.g. `I001`). */
  specs?: readonly string[];
  /** Only the tasks of specs of these kinds (`--infrastructure`, `--features`). */
  specKinds?: readonly ('infrastructure' | 'feature')[];
  /** Pull the prerequisites of the selected tasks that are not done into the run. */
  withDeps?: boolean;
}

/** A task that was selected but can never run, because a prerequisite will never be done. */
export interface Unrunnable {
  id: string;
  /** The task whose status blocks it: cancelled, deferred, or optional and not included. */
  blockedBy: string;
  /** E.g. `needs T004, which is cancelled`; `needs T005, which is blocked by T004 (deferred)`. */
  reason: string;
}

/** What a run does with each task. The four lists `run`, `done`, `unrunnable`, `excluded` partition the plan. */
export interface Selection {
  /** Ids to run, in plan order. Their prerequisites are all in `run` or done/skipped. */
  run: string[];
  /** The part of `run` that `withDeps` pulled in as prerequisites, in plan order. */
  pulledIn: string[];
  /** Selected tasks that are already done or skipped, in plan order. */
  done: string[];
  /** Selected tasks that can never run, in plan order. */
  unrunnable: Unrunnable[];
  /** Everything else: not selected, and cancelled, deferred or optional tasks not asked for, in plan order. */
  excluded: string[];
  /**
   * The part of `excluded` that is optional and passed over: these satisfy their dependents, so a
   * run must bridge dependencies over them (`bridgeDoneTasks` with them counted as done).
   */
  passedOver: string[];
}

/** At most this many missing prerequisites are named per diagnostic. */
const MAX_NAMED = 5;

/**
 * Decides which tasks a run executes. Done and skipped tasks are never run and satisfy their dependents;
 * so do optional tasks not asked for (Kiro's optional tasks may be skipped for a faster first version);
 * cancelled and deferred tasks are not run and block their dependents.
 * Errors: an unknown phase or task id; a selected task needing a task that is neither done nor selected
 * (unless `withDeps`). O(V + E) apart from the bounded search for names in those last diagnostics.
 */
export function selectTasks(
  plan: Plan,
  options: SelectOptions = {},
  graph?: TaskGraph,
): Result<Selection, Diagnostic[]> {
  const g = graph ?? buildGraph(plan.tasks);
  const tasks = g.tasks;
  const n = tasks.length;

  const scope = resolveScope(plan, g, options);
  if (!scope.ok) return scope;
  const { inScope, named } = scope.value;

  const satisfied = new Uint8Array(n);
  const blocked = new Uint8Array(n);
  const passed = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = at(tasks, i);
    if (t.status === 'done' || t.status === 'skipped') satisfied[i] = 1;
    else if (t.status === 'cancelled' || t.status === 'deferred') blocked[i] = 1;
    else if (t.optional && !options.includeOptional && !named[i]) {
      satisfied[i] = 1;
      passed[i] = 1;
    }
  }

  // Tasks that can never run: blocked ones, and everything that (through unfinished tasks) needs one.
  // root[i]: the blocked task at the origin (-1: runnable); via[i]: the prerequisite it came through.
  const root = new Int32Array(n).fill(-1);
  const via = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) {
    if (!blocked[i]) continue;
    root[i] = i;
    via[i] = i;
    queue[tail++] = i;
  }
  for (let head = 0; head < tail; head++) {
    const v = at(queue, head);
    for (const w of at(g.dependents, v)) {
      if (satisfied[w] || at(root, w) !== -1) continue;
      root[w] = at(root, v);
      via[w] = v;
      queue[tail++] = w;
    }
  }

  const candidate = new Uint8Array(n);
  const done: string[] = [];
  const unrunnable: Unrunnable[] = [];
  for (let i = 0; i < n; i++) {
    if (!inScope[i] || passed[i]) continue;
    const t = at(tasks, i);
    if (satisfied[i]) done.push(t.id);
    else if (blocked[i]) {
      if (named[i]) unrunnable.push({ id: t.id, blockedBy: t.id, reason: `${t.id} is ${blockedWhy(t)}` });
    } else if (at(root, i) !== -1) {
      const r = at(tasks, at(root, i));
      const d = at(tasks, at(via, i));
      const reason =
        d === r
          ? `needs ${r.id}, which is ${blockedWhy(r)}`
          : `needs ${d.id}, which is blocked by ${r.id} (${blockedWhy(r)})`;
      unrunnable.push({ id: t.id, blockedBy: r.id, reason });
    } else candidate[i] = 1;
  }

  // Prerequisites neither done nor selected. None of them is blocked: their dependent would be too.
  const pulled = new Uint8Array(n);
  if (options.withDeps) {
    tail = 0;
    for (let i = 0; i < n; i++) {
      if (!candidate[i]) continue;
      for (const j of at(g.deps, i)) {
        if (satisfied[j] || candidate[j] || pulled[j]) continue;
        pulled[j] = 1;
        queue[tail++] = j;
      }
    }
    for (let head = 0; head < tail; head++) {
      for (const j of at(g.deps, at(queue, head))) {
        if (satisfied[j] || candidate[j] || pulled[j]) continue;
        pulled[j] = 1;
        queue[tail++] = j;
      }
    }
  } else {
    const errors: Diagnostic[] = [];
    const stamp = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!candidate[i]) continue;
      const missing = missingPrerequisites(g, i, satisfied, candidate, stamp, queue).map((j) => at(tasks, j).id);
      if (missing.length > 0) errors.push(missingDiagnostic(at(tasks, i), missing));
    }
    if (errors.length > 0) return err(errors);
  }

  const run: string[] = [];
  const pulledIn: string[] = [];
  const excluded: string[] = [];
  const passedOver: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = at(tasks, i).id;
    if (candidate[i]) run.push(id);
    else if (pulled[i]) {
      run.push(id);
      pulledIn.push(id);
    } else if (!inScope[i] || passed[i] || (blocked[i] && !named[i])) {
      excluded.push(id);
      if (passed[i]) passedOver.push(id);
    }
  }
  return ok({ run, pulledIn, done, unrunnable, excluded, passedOver });
}

function blockedWhy(t: Task): string {
  return t.status;
}

/**
 * Up to MAX_NAMED + 1 prerequisites of `start`, direct or through each other, that are neither done
 * nor selected, nearest first. Selected prerequisites are not looked through: they get their own check.
 */
function missingPrerequisites(
  g: TaskGraph,
  start: number,
  satisfied: Uint8Array,
  candidate: Uint8Array,
  stamp: Int32Array,
  queue: Int32Array,
): number[] {
  const mark = start + 1;
  const found: number[] = [];
  let tail = 0;
  queue[tail++] = start;
  stamp[start] = mark;
  for (let head = 0; head < tail && found.length <= MAX_NAMED; head++) {
    for (const j of at(g.deps, at(queue, head))) {
      if (at(stamp, j) === mark || satisfied[j] || candidate[j]) continue;
      stamp[j] = mark;
      found.push(j);
      queue[tail++] = j;
      if (found.length > MAX_NAMED) break;
    }
  }
  return found;
}

function missingDiagnostic(task: Task, missing: string[]): Diagnostic {
  const more = missing.length > MAX_NAMED;
  const names = missing.slice(0, MAX_NAMED);
  const list = more
    ? `${names.join(', ')} and more`
    : names.length === 1
      ? `${names[0]}`
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const one = missing.length === 1;
  return errorAt(
    task.source,
    `${task.id} needs ${list}, which ${one ? 'is' : 'are'} not done and not selected (add --with-deps to run ${one ? 'it' : 'them'} too)`,
  );
}

interface Scope {
  inScope: Uint8Array;
  /** Named by `only`: selected even when optional; reported when cancelled or deferred. */
  named: Uint8Array;
}

/**
 * Which tasks the options name: `phases` and `only` together (their union; everything when neither is
 * given), narrowed by `specs`, `specKinds` and `from`.
 */
function resolveScope(plan: Plan, g: TaskGraph, options: SelectOptions): Result<Scope, Diagnostic[]> {
  const base = resolvePhasesAndIds(plan, g, options);
  if (!base.ok) return base;
  const { inScope, named } = base.value;
  const errors: Diagnostic[] = [];
  const keep = (pred: (t: Task, i: number) => boolean) => {
    for (let i = 0; i < g.tasks.length; i++) if (inScope[i] && !pred(at(g.tasks, i), i)) inScope[i] = 0;
  };
  const specs = options.specs ?? [];
  if (specs.length > 0) {
    const known = new Set(g.tasks.map((t) => t.spec).filter((s): s is string => s !== undefined));
    for (const s of plan.specs ?? []) known.add(s.id);
    const wanted = new Set<string>();
    for (const s of specs) {
      const match = [...known].find((k) => k.toLowerCase() === s.toLowerCase());
      if (match) wanted.add(match);
      else {
        const list = [...known].join(', ') || `none: ${plan.format} plans have no specs`;
        errors.push(errorAt(undefined, `unknown spec ${JSON.stringify(s)}; the plan's specs are: ${list}`));
      }
    }
    keep((t) => t.spec !== undefined && wanted.has(t.spec));
  }
  const kinds = options.specKinds ?? [];
  if (kinds.length > 0) {
    if (!plan.specs || plan.specs.length === 0) {
      errors.push(
        errorAt(
          undefined,
          `${kinds.map(kindFlag).join(', ')}: a ${plan.format} plan has no infrastructure or feature specs`,
        ),
      );
    }
    const kindOf = new Map((plan.specs ?? []).map((s) => [s.id, s.kind]));
    keep((t) => t.spec !== undefined && kinds.includes(kindOf.get(t.spec) as 'infrastructure'));
  }
  if (options.from !== undefined) {
    const start = g.index.get(options.from) ?? firstMemberIndex(plan, g, options.from);
    if (start === undefined) errors.push(unknownTask(options.from, g));
    else keep((_t, i) => i >= start);
  }
  return errors.length > 0 ? err(errors) : ok({ inScope, named });
}

/** The flag that asks for specs of a kind (the kind is singular, the flag is not). */
function kindFlag(kind: 'infrastructure' | 'feature'): string {
  return kind === 'feature' ? '--features' : '--infrastructure';
}

function firstMemberIndex(plan: Plan, g: TaskGraph, id: string): number | undefined {
  const members = plan.groups?.find((gr) => gr.id === id)?.members ?? [];
  const indexes = members.map((m) => g.index.get(m)).filter((i): i is number => i !== undefined);
  return indexes.length > 0 ? Math.min(...indexes) : undefined;
}

function unknownTask(id: string, g: TaskGraph): Diagnostic {
  const close = suggest(id, g.index.keys());
  const hint = close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
  return errorAt(undefined, `unknown task id ${id}${hint}`);
}

function resolvePhasesAndIds(plan: Plan, g: TaskGraph, options: SelectOptions): Result<Scope, Diagnostic[]> {
  const n = g.tasks.length;
  const named = new Uint8Array(n);
  const phases = options.phases ?? [];
  const only = options.only ?? [];
  if (phases.length === 0 && only.length === 0) return ok({ inScope: new Uint8Array(n).fill(1), named });

  const errors: Diagnostic[] = [];
  const inScope = new Uint8Array(n);
  if (phases.length > 0) {
    // Phases named by tasks but missing from plan.phases are selectable by id too.
    const known = plan.phases.map((p) => ({ id: p.id, title: p.title }));
    const ids = new Set(known.map((p) => p.id));
    for (const t of g.tasks) {
      if (!ids.has(t.phase)) {
        ids.add(t.phase);
        known.push({ id: t.phase, title: '' });
      }
    }
    const chosen = new Set<string>();
    for (const query of phases) {
      const matches = matchPhases(known, query);
      if (matches.length === 0) {
        const list = known.map((p) => p.id).join(', ') || '(none)';
        errors.push(errorAt(undefined, `unknown phase ${JSON.stringify(query)}; the plan's phases are: ${list}`));
      }
      for (const id of matches) chosen.add(id);
    }
    for (let i = 0; i < n; i++) if (chosen.has(at(g.tasks, i).phase)) inScope[i] = 1;
  }
  const groups = new Map((plan.groups ?? []).map((gr) => [gr.id, gr]));
  for (const id of only) {
    const i = g.index.get(id);
    const group = i === undefined ? groups.get(id) : undefined;
    if (group) {
      // A group stands for its members; its optional members stay optional unless named themselves.
      for (const m of group.members) {
        const j = g.index.get(m);
        if (j !== undefined) inScope[j] = 1;
      }
      continue;
    }
    if (i === undefined) {
      errors.push(unknownTask(id, g));
      continue;
    }
    inScope[i] = 1;
    named[i] = 1;
  }
  return errors.length > 0 ? err(errors) : ok({ inScope, named });
}

/** A phase named by its number (`1`, `3.1`): never looked for in the titles, where `1` is in `3.10`. */
const PHASE_NUMBER = /^\d+(?:\.\d+)*$/;

/**
 * The phases `query` names: the phase of that id and its sub-phases (`3` → `3`, `3.1`, `3.2`), and
 * phases titled `Phase <query>` or `Sprint <query>` (a repeated heading's id is `2-2`). A number
 * that names none is unknown; a word that names none takes the phases whose title contains it,
 * ignoring case.
 */
function matchPhases(phases: readonly { id: string; title: string }[], query: string): string[] {
  const q = query.trim();
  if (q === '') return [];
  const numbered = new RegExp(`\\b(?:phase|sprint)\\s+${q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\.?\\d)`, 'i');
  const named = phases.filter((p) => p.id === q || p.id.startsWith(`${q}.`) || numbered.test(p.title)).map((p) => p.id);
  if (named.length > 0 || PHASE_NUMBER.test(q)) return named;
  const lower = q.toLowerCase();
  return phases.filter((p) => p.title.toLowerCase().includes(lower) || p.id.toLowerCase() === lower).map((p) => p.id);
}

/** Ids within a small edit distance of `id` (case-insensitive), closest first, at most three. */
export function suggest(id: string, candidates: Iterable<string>): string[] {
  const target = id.toLowerCase();
  const limit = Math.max(1, Math.min(2, Math.floor(target.length / 3)));
  const scored: { c: string; d: number }[] = [];
  for (const c of candidates) {
    if (Math.abs(c.length - target.length) > limit) continue;
    const d = editDistance(target, c.toLowerCase(), limit);
    if (d <= limit) scored.push({ c, d });
  }
  scored.sort((a, b) => a.d - b.d);
  return scored.slice(0, 3).map((s) => s.c);
}

/** Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(at(prev, j) + 1, at(cur, j - 1) + 1, at(prev, j - 1) + cost);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return at(prev, b.length);
}
