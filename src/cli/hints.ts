import { type Diagnostic, errorAt } from '../plan/diagnostic.js';
import type { Plan } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { shellCommand } from '../util/shell-quote.js';

/*
 * People who run these plans by hand tell their agent "sequential", "use 2 agents in parallel", "only
 * the auth feature". `taskwave run PLAN "…"` takes the same words and maps them onto the options, in
 * two steps: the words into options (here, before the plan is read), then a named part of the plan
 * ("the auth feature") into phases, specs or tasks once the plan is known. Words it does not
 * understand are an error: a run must never quietly do something other than what was asked.
 */

export interface HintOptions {
  concurrency?: number;
  phases?: string[];
  from?: string;
  specKinds?: ('infrastructure' | 'feature')[];
  includeOptional?: boolean;
  withDeps?: boolean;
  dryRun?: boolean;
  agent?: string;
  tag?: string;
  /** "only the auth feature": a part of the plan, resolved by `resolveFocus` once the plan is read. */
  focus?: { text: string; noun?: string };
}

const NUMBERS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  twelve: 12,
  sixteen: 16,
};
const COUNT = `(\\d+|${Object.keys(NUMBERS).join('|')})`;
const count = (w: string) => NUMBERS[w.toLowerCase()] ?? Number(w);

/** Words that carry no instruction on their own. */
const FILLER = new Set(
  "please the a an and then run do all tasks task plan it them these those everything only just of in on with use using me for to at once mode go ahead can you should let lets let's".split(
    ' ',
  ),
);

type Apply = (m: RegExpExecArray, o: HintOptions) => void;

/** Words that join clauses without starting an instruction ("features only and one at a time"). */
const CONNECTIVE = '(?:and|then|please|run|do)';

/** Tried in order; each match is consumed before the next pattern looks. */
function patterns(agents: readonly string[]): [RegExp, Apply][] {
  const agentAlt = agents.map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const list: [RegExp, Apply][] = [
    [/\b(?:dry[ -]?run|just show|show what would run|what would run)\b/i, (_m, o) => (o.dryRun = true)],
    [
      /\b(?:sequential(?:ly)?|one (?:at a time|by one|after (?:the )?other|after another)|serial(?:ly)?|no parallel(?:ism)?|not in parallel)\b/i,
      (_m, o) => (o.concurrency = 1),
    ],
    [
      new RegExp(
        `\\b${COUNT} (?:(?:parallel |coding )?(?:agents?|workers?|slots?)|tasks? at (?:a time|once)|at (?:a time|once)|in parallel)(?: in parallel| at (?:a time|once))?\\b`,
        'i',
      ),
      (m, o) => (o.concurrency = count(m[1] as string)),
    ],
    [/\b(?:parallel(?:ism)?|concurrency)\s*(?:=|:|of)?\s*(\d+)\b/i, (m, o) => (o.concurrency = Number(m[1]))],
    [
      /\b(?:including|include|with|plus|and) (?:the )?optional(?: tasks?| ones)?\b/i,
      (_m, o) => (o.includeOptional = true),
    ],
    [
      /\bwith (?:their |its |the )?(?:dependencies|deps|prerequisites)\b/i,
      (_m, o) => {
        o.withDeps = true;
      },
    ],
    [
      /\b(?:phases?|sprints?) (\d+(?:\.\d+)*(?:(?:\s*,\s*|\s+and\s+|\s+)\d+(?:\.\d+)*)*)\b/i,
      (m, o) => {
        o.phases = [...(o.phases ?? []), ...(m[1] as string).split(/\s*,\s*|\s+and\s+|\s+/).filter(Boolean)];
      },
    ],
    [
      /\b(?:from|starting (?:at|from|with)|start(?:ing)? at|resume from|continue from) (?:task |story )?([a-z]*\d[\w.-]*)/i,
      (m, o) => (o.from = m[1]),
    ],
    [/\btag ([\w.-]+)/i, (m, o) => (o.tag = m[1])],
  ];
  if (agentAlt) {
    list.push([new RegExp(`\\b(?:using|with|use|agent|via) (${agentAlt})\\b`, 'i'), (m, o) => (o.agent = m[1])]);
  }
  list.push(
    [
      /\b(?:only |just )?(?:the )?infrastructure(?: specs?)?(?: only)?\b/i,
      (_m, o) => (o.specKinds = [...(o.specKinds ?? []), 'infrastructure']),
    ],
    [
      // A clause of its own ("features only, dry run"), so that "only the auth feature" stays a focus
      // with its noun. Every hint matched before this one has left a comma where it was.
      new RegExp(
        `(?<=(?:^|[,;])\\s*(?:${CONNECTIVE}\\s+)*)(?:(?:only|just) )?(?:the )?features?(?: specs?)?(?: only)?(?=\\s*(?:${CONNECTIVE}\\s*)*(?:[,;]|$))`,
        'i',
      ),
      (_m, o) => (o.specKinds = [...(o.specKinds ?? []), 'feature']),
    ],
    [
      /\b(?:only|just) (?:the |do )?([^,;]+?)(?:\s+(feature|spec|phase|sprint|story|stories|tasks?|part|section|group))?\s*(?=$|[,;])/i,
      (m, o) => {
        o.focus = { text: (m[1] as string).trim(), ...(m[2] ? { noun: m[2] } : {}) };
      },
    ],
  );
  return list;
}

/** The options a free-text hint asks for; an error naming the words it did not understand. */
export function parseHints(text: string, agents: readonly string[]): Result<HintOptions, Diagnostic> {
  let rest = text.replace(/\s+/g, ' ').trim();
  const out: HintOptions = {};
  for (const [re, apply] of patterns(agents)) {
    for (;;) {
      const m = re.exec(rest);
      if (!m || m[0].trim() === '') break;
      apply(m, out);
      rest = `${rest.slice(0, m.index)} , ${rest.slice(m.index + m[0].length)}`;
    }
  }
  const unknown = rest
    .toLowerCase()
    .split(/[^\p{L}\p{N}'.-]+/u)
    .filter((w) => w !== '' && !FILLER.has(w));
  if (unknown.length > 0) {
    return err(
      errorAt(
        undefined,
        `cannot understand ${unknown.map((w) => `"${w}"`).join(', ')} in the hint "${text}"; hints taskwave understands: "sequential", "use 2 agents in parallel", "phase 2", "only the auth feature", "only T012 and T013", "from T012", "including optional tasks", "with dependencies", "infrastructure only", "features only", "dry run", "using NAME" (an agent), "tag NAME"`,
      ),
    );
  }
  return ok(out);
}

export interface FocusScope {
  phases?: string[];
  specs?: string[];
  only?: string[];
}

const words = (s: string) =>
  s
    .toLowerCase()
    .split(/[^\p{L}\p{N}.]+/u)
    .filter(Boolean);

/** Whether every word of `query` starts a word of `title` ("auth" finds "Authentication"). */
function titleMatches(title: string, query: string[]): boolean {
  const tw = words(title);
  return query.length > 0 && query.every((q) => tw.some((w) => w.startsWith(q)));
}

/**
 * The part of the plan "only the auth feature" names: ids (tasks, groups, specs, phases) when every
 * word is one, else the specs, phases, groups or tasks whose titles hold every word, in that order
 * of preference (a noun such as "feature" or "phase" narrows it).
 */
export function resolveFocus(plan: Plan, focus: { text: string; noun?: string }): Result<FocusScope, Diagnostic> {
  const tokens = focus.text.split(/\s*,\s*|\s+and\s+|\s+/).filter((w) => w && !FILLER.has(w.toLowerCase()));
  const taskIds = new Map(plan.tasks.map((t) => [t.id.toLowerCase(), t.id]));
  const groupIds = new Map((plan.groups ?? []).map((g) => [g.id.toLowerCase(), g.id]));
  const specIds = new Map((plan.specs ?? []).map((s) => [s.id.toLowerCase(), s.id]));
  if (tokens.length > 0 && tokens.every((t) => taskIds.has(t.toLowerCase()) || groupIds.has(t.toLowerCase()))) {
    return ok({ only: tokens.map((t) => taskIds.get(t.toLowerCase()) ?? (groupIds.get(t.toLowerCase()) as string)) });
  }
  if (tokens.length > 0 && tokens.every((t) => specIds.has(t.toLowerCase()))) {
    return ok({ specs: tokens.map((t) => specIds.get(t.toLowerCase()) as string) });
  }
  const query = words(tokens.join(' '));
  const noun = focus.noun?.toLowerCase();
  const wantSpecs = !noun || ['feature', 'spec', 'part', 'section'].includes(noun);
  const wantPhases = !noun || ['phase', 'sprint', 'part', 'section'].includes(noun);
  const kindFilter = noun === 'feature' ? 'feature' : undefined;
  if (wantSpecs) {
    const specs = (plan.specs ?? []).filter(
      (s) => (!kindFilter || s.kind === kindFilter) && titleMatches(`${s.id} ${s.title}`, query),
    );
    if (specs.length > 0) return ok({ specs: specs.map((s) => s.id) });
  }
  if (wantPhases) {
    const phases = plan.phases.filter((p) => titleMatches(p.title, query));
    if (phases.length > 0) return ok({ phases: phases.map((p) => p.id) });
  }
  const groups = (plan.groups ?? []).filter((g) => titleMatches(g.title, query));
  if (groups.length > 0) return ok({ only: groups.map((g) => g.id) });
  const tasks = plan.tasks.filter((t) => titleMatches(t.title, query));
  if (tasks.length > 0) return ok({ only: tasks.map((t) => t.id) });
  return err(
    errorAt(
      undefined,
      `the hint "only ${focus.text}${focus.noun ? ` ${focus.noun}` : ''}" matches no spec, phase or task title in the plan`,
    ),
  );
}

/** The options given as flags, which win over the same options in a hint. */
export interface GivenFlags {
  concurrency?: string;
  phase?: string[];
  from?: string;
  agent?: string;
  tag?: string;
  only?: string[];
  spec?: string[];
}

/**
 * The options a hint stood for, as flags, for echoing back: `--concurrency 2 --spec I001`. Values
 * come from the plan (ids a title matched): quoted, so the line can be pasted into a shell. One a
 * flag given as well overrides says so (`--concurrency 1 (overridden by --concurrency 2)`): the echo
 * must not claim what the run does not do.
 */
export function describeHintOptions(o: HintOptions, focus?: FocusScope, given: GivenFlags = {}): string {
  const parts: string[] = [];
  const flag = (name: string) => parts.push(name);
  const option = (name: string, value: string, givenValue: string | string[] | undefined) => {
    const flagValue = Array.isArray(givenValue) ? givenValue.join(',') : givenValue;
    const overridden =
      flagValue !== undefined && flagValue !== value ? ` (overridden by ${shellCommand([name, flagValue])})` : '';
    parts.push(`${shellCommand([name, value])}${overridden}`);
  };
  if (o.concurrency !== undefined) option('--concurrency', String(o.concurrency), given.concurrency);
  if (o.phases?.length) option('--phase', o.phases.join(','), given.phase);
  if (o.from) option('--from', o.from, given.from);
  for (const k of o.specKinds ?? []) flag(k === 'feature' ? '--features' : '--infrastructure');
  if (o.includeOptional) flag('--include-optional');
  if (o.withDeps) flag('--with-deps');
  if (o.dryRun) flag('--dry-run');
  if (o.agent) option('--agent', o.agent, given.agent);
  if (o.tag) option('--tag', o.tag, given.tag);
  if (focus?.phases?.length) option('--phase', focus.phases.join(','), given.phase);
  if (focus?.specs?.length) option('--spec', focus.specs.join(','), given.spec);
  if (focus?.only?.length) option('--only', focus.only.join(','), given.only);
  return parts.join(' ') || '(no options)';
}
