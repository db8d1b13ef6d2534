import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParsedOutcome, ParserFactory } from '../../src/agents/stream.js';
import type { AgentActivity, AgentRequest } from '../../src/agents/types.js';
import { makeTasks } from '../graph/helpers.js';

/** This project's hand-written samples, one per agent and one failure each. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/agent-output/', import.meta.url));
export const FAKE_AGENT = `${FIXTURES}fake-agent.mjs`;

/** Real output of the pinned CLIs, shared between projects; not every checkout has it. */
export const SHARED = fileURLToPath(new URL('../../../shared/fixtures/agent-output/', import.meta.url));
export const HAVE_SHARED = existsSync(SHARED);
if (!HAVE_SHARED) console.log(`agent conformance tests skipped: ${SHARED} is absent`);

export const fixture = (name: string) => readFileSync(`${FIXTURES}${name}`, 'utf8');
export const shared = (name: string) => readFileSync(`${SHARED}${name}`, 'utf8');

export const PROMPT = 'You are implementing one task of an implementation plan.\n\n# Task T1: add greet';

export function request(overrides: Partial<AgentRequest> = {}): AgentRequest {
  const [task] = makeTasks([{ id: 'T1' }]);
  if (!task) throw new Error('no task');
  return {
    task,
    prompt: PROMPT,
    promptFile: '/runs/r1/prompts/T1.md',
    cwd: '/workspace',
    attempt: 1,
    runId: 'r1',
    signal: new AbortController().signal,
    onOutput: () => {},
    ...overrides,
  };
}

/** Feed a recording through a parser as the runner would, line by line. */
export function parse(
  factory: ParserFactory,
  text: string,
  cwd = '/workspace',
): { activities: AgentActivity[]; outcome: ParsedOutcome } {
  const activities: AgentActivity[] = [];
  // As parserContext does: an empty activity is not shown.
  const parser = factory({ cwd, emit: (a) => (a.text ? activities.push(a) : undefined) });
  for (const line of text.split('\n')) parser.line(line);
  return { activities, outcome: parser.outcome() };
}

/** Activities of one kind, as text. */
export const kinds = (activities: AgentActivity[], kind: AgentActivity['kind']) =>
  activities.filter((a) => a.kind === kind).map((a) => a.text);
