import { chmodSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkChangedSomething,
  checkNamedFilesExist,
  checkNoNestedRepos,
  checkNoSecrets,
  filesToExist,
  isCheckOnly,
} from '../../src/gates/builtin.js';
import { compileSecretRules, type SecretRules } from '../../src/gates/secrets.js';
import { parseAddedLines, readChanges } from '../../src/gates/worktree-diff.js';
import { buildGraph, otherNamers } from '../../src/graph/index.js';
import { makeTasks } from '../graph/helpers.js';
import { type GitRepo, gitRepo, task } from './helpers.js';

const repos: GitRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/** A repository, and a worktree of it on a branch (as taskwave gives each task), with the base commit. */
function worktree(files: Record<string, string> = {}) {
  const repo = gitRepo({
    '.gitignore': 'node_modules/\n*.log\n',
    'README.md': '# app\n',
    'src/a.ts': 'export const a = 1;\n',
    ...files,
  });
  repos.push(repo);
  const dir = join(repo.dir, '.wt', 'T001');
  mkdirSync(join(repo.dir, '.wt'), { recursive: true });
  repo.git('worktree', 'add', '-q', '-b', 'taskwave/run/T001', dir, 'HEAD');
  const wt = gitRepoAt(repo, dir);
  const base = wt.git('rev-parse', 'HEAD').trim();
  return { repo, wt, base };
}

function gitRepoAt(repo: GitRepo, dir: string) {
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  return {
    dir,
    write,
    rm: (path: string) => rmSync(join(dir, path), { force: true }),
    git: (...args: string[]) => repo.git('-C', dir, ...args),
  };
}

/** The worktree's own index file (git gives it relative or absolute). */
function indexBytes(wt: { dir: string; git: (...args: string[]) => string }): Buffer {
  const p = wt.git('rev-parse', '--git-path', 'index').trim();
  return readFileSync(p.startsWith('/') ? p : join(wt.dir, p));
}

const secretRules = (): SecretRules => {
  const r = compileSecretRules([], []);
  if (!r.ok) throw new Error('rules');
  return r.value;
};

/** A fake but well-formed AWS key id, built from parts so this file holds none. */
const AWS_ID = ['AKIA', 'Z7Q3M2XK4B9RT1PL'].join('');

describe('isCheckOnly', () => {
  it('knows checkpoints and verification tasks by tag or first word', () => {
    expect(isCheckOnly(task({ tags: ['checkpoint'], title: 'Ensure all tests pass' }))).toBe(true);
    for (const title of [
      'Checkpoint: ensure all tests pass',
      'Verify the build passes',
      'validate: schema matches',
      'REVIEW the API surface',
      'Check that migrations apply',
      '**Checkpoint** - ask the user',
    ]) {
      expect(isCheckOnly(task({ title })), title).toBe(true);
    }
    for (const title of [
      'Checkout page',
      'Check-in flow',
      'Implement verify endpoint',
      'Reviewer assignment UI',
      'Add validation',
    ]) {
      expect(isCheckOnly(task({ title })), title).toBe(false);
    }
  });
});

describe('changed-something', () => {
  it('fails when the worktree is as it started', async () => {
    const { wt, base } = worktree();
    const r = await checkChangedSomething({ cwd: wt.dir, base, task: task() });
    expect(r).toMatchObject({
      name: 'changed-something',
      command: 'builtin:changed-something',
      builtin: true,
      ok: false,
      message: 'the agent changed no file',
    });
  });

  it('says so when what the task names is there but ignored by git: work a commit would never carry', async () => {
    const { wt, base } = worktree();
    wt.write('debug.log', 'written\n');
    wt.write('node_modules/x/index.js', 'written\n');
    const named = task({ title: 'Write the log', files: ['debug.log', 'node_modules/x/index.js', 'src/a.ts'] });
    const r = await checkChangedSomething({ cwd: wt.dir, base, task: named });
    expect(r).toMatchObject({
      ok: false,
      message:
        'the agent changed no file git would commit: the files the task names are ignored by git (debug.log (.gitignore:2: *.log), node_modules/x/index.js (.gitignore:1: node_modules/))',
    });
    // Named files that are not ignored (src/a.ts) change nothing in the message.
    const plain = await checkChangedSomething({ cwd: wt.dir, base, task: task({ files: ['src/a.ts'] }) });
    expect(plain).toMatchObject({ ok: false, message: 'the agent changed no file' });
  });

  it('passes on a new untracked file, a changed one, a deleted one, or a commit', async () => {
    {
      const { wt, base } = worktree();
      wt.write('src/new.ts', 'export {};\n');
      const r = await checkChangedSomething({ cwd: wt.dir, base, task: task() });
      expect(r).toMatchObject({ ok: true, outputTail: 'src/new.ts' });
      // The agent's own index is untouched: the new file is still untracked.
      expect(wt.git('status', '--porcelain')).toBe('?? src/new.ts\n');
    }
    {
      const { wt, base } = worktree();
      wt.write('src/a.ts', 'export const a = 2;\n');
      expect(await checkChangedSomething({ cwd: wt.dir, base, task: task() })).toMatchObject({ ok: true });
    }
    {
      const { wt, base } = worktree();
      wt.rm('README.md');
      expect(await checkChangedSomething({ cwd: wt.dir, base, task: task() })).toMatchObject({
        ok: true,
        outputTail: 'README.md',
      });
    }
    {
      const { wt, base } = worktree();
      wt.write('src/b.ts', 'export const b = 1;\n');
      wt.git('add', '-A');
      wt.git('commit', '-qm', 'agent commit');
      expect(await checkChangedSomething({ cwd: wt.dir, base, task: task() })).toMatchObject({
        ok: true,
        outputTail: 'src/b.ts',
      });
    }
  });

  it('does not count ignored files, files it is told to ignore, or a change undone', async () => {
    const { wt, base } = worktree();
    wt.write('node_modules/x/index.js', 'x\n');
    wt.write('debug.log', 'x\n');
    wt.write('.env', 'A=1\n');
    wt.write('config/local/settings.json', '{}\n');
    wt.write('src/a.ts', 'changed\n');
    wt.git('commit', '-qam', 'change');
    wt.write('src/a.ts', 'export const a = 1;\n');
    const r = await checkChangedSomething({ cwd: wt.dir, base, task: task(), ignore: ['./.env', 'config/'] });
    expect(r).toMatchObject({ ok: false, message: 'the agent changed no file' });
  });

  it('lets a check-only task or --allow-empty change nothing', async () => {
    const { wt, base } = worktree();
    expect(
      await checkChangedSomething({ cwd: wt.dir, base, task: task({ title: 'Checkpoint: all green' }) }),
    ).toMatchObject({
      ok: true,
      message: 'check-only task',
    });
    expect(await checkChangedSomething({ cwd: wt.dir, base, task: task(), allowEmpty: true })).toMatchObject({
      ok: true,
    });
  });

  it('fails, saying why, when git cannot tell', async () => {
    const { wt } = worktree();
    const r = await checkChangedSomething({ cwd: wt.dir, base: 'no-such-commit', task: task() });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^could not tell what changed: git diff/);
  });

  it('still sees the other files next to a nested repository git cannot add', async () => {
    const { wt, base } = worktree();
    wt.write('src/new.ts', 'x\n');
    mkdirSync(join(wt.dir, 'vendor', 'lib'), { recursive: true });
    wt.git('-C', join(wt.dir, 'vendor', 'lib'), 'init', '-q');
    const r = await readChanges(wt.dir, base);
    expect(r.ok && r.value.changed).toEqual(['src/new.ts']);
  });

  it('works in a repository with no index yet', async () => {
    const repo = gitRepo({});
    repos.push(repo);
    const base = repo.git('rev-parse', 'HEAD').trim();
    rmSync(join(repo.dir, '.git', 'index'), { force: true });
    repo.write('first.txt', 'hello\n');
    const r = await readChanges(repo.dir, base);
    expect(r.ok && r.value.changed).toEqual(['first.txt']);
  });
});

describe('no-nested-repos', () => {
  /** A folder of the worktree made a repository of its own, with a commit or without. */
  const nest = (wt: ReturnType<typeof worktree>['wt'], folder: string, commit: boolean) => {
    wt.write(`${folder}/x.txt`, 'x\n');
    const at = ['-C', join(wt.dir, folder)];
    wt.git(...at, 'init', '-q');
    if (commit) {
      wt.git(...at, 'add', '.');
      wt.git(...at, '-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-qm', 'x');
    }
  };

  it('refuses a repository the agent made, whose files git would not commit, with a commit or without', async () => {
    const { wt, base } = worktree();
    nest(wt, 'app', true);
    nest(wt, 'web', false);
    const r = await checkNoNestedRepos({ cwd: wt.dir, base, worktree: true });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('(app/.git, web/.git)');
    // In place, a repository without a commit may be the user's: no tree says whether it is new.
    const inPlace = await checkNoNestedRepos({ cwd: wt.dir, base, worktree: false });
    expect(inPlace.message).toContain('(app/.git)');
  });

  it('passes a submodule that .gitmodules names, and a worktree without any', async () => {
    const { wt, base } = worktree();
    expect((await checkNoNestedRepos({ cwd: wt.dir, base, worktree: true })).ok).toBe(true);
    nest(wt, 'vendor/lib', true);
    wt.write('.gitmodules', '[submodule "lib"]\n\tpath = vendor/lib\n\turl = ../lib\n');
    expect((await checkNoNestedRepos({ cwd: wt.dir, base, worktree: true })).ok).toBe(true);
  });
});

describe('named-files-exist', () => {
  it('finds files beside the plan, where the task wrote them, and anywhere git knows them', async () => {
    const { wt } = worktree({
      'specs/001-x/tasks.md': '- [ ] T001 x\n',
      'specs/001-x/data-model.md': '# model\n',
      'specs/001-x/contracts/api.md': '# api\n',
      'src/pkg/models/user.py': 'class User: pass\n',
    });
    wt.write('src/pkg/lib/yamlio.py', 'def load(): pass\n');
    const named = (files: string[], changed?: string[]) =>
      checkNamedFilesExist({ cwd: wt.dir, task: task({ files }), changed });
    // Spec documents named as the plan's links name them, relative to the plan's folder.
    expect(await named(['data-model.md', 'contracts/api.md'])).toMatchObject({ ok: true });
    // A bare name the task wrote in a folder of its own.
    expect(await named(['yamlio.py'], ['src/pkg/lib/yamlio.py'])).toMatchObject({ ok: true });
    // A name given without its whole path, known to git (tracked, or new and not ignored).
    expect(await named(['models/user.py', 'yamlio.py'])).toMatchObject({ ok: true });
    // A name nowhere at all is still missing.
    expect(await named(['src/pkg/lib/versioning.py', 'project.py'])).toMatchObject({
      ok: false,
      message: 'missing after the task: src/pkg/lib/versioning.py, project.py',
    });
  });

  it('lets pass a missing file that a task which may not have run yet names too, and only that one', async () => {
    const { wt } = worktree();
    wt.write('src/b.py', 'b = 1\n');
    // I001.3 and I001.4 share a layer; I001.4 names the file I001.3 creates, and one of its own.
    const graph = buildGraph(
      makeTasks([
        { id: 'I001.2', files: ['src/base.py'] },
        { id: 'I001.3', deps: ['I001.2'], files: ['src/a.py'] },
        { id: 'I001.4', deps: ['I001.2'], files: ['src/a.py', 'src/b.py', 'src/base.py', 'src/c.py'] },
      ]),
    );
    const others = otherNamers(graph);
    const check = (files: string[]) =>
      checkNamedFilesExist({
        cwd: wt.dir,
        task: task({ id: 'I001.4', files }),
        namedByOther: (f) => others('I001.4', f),
      });
    expect(await check(['src/a.py', 'src/b.py'])).toMatchObject({
      ok: true,
      message: '1 file(s) present; left to tasks that name them too: src/a.py (I001.3)',
    });
    // Its own file, and a file its prerequisite names (that one has run), are still its to find.
    expect(await check(['src/a.py', 'src/b.py', 'src/base.py', 'src/c.py'])).toMatchObject({
      ok: false,
      message: 'missing after the task: src/base.py, src/c.py',
    });
  });

  it('picks the relative file paths inside the repository', () => {
    const t = task({
      files: [
        'src/models/user.py',
        'package.json',
        'src/components/',
        'Makefile',
        'src/**/*.ts',
        'https://example.com/a.json',
        '/etc/hosts.conf',
        '../other/x.ts',
        'C:\\x\\y.ts',
        '~/notes.md',
        'src/models/user.py',
      ],
    });
    expect(filesToExist(t)).toEqual(['src/models/user.py', 'package.json', 'src/components/', 'Makefile']);
    // Words with a slash, routes and extensionless paths name no file to check.
    expect(filesToExist(task({ files: ['US1/AC2', 'api/account', 'users/:id/posts.json', 'src/.env'] }))).toEqual([
      'src/.env',
    ]);
    expect(filesToExist(task({ title: 'Remove the legacy client', files: ['src/legacy.ts'] }))).toEqual([]);
  });

  it('passes when every named file is there, and lists what is missing', async () => {
    const { wt } = worktree();
    wt.write('tests/test_user.py', 'def test(): pass\n');
    const good = await checkNamedFilesExist({ cwd: wt.dir, task: task({ files: ['src/a.ts', 'tests/test_user.py'] }) });
    expect(good).toMatchObject({
      name: 'named-files-exist',
      command: 'builtin:named-files-exist',
      builtin: true,
      ok: true,
    });
    const files = ['src/a.ts', ...Array.from({ length: 7 }, (_, i) => `src/m${i}.ts`)];
    const bad = await checkNamedFilesExist({ cwd: wt.dir, task: task({ files }) });
    expect(bad).toMatchObject({
      ok: false,
      message: 'missing after the task: src/m0.ts, src/m1.ts, src/m2.ts, src/m3.ts, src/m4.ts and 2 more',
    });
    expect(bad.outputTail.split('\n')).toHaveLength(7);
    expect(await checkNamedFilesExist({ cwd: wt.dir, task: task() })).toMatchObject({
      ok: true,
      message: 'no file to check',
    });
  });
});

describe('no-secrets', () => {
  it('finds a secret in a new untracked file without touching the index', async () => {
    const { wt, base } = worktree();
    wt.write('config/aws.ts', `// keys\nexport const id = "${AWS_ID}";\n`);
    const indexBefore = indexBytes(wt);
    const r = await checkNoSecrets({ cwd: wt.dir, base, rules: secretRules() });
    expect(r).toMatchObject({
      name: 'no-secrets',
      command: 'builtin:no-secrets',
      builtin: true,
      ok: false,
      findings: ['config/aws.ts:2: aws-access-key-id (AKIA…)'],
      message: 'possible secret: config/aws.ts:2: aws-access-key-id (AKIA…)',
    });
    expect(r.outputTail).not.toContain(AWS_ID);
    expect(wt.git('status', '--porcelain')).toBe('?? config/\n');
    const indexAfter = indexBytes(wt);
    expect(indexAfter.equals(indexBefore)).toBe(true);
  });

  it('looks at committed and changed lines, and only at added ones', async () => {
    const { wt, base } = worktree({ 'old.env': `OLD=${AWS_ID}\n`, 'src/keep.ts': 'a\nb\nc\n' });
    // Removing an old secret is no finding; moving a file that holds one is none either.
    wt.git('mv', 'old.env', 'moved.env');
    wt.write('src/keep.ts', `a\nb\nconst k = "${AWS_ID}";\nc\n`);
    wt.git('commit', '-qam', 'agent');
    wt.write('src/late.ts', `x\n${['-----BEGIN ', 'PRIVATE KEY-----'].join('')}\n`);
    const r = await checkNoSecrets({ cwd: wt.dir, base, rules: secretRules() });
    expect(r.findings).toEqual(['src/keep.ts:3: aws-access-key-id (AKIA…)', 'src/late.ts:2: private-key (----…)']);
    expect(r.message).toBe('2 possible secrets: src/keep.ts:3: aws-access-key-id (AKIA…), …');
  });

  it('passes a clean diff, ignored files and allowed findings', async () => {
    const { wt, base } = worktree();
    wt.write('src/b.ts', 'export const token = process.env.API_TOKEN;\n');
    wt.write('debug.log', `${AWS_ID}\n`);
    wt.write('test/fixtures/keys.txt', `${AWS_ID}\n`);
    const rules = compileSecretRules([], ['^test/fixtures/']);
    if (!rules.ok) throw new Error('rules');
    const r = await checkNoSecrets({ cwd: wt.dir, base, rules: rules.value });
    expect(r).toMatchObject({ ok: true, findings: [] });
  });

  it('reads paths git quotes', async () => {
    const { wt, base } = worktree();
    wt.write('docs/naïve notes.md', `key ${AWS_ID}\n`);
    wt.write('docs/tab\tname.txt', `key ${AWS_ID}\n`);
    const r = await readChanges(wt.dir, base);
    expect(r.ok && r.value.added).toEqual([
      { path: 'docs/naïve notes.md', line: 1, text: `key ${AWS_ID}` },
      { path: 'docs/tab\tname.txt', line: 1, text: `key ${AWS_ID}` },
    ]);
  });

  it('fails when the diff cannot be read', async () => {
    const { wt } = worktree();
    const r = await checkNoSecrets({ cwd: wt.dir, base: 'nope', rules: secretRules() });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^could not read the diff: /);
  });
});

describe('parseAddedLines', () => {
  it('numbers added lines by the new file, skipping headers and removed lines', () => {
    const diff = [
      'diff --git a/x.txt b/x.txt',
      'index 1..2 100644',
      '--- a/x.txt',
      '+++ b/x.txt',
      '@@ -1,2 +1,2 @@',
      '-old',
      '+new',
      ' same',
      '@@ -10 +10,2 @@ fn()',
      '+++ not a header',
      '+second',
      '\\ No newline at end of file',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      '',
    ].join('\n');
    expect(parseAddedLines(diff)).toEqual([
      { path: 'x.txt', line: 1, text: 'new' },
      { path: 'x.txt', line: 10, text: '++ not a header' },
      { path: 'x.txt', line: 11, text: 'second' },
    ]);
  });
});

describe('readChanges', () => {
  it('reads paths, deletions and added lines from one diff: renames, binary files, modes, quoted names', async () => {
    const { wt, base } = worktree({ 'old.txt': 'move me\nline 2\nline 3\n', 'gone.txt': 'bye\n', 'bin.dat': 'x\0y' });
    wt.git('mv', 'old.txt', 'moved.txt');
    wt.rm('gone.txt');
    wt.write('bin.dat', 'x\0z');
    wt.write('naïve new.txt', 'hello\n');
    wt.write('src/a.ts', 'export const a = 1;\nexport const b = 2;\n');
    chmodSync(join(wt.dir, 'README.md'), 0o755);
    const r = await readChanges(wt.dir, base);
    if (!r.ok) throw new Error(r.error);
    expect([...r.value.changed].sort()).toEqual(
      ['README.md', 'bin.dat', 'gone.txt', 'moved.txt', 'naïve new.txt', 'old.txt', 'src/a.ts'].sort(),
    );
    expect([...r.value.deleted].sort()).toEqual(['gone.txt', 'old.txt']);
    expect(r.value.added).toEqual([
      { path: 'naïve new.txt', line: 1, text: 'hello' },
      { path: 'src/a.ts', line: 2, text: 'export const b = 2;' },
    ]);
  });

  it('sees a same-size edit whose file times match the index (git compares the content of such racy entries)', async () => {
    const { wt, base } = worktree({ 'plan.md': '- [ ] T001\n' });
    const file = join(wt.dir, 'plan.md');
    const then = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    utimesSync(file, then, then);
    wt.git('update-index', '--refresh');
    const index = wt.git('rev-parse', '--git-path', 'index').trim();
    const indexFile = index.startsWith('/') ? index : join(wt.dir, index);
    // The checkout, the index and the agent's edit all in the same second: only the content tells.
    writeFileSync(file, '- [x] T001\n');
    utimesSync(file, then, then);
    utimesSync(indexFile, then, then);
    const r = await readChanges(wt.dir, base);
    expect(r.ok && r.value.changed).toEqual(['plan.md']);
  });

  it('reads nothing from a worktree as it started', async () => {
    const { wt, base } = worktree();
    expect(await readChanges(wt.dir, base)).toEqual({
      ok: true,
      value: { changed: [], deleted: [], added: [], nestedRepos: [], unaddableRepos: [] },
    });
  });
});
