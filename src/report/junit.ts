/**
 * `--junit FILE`: the run as JUnit XML, the format CI systems show as test results. One suite of
 * tasks (a test case each) and one of gate results (a test case each: task, phase and final gates).
 */
import type { GateResult } from '../gates/types.js';
import type { ExecutionState, TaskRecordStatus } from '../state/execution.js';
import { clip, oneLine, type ReportPlan, scopedTasks, stripAnsi } from './report-md.js';

interface Case {
  classname: string;
  name: string;
  seconds: number;
  failure?: { message: string; type: string; text: string };
  skipped?: string;
}

const FAILED: ReadonlySet<TaskRecordStatus> = new Set(['failed', 'conflict', 'unverified']);

/** Characters XML 1.0 forbids: controls (but tab and newlines), lone surrogates, U+FFFE and U+FFFF. */
const NOT_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the characters XML forbids is the point.
  /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/g;

/** Text content: terminal escapes and forbidden characters dropped, markup characters escaped. */
export function xmlText(s: string): string {
  return stripAnsi(s)
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An attribute value: escaped, and newlines kept as references (a parser would turn them into spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function seconds(ms: number | undefined): number {
  return (ms ?? 0) / 1000;
}

function secondsAttr(s: number): string {
  return s.toFixed(3);
}

function taskCases(state: ExecutionState, plan: ReportPlan): Case[] {
  return scopedTasks(state, plan).map((t) => {
    const c: Case = {
      classname: t.phase ?? 'tasks',
      name: `${t.id} ${oneLine(t.title)}`,
      seconds: seconds(t.rec.durationMs),
    };
    const s = t.rec.status;
    if (FAILED.has(s)) {
      const text = t.rec.error ?? s;
      c.failure = { type: s, message: clip(oneLine(text), 300), text };
    } else if (s !== 'done') {
      const why: Record<string, string> = {
        blocked: t.rec.error ?? 'blocked by a task that did not finish',
        cancelled: 'interrupted',
        pending: 'not started',
        running: 'still running when the run ended',
        skipped: 'skipped',
      };
      c.skipped = why[s] ?? s;
    }
    return c;
  });
}

function gateCase(classname: string, g: GateResult): Case {
  const c: Case = { classname, name: g.name, seconds: seconds(g.durationMs) };
  if (!g.ok) {
    const message = g.message ?? (g.timedOut ? 'timed out' : 'failed');
    c.failure = { type: g.timedOut ? 'timeout' : 'gate', message, text: `$ ${g.command}\n${g.outputTail}` };
  }
  return c;
}

function gateCases(state: ExecutionState, plan: ReportPlan): Case[] {
  const cases: Case[] = [];
  for (const t of scopedTasks(state, plan)) for (const g of t.rec.gates ?? []) cases.push(gateCase(t.id, g));
  for (const [phase, list] of Object.entries(state.gates?.phase ?? {})) {
    for (const g of list) cases.push(gateCase(`phase ${phase}`, g));
  }
  for (const g of state.gates?.final ?? []) cases.push(gateCase('final', g));
  return cases;
}

interface SuiteTotals {
  tests: number;
  failures: number;
  skipped: number;
  seconds: number;
}

function totals(cases: readonly Case[]): SuiteTotals {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
    seconds: cases.reduce((s, c) => s + c.seconds, 0),
  };
}

function totalsAttrs(t: SuiteTotals): string {
  return `tests="${t.tests}" failures="${t.failures}" errors="0" skipped="${t.skipped}" time="${secondsAttr(t.seconds)}"`;
}

function suite(name: string, cases: readonly Case[], timestamp: string): string[] {
  const lines = [
    `  <testsuite name="${xmlAttr(name)}" ${totalsAttrs(totals(cases))} timestamp="${xmlAttr(timestamp)}">`,
  ];
  for (const c of cases) {
    const open = `    <testcase classname="${xmlAttr(c.classname)}" name="${xmlAttr(c.name)}" time="${secondsAttr(c.seconds)}"`;
    if (c.failure) {
      lines.push(`${open}>`);
      lines.push(
        `      <failure message="${xmlAttr(c.failure.message)}" type="${xmlAttr(c.failure.type)}">${xmlText(c.failure.text)}</failure>`,
      );
      lines.push('    </testcase>');
    } else if (c.skipped !== undefined) {
      lines.push(`${open}>`, `      <skipped message="${xmlAttr(c.skipped)}"/>`, '    </testcase>');
    } else {
      lines.push(`${open}/>`);
    }
  }
  lines.push('  </testsuite>');
  return lines;
}

/** The run's tasks and gates as JUnit XML. */
export function renderJUnit(state: ExecutionState, plan: ReportPlan): string {
  const tasks = taskCases(state, plan);
  const gates = gateCases(state, plan);
  // JUnit timestamps carry no zone in the schema; most readers take ISO 8601 without one.
  const started = new Date(state.startedAt);
  const timestamp = Number.isNaN(started.getTime()) ? state.startedAt : started.toISOString().slice(0, 19);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttr(`taskwave ${state.runId}`)}" ${totalsAttrs(totals([...tasks, ...gates]))}>`,
    ...suite(`taskwave ${state.runId} tasks`, tasks, timestamp),
    ...suite(`taskwave ${state.runId} gates`, gates, timestamp),
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}
