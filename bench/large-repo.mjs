#!/usr/bin/env node
// Large repositories: ways to give a task its own working tree of a 50,000-file repository, and what
// `git status` costs there. Builds the repository once (in a temp dir, removed at the end), then
// measures each way several times (median) and prints one JSON line per row:
//   {method, createMs, removeMs, statusMs, correct, notes}
// preceded by one {method: 'setup', ...} line describing the repository and the filesystem.
//   BENCH_LARGE_FILES=n   files in the repository (default 50000)
//   BENCH_LARGE_REPS=r    repetitions per way (default 3)
//   BENCH_LARGE_DIR=dir   where to build it. Default: /dev/shm (tmpfs) where there is one, so that the
//                         figures are git's own work; else the temp dir. The filesystem matters a lot:
//                         on ext4 without a journal (this project's CI machines' /tmp) every new inode
//                         skips the ones freed in the last minute (the kernel's recently_deleted()),
//                         so a 50,000-file checkout right after another one was removed takes 10-20 s.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  appendFileSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const N = Number(process.env.BENCH_LARGE_FILES ?? 50_000);
const REPS = Number(process.env.BENCH_LARGE_REPS ?? 3);
const shm = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
})();
const where = process.env.BENCH_LARGE_DIR || shm || tmpdir();

// git as taskwave runs it (no prompts, no optional locks: `git status` never rewrites the index), with
// the user's own configuration (checkout.workers, core.untrackedCache, ...) kept out of the figures.
const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };
for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR']) delete env[k];
Object.assign(env, { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });
const ident = ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'gc.auto=0'];

const git = (cwd, args, extraEnv) =>
  execFileSync('git', [...ident, ...args], {
    cwd,
    env: extraEnv ? { ...env, ...extraEnv } : env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const timed = (fn) => {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? null
    : Math.round(s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
const STATUS = ['status', '--porcelain=v1', '-z', '--untracked-files=all'];

// The repository: pkgNN/modN/dN/fileNN.ts, 2,000 leaf directories of 25 files (fewer for a small N);
// one file in 20 is ~7 KB, the rest ~1.4 KB. Contents are deterministic, so a sample can be checked.
const DIRS = Math.max(1, Math.min(2000, Math.ceil(N / 25)));
const TOP = Math.ceil(DIRS / 100);
const pathOf = (i) => {
  const d = i % DIRS;
  return `pkg${String(Math.floor(d / 100)).padStart(2, '0')}/mod${Math.floor(d / 10) % 10}/d${d % 10}/file${String(Math.floor(i / DIRS)).padStart(2, '0')}.ts`;
};
const contentOf = (i) => {
  let s = `// ${pathOf(i)}\nexport const id${i} = ${i};\n`;
  let x = (i * 2654435761) >>> 0;
  for (let l = 0, lines = i % 20 === 0 ? 100 : 18; l < lines; l++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += `export function f${l}_${x.toString(36)}(a: number): number { return a * ${x % 1000} + ${l}; }\n`;
  }
  return s;
};

const root = mkdtempSync(join(where, 'taskwave-large-'));
const repo = join(root, 'repo');
const state = join(repo, '.taskwave');
const wtDir = join(state, 'worktrees', 'bench');
const out = (row) => console.log(JSON.stringify(row));
// Killed (a timeout, ^C): still remove the repository. The handlers run between repetitions, where
// the loop below lets the event loop in.
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(sig, () => {
    rmSync(root, { recursive: true, force: true });
    process.exit(code);
  });
}
const breathe = () => new Promise((r) => setImmediate(r));

try {
  // ---- the repository, with git fast-import (one pack) and a checkout. Writing the files and `git add`
  // takes about as long on tmpfs, but makes 50,000 loose objects to repack, whose 50,000 freed inodes
  // then slow down the checkouts measured next on ext4 without a journal.
  const t0 = performance.now();
  git(root, ['init', '--quiet', '-b', 'main', repo]);
  const parts = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const c = Buffer.from(contentOf(i));
    bytes += c.length;
    parts.push(Buffer.from(`blob\nmark :${i + 1}\ndata ${c.length}\n`), c, Buffer.from('\n'));
  }
  const tree = [];
  for (let i = 0; i < N; i++) tree.push(`M 100644 :${i + 1} ${pathOf(i)}\n`);
  parts.push(
    Buffer.from(`commit refs/heads/main\ncommitter bench <bench@localhost> 1700000000 +0000\ndata 7\ninitial\n`),
    Buffer.from(tree.join('')),
    Buffer.from('\n'),
  );
  const fi = spawnSync('git', ['-C', repo, 'fast-import', '--quiet'], {
    env,
    input: Buffer.concat(parts),
    maxBuffer: 1 << 26,
  });
  if (fi.status !== 0) throw new Error(`git fast-import failed: ${fi.stderr}`);
  parts.length = 0;
  const t1 = performance.now();
  git(repo, ['reset', '--hard', '--quiet']);
  const t2 = performance.now();
  mkdirSync(wtDir, { recursive: true });
  writeFileSync(join(state, '.gitignore'), '*\n'); // as taskwave's state folder keeps itself out of git
  const base = git(repo, ['rev-parse', 'HEAD']).trim();
  const fsType = execFileSync('stat', ['-f', '-c', '%T', root], { encoding: 'utf8' }).trim();
  writeFileSync(join(root, 'reflink-a'), 'x');
  const reflink = spawnSync('cp', ['--reflink=always', join(root, 'reflink-a'), join(root, 'reflink-b')]).status === 0;
  const packMb = readdirSync(join(repo, '.git', 'objects', 'pack'))
    .filter((f) => f.endsWith('.pack'))
    .reduce((s, f) => s + statSync(join(repo, '.git', 'objects', 'pack', f)).size, 0);
  out({
    method: 'setup',
    files: N,
    dirs: DIRS,
    mb: Math.round(bytes / 2 ** 20),
    packMb: Math.round(packMb / 2 ** 20),
    fastImportMs: Math.round(t1 - t0),
    checkoutMs: Math.round(t2 - t1),
    fs: fsType,
    dir: where,
    reflink,
    git: git(root, ['--version'])
      .trim()
      .replace(/^git version /, ''),
    reps: REPS,
  });

  const tracked = Array.from({ length: N }, (_, i) => pathOf(i));
  const samples = Array.from({ length: 50 }, (_, k) => Math.floor((k * N) / 50) + (k % 7));

  /** What taskwave needs of a task's working tree; the reasons it is not that, if any. */
  const check = (dir, branch) => {
    const why = [];
    const status = git(dir, STATUS);
    if (status !== '') why.push(`status not clean (${status.split('\0').filter(Boolean).length} entries)`);
    let head = '';
    try {
      head = git(dir, ['symbolic-ref', '--short', 'HEAD']).trim();
    } catch {}
    if (head !== branch) why.push(`HEAD is ${head || 'detached'}`);
    let inRoot = '';
    try {
      inRoot = git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).trim();
    } catch {}
    if (inRoot !== base) why.push('branch not in the main repository');
    const ignored = git(dir, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory']);
    if (ignored !== '') why.push('ignored files left over');
    const listed = git(dir, ['ls-files', '-z']).split('\0').filter(Boolean).length;
    if (listed !== N) why.push(`${listed} files in the index`);
    const missing = tracked.filter((p) => !existsSync(join(dir, p))).length;
    if (missing > 0) why.push(`${missing} files missing on disk`);
    const wrong = samples.filter((i) => {
      try {
        return readFileSync(join(dir, pathOf(i)), 'utf8') !== contentOf(i);
      } catch {
        return true;
      }
    }).length;
    if (wrong > 0) why.push(`${wrong}/${samples.length} sampled files differ`);
    return why;
  };
  /** Gone from disk and from git's list of worktrees. */
  const checkRemoved = (dir) => {
    const why = [];
    if (existsSync(dir)) why.push('folder left behind');
    if (git(repo, ['worktree', 'list', '--porcelain']).includes(dir)) why.push('still listed by git worktree list');
    return why;
  };

  // ---- ways to make (and remove) a task's working tree
  const addArgs = (dir, branch, pre = []) => [...pre, 'worktree', 'add', '--quiet', '-B', branch, dir, base];
  const removeWt = (dir) => git(repo, ['worktree', 'remove', '--force', '--force', dir]);
  const gitDirOf = (dir) => git(dir, ['rev-parse', '--absolute-git-dir']).trim();
  const topEntries = (dir) => readdirSync(dir).filter((e) => e !== '.git');
  let template; // a checkout at `base` kept for the copy routes, made once (not timed)
  const ensureTemplate = () => {
    if (template) return template;
    template = join(state, 'template');
    git(repo, ['worktree', 'add', '--quiet', '--detach', template, base]);
    return template;
  };
  /** The copy routes: a worktree record without files, then the template's files and index. */
  const fromTemplate = (dir, branch, cpFlags, refresh = true) => {
    const tpl = ensureTemplate();
    git(repo, ['worktree', 'add', '--quiet', '--no-checkout', '-B', branch, dir, base]);
    execFileSync('cp', [...cpFlags, ...topEntries(tpl).map((e) => join(tpl, e)), dir]);
    copyFileSync(join(gitDirOf(tpl), 'index'), join(gitDirOf(dir), 'index'));
    // New inodes (or, hard-linked, new ctimes): every entry's stat data is stale, so git would hash
    // every file at every status (and, under GIT_OPTIONAL_LOCKS=0, never write the result back).
    if (refresh) git(dir, ['update-index', '-q', '--refresh']);
  };
  /** Writing a file in place in the copy must not change the template (or other tasks' copies). */
  const isolated = (dir) => {
    const tpl = ensureTemplate();
    const p = pathOf(1);
    appendFileSync(join(dir, p), '// edited in place\n');
    const shared = readFileSync(join(tpl, p), 'utf8') !== contentOf(1);
    if (shared) writeFileSync(join(tpl, p), contentOf(1));
    return !shared;
  };

  /** What a task leaves in its worktree: a commit of 10 files, 2 files changed, 3 new files, an ignored folder. */
  const leftovers = (dir) => {
    for (const i of samples.slice(0, 12)) appendFileSync(join(dir, pathOf(i)), '// the agent was here\n');
    git(dir, ['commit', '--quiet', '-m', 'task', '--', ...samples.slice(0, 10).map(pathOf)]);
    for (let k = 0; k < 3; k++) writeFileSync(join(dir, pathOf(k), '..', `new${k}.ts`), 'export {};\n');
    mkdirSync(join(dir, 'build-out'), { recursive: true });
    writeFileSync(join(dir, 'build-out', 'cache.bin'), 'x'.repeat(1000));
  };

  const methods = [
    {
      method: "git worktree add (taskwave: a slot's first task)",
      args: 'worktree add --quiet -B <branch> <dir> <base>; worktree remove --force --force',
      create: (dir, b) => git(repo, addArgs(dir, b)),
      remove: removeWt,
    },
    {
      method: 'worktree add, checkout.workers=0',
      args: '-c checkout.workers=0 worktree add ... (one worker per core)',
      create: (dir, b) => git(repo, addArgs(dir, b, ['-c', 'checkout.workers=0'])),
      remove: removeWt,
    },
    {
      method: 'worktree add, checkout.workers=8',
      args: '-c checkout.workers=8 -c checkout.thresholdForParallelism=0 worktree add ...',
      create: (dir, b) =>
        git(repo, addArgs(dir, b, ['-c', 'checkout.workers=8', '-c', 'checkout.thresholdForParallelism=0'])),
      remove: removeWt,
    },
    {
      method: 'worktree add --no-checkout + read-tree + checkout-index -a',
      args: 'worktree add --no-checkout; read-tree HEAD; -c checkout.workers=0 checkout-index -a',
      create: (dir, b) => {
        git(repo, ['worktree', 'add', '--quiet', '--no-checkout', '-B', b, dir, base]);
        git(dir, ['read-tree', 'HEAD']);
        git(dir, ['-c', 'checkout.workers=0', 'checkout-index', '-a']);
      },
      remove: removeWt,
      caveat: 'leaves stale stat data in the index: every status hashes every file until it is rewritten',
    },
    {
      method: 'worktree add; remove = rename + prune',
      args: 'rename the folder aside; worktree prune',
      create: (dir, b) => git(repo, addArgs(dir, b)),
      remove: (dir) => {
        const trash = `${dir}.trash`;
        renameSync(dir, trash);
        git(repo, ['worktree', 'prune']);
        return trash;
      },
      later: (trash) => rmSync(trash, { recursive: true, force: true }),
    },
    {
      method: `cp -a --reflink=auto of a checkout${reflink ? '' : ' (a full copy here)'}`,
      args: 'worktree add --no-checkout; cp -a --reflink=auto <template>/*; copy its index; update-index -q --refresh',
      create: (dir, b) => fromTemplate(dir, b, ['-a', '--reflink=auto']),
      remove: removeWt,
      isolation: true,
    },
    {
      method: 'cp -al (hard links) of a checkout',
      args: 'the same with cp -al',
      create: (dir, b) => fromTemplate(dir, b, ['-al']),
      remove: removeWt,
      isolation: true,
    },
    {
      method: 'git clone --shared + push the branch back',
      args: 'clone --shared --no-checkout; checkout -B <branch> <base>; push origin <branch>; rm -rf',
      dirOf: (name) => join(state, 'clones', name),
      create: (dir, b) => {
        git(repo, ['clone', '--quiet', '--shared', '--no-checkout', repo, dir]);
        git(dir, ['checkout', '--quiet', '-B', b, base]);
        git(dir, ['push', '--quiet', 'origin', b]);
      },
      remove: (dir) => rmSync(dir, { recursive: true, force: true }),
      caveat: "a repository of its own: a push after each commit, not the user's config or hooks",
    },
    {
      method: "reuse a finished task's worktree (taskwave: the rest)",
      args: 'checkout -f -B <branch> <base>; clean -ffdxq; release: checkout --detach',
      dirOf: () => join(wtDir, 'pool'),
      create: (dir, b) => {
        git(dir, ['checkout', '--quiet', '-f', '-B', b, base]);
        git(dir, ['clean', '-ffdxq']);
      },
      afterCheck: leftovers,
      remove: (dir) => git(dir, ['checkout', '--quiet', '--detach']),
      stays: true,
      before: () => {
        const dir = join(wtDir, 'pool');
        git(repo, ['worktree', 'add', '--quiet', '-B', 'bench/prev', dir, base]);
        leftovers(dir);
        git(dir, ['checkout', '--quiet', '--detach']);
        git(repo, ['branch', '-D', '--quiet', 'bench/prev']);
      },
      after: () => removeWt(join(wtDir, 'pool')),
      caveat:
        'only the files that differ are written; taskwave also renames the folder to the new task (no cost) and does not detach on release (its branch goes after the worktree)',
    },
    {
      method: `sparse checkout (cone, ${Math.ceil(TOP / 10)} of ${TOP} top folders)`,
      args: 'worktree add --no-checkout; sparse-checkout set --cone <dirs>; read-tree -mu HEAD',
      create: (dir, b) => {
        git(repo, ['worktree', 'add', '--quiet', '--no-checkout', '-B', b, dir, base]);
        const dirs = Array.from({ length: Math.ceil(TOP / 10) }, (_, k) => `pkg${String(k).padStart(2, '0')}`);
        git(dir, ['sparse-checkout', 'set', '--cone', ...dirs]);
        git(dir, ['read-tree', '-mu', 'HEAD']);
      },
      remove: removeWt,
      wrong: 'an agent may need any file; sets extensions.worktreeConfig',
      after: () => git(repo, ['config', '--unset', 'extensions.worktreeConfig']),
    },
  ];

  writeFileSync(join(repo, '.git', 'info', 'exclude'), 'build-out/\n');
  let serial = 0;
  for (const m of methods) {
    const create = [];
    const remove = [];
    const status = [];
    const later = [];
    const why = new Set();
    try {
      m.before?.();
      for (let r = 0; r < REPS; r++) {
        await breathe();
        const name = `w${++serial}`;
        const branch = `bench/${name}`;
        const dir = m.dirOf ? m.dirOf(name) : join(wtDir, name);
        create.push(timed(() => m.create(dir, branch)).ms);
        status.push(timed(() => git(dir, STATUS)).ms);
        for (const w of check(dir, branch)) why.add(w);
        if (m.isolation && r === REPS - 1 && !isolated(dir))
          why.add('files shared with the template: an edit in place leaks into every copy');
        m.afterCheck?.(dir);
        const rm = timed(() => m.remove(dir));
        remove.push(rm.ms);
        if (m.later) later.push(timed(() => m.later(rm.value)).ms);
        if (!m.stays) for (const w of checkRemoved(dir)) why.add(w);
        git(repo, ['branch', '-D', '--quiet', branch]);
      }
      m.after?.();
    } catch (e) {
      why.add(
        `failed: ${
          String(e.stderr || e.message)
            .trim()
            .split('\n')[0]
        }`,
      );
    }
    const notes = [m.args];
    if (m.later) notes.push(`rm -rf afterwards, off the critical path: ${median(later)} ms`);
    if (why.size > 0) notes.push(`NOT correct: ${[...why].join('; ')}`);
    if (m.wrong) notes.push(`${why.size > 0 ? '' : 'NOT correct: '}${m.wrong}`);
    if (m.caveat) notes.push(m.caveat);
    out({
      method: m.method,
      createMs: median(create),
      removeMs: median(remove),
      statusMs: median(status),
      correct: why.size === 0 && !m.wrong,
      notes: notes.join('; '),
    });
  }

  // ---- git status, where taskwave runs it
  const statusRow = (method, dir, args, notes, reps = Math.max(REPS, 5), extraEnv) => {
    const ms = [];
    let entries = 0;
    for (let r = 0; r < reps; r++) {
      const s = timed(() => git(dir, args, extraEnv));
      ms.push(s.ms);
      entries = s.value.split('\0').filter(Boolean).length;
    }
    out({
      method,
      createMs: null,
      removeMs: null,
      statusMs: median(ms),
      correct: null,
      notes: entries ? `${notes}; ${entries} entries` : notes,
    });
  };
  // In a fresh worktree: files written in the same second as the index are "racily clean", and git
  // hashes them at every status until the index is written again (a status without
  // GIT_OPTIONAL_LOCKS=0 does that, as does any git add / commit).
  {
    const dir = join(wtDir, 'status');
    git(repo, addArgs(dir, 'bench/status'));
    const first = timed(() => git(dir, STATUS)).ms;
    statusRow('status: fresh worktree (index from worktree add)', dir, STATUS, `first: ${Math.round(first)} ms`, REPS);
    await new Promise((r) => setTimeout(r, 1100));
    git(dir, ['status', '--porcelain'], { GIT_OPTIONAL_LOCKS: '1' });
    statusRow(
      'status: same, index rewritten a second later',
      dir,
      STATUS,
      'one status without GIT_OPTIONAL_LOCKS=0',
      REPS,
    );
    removeWt(dir);
    git(repo, ['branch', '-D', '--quiet', 'bench/status']);
    // Stale stat data (as a copied checkout has before update-index --refresh): every file is hashed.
    const stale = join(wtDir, 'stale');
    fromTemplate(stale, 'bench/stale', ['-a', '--reflink=auto'], false);
    statusRow('status: worktree with stale stat data', stale, STATUS, 'copied checkout, index not refreshed', REPS);
    removeWt(stale);
    git(repo, ['branch', '-D', '--quiet', 'bench/stale']);
    if (template) removeWt(template);
  }
  // In the main checkout (.taskwave/ in it, ignored), as taskwave runs it before and after every task.
  const few = [pathOf(0), pathOf(1), pathOf(2)];
  git(repo, ['status', '--porcelain'], { GIT_OPTIONAL_LOCKS: '1' }); // settle racy entries of the setup
  statusRow('status: main checkout', repo, STATUS, 'status --porcelain=v1 -z --untracked-files=all');
  statusRow('status: main checkout, 3 paths', repo, [...STATUS, '--', ...few], 'pathspec of 3 files');
  // The untracked cache serves --untracked-files=all only when it was made for it
  // (status.showUntrackedFiles=all), and only once a status allowed to write the index has filled it.
  const uc = ['-c', 'core.untrackedCache=true', '-c', 'status.showUntrackedFiles=all'];
  git(repo, [...uc, 'update-index', '--untracked-cache']);
  statusRow(
    'status: main, untracked cache (never filled)',
    repo,
    [...uc, ...STATUS],
    '-c core.untrackedCache=true -c status.showUntrackedFiles=all; under GIT_OPTIONAL_LOCKS=0 status never fills it',
  );
  git(repo, [...uc, ...STATUS], { GIT_OPTIONAL_LOCKS: '1' });
  statusRow(
    'status: main, untracked cache (filled once)',
    repo,
    [...uc, ...STATUS],
    'the same after one status without GIT_OPTIONAL_LOCKS=0',
  );
  git(repo, ['update-index', '--no-untracked-cache']);
} finally {
  rmSync(root, { recursive: true, force: true });
}
