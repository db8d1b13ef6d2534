import { describe, expect, it } from 'vitest';
import { FileLocks, normalizeFilePath, referenceDocuments } from '../../src/graph/index.js';

const t = (id: string, ...files: string[]) => ({ id, files });

describe('normalizeFilePath', () => {
  it.each([
    ['./src/a.ts', 'src/a.ts'],
    ['src//a.ts', 'src/a.ts'],
    ['././src/./a.ts', 'src/a.ts'],
    ['src/x/../a.ts', 'src/a.ts'],
    ['src\\a.ts', 'src/a.ts'],
    ['src/dir/', 'src/dir'],
    ['/abs//a.ts', '/abs/a.ts'],
    ['../up/a.ts', '../up/a.ts'],
    ['./', '.'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeFilePath(input)).toBe(expected);
  });

  it('is case-sensitive', () => {
    expect(normalizeFilePath('Src/A.ts')).not.toBe(normalizeFilePath('src/a.ts'));
  });
});

describe('FileLocks', () => {
  it('keeps two tasks naming the same file apart', () => {
    const locks = new FileLocks();
    const a = t('A', 'src/a.ts', 'src/shared.ts');
    const b = t('B', './src//shared.ts');
    const c = t('C', 'src/c.ts');
    expect(locks.canStart(a)).toBe(true);
    locks.acquire(a);
    expect(locks.canStart(b)).toBe(false);
    expect(locks.conflicts(b)).toEqual([{ file: 'src/shared.ts', heldBy: 'A' }]);
    expect(() => locks.acquire(b)).toThrow('B cannot take src/shared.ts: A holds it');
    expect(locks.canStart(c)).toBe(true);
    locks.acquire(c);
    expect(locks.holder('./src/c.ts')).toBe('C');
    expect(locks.size).toBe(3);
    locks.release(a);
    expect(locks.canStart(b)).toBe(true);
    locks.acquire(b);
    expect(locks.holder('src/shared.ts')).toBe('B');
  });

  it('lets tasks without files always start, and a task never conflicts with itself', () => {
    const locks = new FileLocks();
    const a = t('A', 'x', './x');
    locks.acquire(a);
    expect(locks.canStart(a)).toBe(true);
    expect(locks.canStart(t('B'))).toBe(true);
    expect(locks.size).toBe(1);
  });

  it('release only gives back files the task holds', () => {
    const locks = new FileLocks();
    locks.acquire(t('A', 'x'));
    locks.release(t('B', 'x'));
    expect(locks.holder('x')).toBe('A');
    locks.release(t('A', 'x'));
    expect(locks.holder('x')).toBeUndefined();
    expect(locks.size).toBe(0);
  });

  it('treats different case as different files', () => {
    const locks = new FileLocks();
    locks.acquire(t('A', 'README.md'));
    expect(locks.canStart(t('B', 'readme.md'))).toBe(true);
  });
});

describe('reference documents', () => {
  const isReference = referenceDocuments(
    ['/repo/specs/001-x/data-model.md', '/repo/specs/001-x/spec.md', '/repo/specs/001-x/contracts'],
    '/repo/specs/001-x',
    '/repo',
  );

  it('knows the plan’s documents by their path from the root or from the plan’s folder, and what a folder holds', () => {
    expect(isReference('data-model.md')).toBe(true);
    expect(isReference('specs/001-x/spec.md')).toBe(true);
    expect(isReference('./specs/001-x/contracts/api.yaml')).toBe(true);
    expect(isReference('contracts/events.md')).toBe(true);
    expect(isReference('src/data-model.md')).toBe(false);
    expect(isReference('contracts-old/x.md')).toBe(false);
    expect(isReference('specs/002-y/spec.md')).toBe(false);
  });

  it('are never locked: two tasks that name one may run together, their own files still keep them apart', () => {
    const locks = new FileLocks(isReference);
    const a = t('A', 'src/models/user.py', 'data-model.md');
    const b = t('B', 'src/models/order.py', 'specs/001-x/data-model.md');
    const c = t('C', 'src/models/user.py', 'contracts/api.yaml');
    locks.acquire(a);
    expect(locks.canStart(b)).toBe(true);
    expect(locks.conflicts(c)).toEqual([{ file: 'src/models/user.py', heldBy: 'A' }]);
    locks.acquire(b);
    expect(locks.holder('data-model.md')).toBeUndefined();
    locks.release(a);
    expect(locks.canStart(c)).toBe(true);
  });
});
