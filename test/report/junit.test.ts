import { describe, expect, it } from 'vitest';
import { renderJUnit, xmlAttr, xmlText } from '../../src/report/junit.js';
import { at, gate, mixedState, plan, stateWith } from './fixture.js';
import { parseXml, type XmlElement } from './xml-check.js';

function num(el: XmlElement, attr: string): number {
  return Number(el.attrs[attr]);
}

describe('xml escaping', () => {
  it('escapes markup characters and drops what XML forbids', () => {
    expect(xmlText(`a & b < c > d " e ' f`)).toBe('a &amp; b &lt; c &gt; d &quot; e &apos; f');
    expect(xmlText('bell\u0007 nul\u0000 esc\u001b[31mred\u001b[0m tab\tok\nline')).toBe(
      'bell nul escred tab\tok\nline',
    );
    expect(xmlText('lone \ud800 surrogate, pair 😀 kept, \uffff gone')).toBe('lone  surrogate, pair 😀 kept,  gone');
    expect(xmlAttr('two\nlines')).toBe('two&#10;lines');
  });

  it('rejects what the checker should reject (the checker itself works)', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow(/bare &/);
    expect(() => parseXml('<a>1 < 2</a>')).toThrow();
    expect(() => parseXml('<a>\u0001</a>')).toThrow(/forbidden/);
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/duplicate/);
    expect(parseXml('<a x="&lt;&#10;"><b/>t&amp;</a>')).toMatchObject({ attrs: { x: '<\n' }, text: 't&' });
  });
});

describe('renderJUnit', () => {
  const xml = renderJUnit(mixedState(), plan);
  const root = parseXml(xml);
  const [tasks, gates] = root.children as [XmlElement, XmlElement];

  it('is well-formed, with one suite of tasks and one of gates', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(root.name).toBe('testsuites');
    expect(root.children.map((s) => s.attrs.name)).toEqual([
      'taskwave r-20250102-1000 tasks',
      'taskwave r-20250102-1000 gates',
    ]);
  });

  it('has one test case per task of the run, with phase, id, title and time', () => {
    expect(tasks.children.map((c) => c.attrs.name)).toEqual([
      'T001 Create the project',
      'T002 Add the | parser with a second line',
      'T003 Write the store',
      'T004 Wire the CLI',
      'T005 Docs',
      'T006 Release notes',
    ]);
    const t1 = tasks.children[0] as XmlElement;
    expect(t1.attrs).toMatchObject({ classname: '1', time: '6000.000' });
    expect(t1.children).toEqual([]);
  });

  it('fails failed, conflicting and unverified tasks with their error, and skips the blocked', () => {
    const kinds = tasks.children.map((c) => c.children[0]?.name ?? 'passed');
    expect(kinds).toEqual(['passed', 'failure', 'failure', 'failure', 'skipped', 'passed']);
    const conflict = tasks.children[2]?.children[0] as XmlElement;
    expect(conflict.attrs.type).toBe('conflict');
    expect(conflict.text).toContain('branch taskwave/r-20250102-1000/T003');
    expect(tasks.children[4]?.children[0]?.attrs.message).toBe('blocked by T004');
  });

  it('counts tests, failures, skipped and time right on every level', () => {
    expect(tasks.attrs).toMatchObject({ tests: '6', failures: '3', skipped: '1', errors: '0' });
    expect(num(tasks, 'time')).toBeCloseTo((100 + 45 + 15 + 5 + 8) * 60, 3);
    expect(gates.attrs).toMatchObject({ tests: '5', failures: '2', skipped: '0' });
    expect(num(gates, 'time')).toBeCloseTo(1.2 * 4 + 30, 3);
    expect(root.attrs).toMatchObject({ tests: '11', failures: '5', skipped: '1', errors: '0' });
    expect(num(root, 'time')).toBeCloseTo(num(tasks, 'time') + num(gates, 'time'), 3);
    for (const suite of [tasks, gates]) {
      const sum = suite.children.reduce((s, c) => s + num(c, 'time'), 0);
      expect(num(suite, 'time')).toBeCloseTo(sum, 2);
    }
  });

  it('names gate cases by where they ran, failing with the command and the output tail', () => {
    expect(gates.children.map((c) => `${c.attrs.classname}/${c.attrs.name}`)).toEqual([
      'T001/no-secrets',
      'T001/test',
      'T002/test',
      'phase 1/build',
      'final/e2e',
    ]);
    const f = gates.children[2]?.children[0] as XmlElement;
    expect(f.attrs).toMatchObject({ message: 'exit 1', type: 'gate' });
    expect(f.text).toBe('$ npm test\nFAIL parser.test.ts\n```js\nexpect(x).toBe(1)\n```\nand a ```` run of four\nred');
    expect(gates.children[4]?.children[0]?.attrs).toMatchObject({ type: 'timeout', message: 'timed out after 10m' });
  });

  it('survives hostile titles, errors and output', () => {
    const nasty = `<script>"x" & 'y'\u0000\u0008]]>`;
    const state = stateWith({
      T003: {
        title: `Write ${nasty}`,
        status: 'failed',
        attempts: 1,
        startedAt: at('10:00'),
        durationMs: 1234,
        error: `boom ${nasty}\nsecond line`,
        gates: [
          gate({ name: `lint ${nasty}`, ok: false, message: nasty, outputTail: `${nasty}\n\u001b[1mbold\u001b[0m` }),
        ],
      },
      T004: { title: 'Wire the CLI', status: 'running', attempts: 1, startedAt: at('10:00') },
      T005: { title: 'Docs', status: 'cancelled', attempts: 1, startedAt: at('10:00') },
      T006: { title: 'Release notes', status: 'pending', attempts: 0 },
    });
    const out = renderJUnit(state, plan);
    const r = parseXml(out);
    const [t, g] = r.children as [XmlElement, XmlElement];
    const clean = `<script>"x" & 'y']]>`;
    expect(t.children[0]?.attrs.name).toBe(`T003 Write ${clean}`);
    expect(t.children[0]?.attrs.time).toBe('1.234');
    expect(t.children[0]?.children[0]?.text).toBe(`boom ${clean}\nsecond line`);
    expect(t.children[0]?.children[0]?.attrs.message).toBe(`boom ${clean} second line`);
    expect(g.children[0]?.attrs.name).toBe(`lint ${clean}`);
    expect(g.children[0]?.children[0]?.text).toBe(`$ lint ${clean}\n${clean}\nbold`);
    expect(t.attrs).toMatchObject({ tests: '4', failures: '1', skipped: '3' });
    expect(t.children.slice(1).map((c) => c.children[0]?.attrs.message)).toEqual([
      'still running when the run ended',
      'interrupted',
      'not started',
    ]);
  });
});
