import { describe, expect, it } from 'vitest';
import {
  displayCommand,
  gateSpec,
  gateSpecs,
  gatesFromConfig,
  isTestFile,
  taskGatesFromPlan,
  taskTestFiles,
} from '../../src/gates/specs.js';
import { task } from './helpers.js';

describe('gateSpec', () => {
  it('takes a shell string as its own name', () => {
    expect(gateSpec('npm test -- --run', 'gates.task[0]')).toEqual({
      ok: true,
      value: { name: 'npm test -- --run', command: 'npm test -- --run' },
    });
  });

  it('names an argv by joining it, quoting what a shell would split', () => {
    const r = gateSpec(['pytest', '-k', 'not slow', "it's"], 'gates.task[0]');
    expect(r).toEqual({
      ok: true,
      value: { name: `pytest -k 'not slow' 'it'\\''s'`, command: ['pytest', '-k', 'not slow', "it's"] },
    });
  });

  it('reads the object form with a name and a timeout', () => {
    expect(gateSpec({ name: 'unit', run: ['npm', 'test'], timeout: '10m' }, 'gates.task[0]')).toEqual({
      ok: true,
      value: { name: 'unit', command: ['npm', 'test'], timeoutMs: 600_000 },
    });
    expect(gateSpec({ run: 'make lint', timeout: 90 }, 'x')).toEqual({
      ok: true,
      value: { name: 'make lint', command: 'make lint', timeoutMs: 90_000 },
    });
    // A blank name is no name.
    expect(gateSpec({ name: '  ', run: 'make' }, 'x')).toMatchObject({ ok: true, value: { name: 'make' } });
  });

  it('rejects a bad timeout and an empty command, saying where', () => {
    expect(gateSpec({ run: 'make', timeout: 'soon' }, 'gates.phase[1]')).toEqual({
      ok: false,
      error: 'gates.phase[1]: timeout "soon" is not a duration such as 30m, 1h30m, 90s',
    });
    expect(gateSpec('  ', 'gates.task[0]')).toEqual({ ok: false, error: 'gates.task[0]: the command is empty' });
    expect(gateSpec([], 'gates.task[1]')).toEqual({ ok: false, error: 'gates.task[1]: the command is empty' });
  });
});

describe('gateSpecs and gatesFromConfig', () => {
  it('reports every bad entry at once', () => {
    expect(gateSpecs(['ok', '', { run: 'x', timeout: 'never' }], 'gates.task')).toEqual({
      ok: false,
      error: [
        'gates.task[1]: the command is empty',
        'gates.task[2]: timeout "never" is not a duration such as 30m, 1h30m, 90s',
      ],
    });
    expect(gateSpecs(undefined, 'gates.final')).toEqual({ ok: true, value: [] });
  });

  it('reads the whole section, one gate at a time by default', () => {
    expect(gatesFromConfig(undefined)).toEqual({ ok: true, value: { task: [], phase: [], final: [], concurrency: 1 } });
    const r = gatesFromConfig({
      task: ['npm test'],
      phase: [['npm', 'run', 'build']],
      final: [{ name: 'e2e', run: 'make e2e' }],
      concurrency: 2,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        task: [{ name: 'npm test', command: 'npm test' }],
        phase: [{ name: 'npm run build', command: ['npm', 'run', 'build'] }],
        final: [{ name: 'e2e', command: 'make e2e' }],
        concurrency: 2,
      },
    });
    expect(gatesFromConfig({ concurrency: 0, final: [''] })).toEqual({
      ok: false,
      error: [
        'gates.final[0]: the command is empty',
        'gates.concurrency: expected a whole number of at least 1, got 0',
      ],
    });
  });
});

describe('test files a task names', () => {
  it('recognises the common test file names in any folder', () => {
    for (const f of [
      'tests/contract/test_users.py',
      'src/a.test.ts',
      'web/components/Button.spec.tsx',
      'pkg/store/store_test.go',
      'test_main.py',
      'C:\\proj\\src\\b.test.js',
    ]) {
      expect(isTestFile(f), f).toBe(true);
    }
    for (const f of [
      'src/test/helpers.ts',
      'tests/conftest.py',
      'src/testing.py',
      'test_data.json',
      'spec.md',
      'latest.ts',
    ]) {
      expect(isTestFile(f), f).toBe(false);
    }
  });

  it('lists only the test files, and makes no command of them', () => {
    const t = task({ files: ['src/models/user.py', 'tests/unit/test_user.py', 'src/user.spec.ts'] });
    expect(taskTestFiles(t)).toEqual(['tests/unit/test_user.py', 'src/user.spec.ts']);
    expect(taskGatesFromPlan(t)).toEqual([]);
  });
});

describe('displayCommand', () => {
  it('leaves a string alone and quotes argv words that need it', () => {
    expect(displayCommand('a | b')).toBe('a | b');
    expect(displayCommand(['echo', '', 'a b', 'x=1', '$HOME'])).toBe(`echo '' 'a b' x=1 '$HOME'`);
  });
});
