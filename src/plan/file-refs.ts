import type { Diagnostic, SourceSpan } from './diagnostic.js';

/**
 * File paths a task names in its text: backticked paths (`src/a.ts`, `package.json`), bare paths
 * (src/foo/bar.py) and bare file names with a common code or doc extension (README.md). Used to keep
 * two tasks that touch the same file from running at the same time, so a false positive costs some
 * parallelism and a miss can cost a conflict: the rules lean towards what people write in plans.
 *
 * A path outside the repository (`../../etc/passwd`, `/etc/passwd`, `~/.ssh/id_rsa`, `C:\Windows\…`)
 * is never one of a task's files: taskwave locks those files, checks them and names them to agents as
 * the task's own. Such paths are handed back separately, for the formats to warn about.
 */

/** Extensions that make a bare `name.ext` token a file name. */
const BARE_EXTENSIONS = new Set(
  (
    'ts tsx js mjs cjs jsx py go rs java kt rb php cs c h cpp hpp swift md json yaml yml toml sql sh css scss ' +
    'html vue svelte lock txt env cfg ini xml proto graphql'
  ).split(' '),
);

/**
 * Extensions that make a backticked `name.ext` a file name (a backticked span without `/`). Wider than
 * the bare list, but still a list: `entry.verified` and `Installer.install` are code, not files.
 */
const CODE_SPAN_EXTENSIONS = new Set([
  ...BARE_EXTENSIONS,
  ...(
    'mts cts pyi pyx ipynb kts gradle scala sc clj cljs ex exs erl hrl hs ml mli fs fsx vb dart lua pl pm r jl ' +
    'zig nim cc cxx hh hxx m mm sass less styl mdx rst adoc csv tsv tf tfvars hcl ps1 psm1 bat cmd bash zsh fish ' +
    'dockerfile gitignore dockerignore editorconfig npmrc nvmrc mod sum properties conf plist svg png jpg jpeg gif ' +
    'webp ico zip tar gz tgz wasm sqlite db pem crt lockb snap jsonc json5 prisma'
  ).split(' '),
]);

/** Files people name without an extension. */
const EXTENSIONLESS = new Set([
  'Makefile',
  'Dockerfile',
  'Containerfile',
  'Gemfile',
  'Rakefile',
  'Procfile',
  'Jenkinsfile',
  'Justfile',
  'Brewfile',
  'Vagrantfile',
  'CODEOWNERS',
]);

/** Dotfiles worth naming (`.env`, `.env.local`, `.eslintrc.json`); other `.name` spans are extensions (`.zip`). */
const DOTFILES = new Set(
  (
    'env gitignore gitattributes gitmodules dockerignore editorconfig npmrc nvmrc yarnrc prettierrc prettierignore ' +
    'eslintrc eslintignore babelrc browserslistrc stylelintrc python-version node-version tool-versions envrc ' +
    'pre-commit-config flake8 pylintrc rubocop'
  ).split(' '),
);

/** `Node.js` and friends are libraries, not files. */
const LIBRARY_NAMES = new Set(
  'node next nuxt vue express react angular ember backbone three d3 chart socket deno alpine solid'.split(' '),
);

/**
 * Top-level folders of a Unix, Linux or macOS system. `/etc/passwd` names the system's file, while
 * `/specs/001/x.md` is spec-kit's way of writing a repository path, so only these mark a leading `/`
 * as absolute. `bin` and `lib` are missing on purpose: repositories have those folders too.
 */
const SYSTEM_ROOTS = new Set(
  (
    'etc usr var proc sys dev root home Users tmp private boot mnt media opt srv run sbin snap nix ' +
    'Volumes System Library Applications'
  ).split(' '),
);

const EXT_OF = /\.([A-Za-z][A-Za-z0-9]{0,11})$/;
/** Characters that mean a span is a glob, a template, a shell line or prose rather than one path. */
const NOT_A_PATH = /[\s*?{}<>|$"'=,;()]/;
const VERSION = /^v?\d+(?:\.\d+)+$/;
const TRAILING_PUNCTUATION = '.,;:)!?*_"\'`';
const LINE_REFERENCE = /:\d+(?::\d+)?$/;

function extensionOf(segment: string): string | undefined {
  const m = EXT_OF.exec(segment);
  return m ? (m[1] as string).toLowerCase() : undefined;
}

function lastSegment(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** `./a` → `a`; `/specs/001/x.md` → `specs/001/x.md` (spec-kit writes repo-relative paths with a leading slash). */
function normalise(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  return p;
}

/** Trailing punctuation, and a `:12` / `:12:3` line reference after a file name. */
function stripTrailing(token: string): string {
  let end = token.length;
  while (end > 0 && TRAILING_PUNCTUATION.includes(token[end - 1] as string)) end--;
  return token.slice(0, end).replace(LINE_REFERENCE, '');
}

function stripLeading(token: string): string {
  return token.replace(/^[(*_"'`~]+/, '');
}

/**
 * Whether the last segment of a path names a file rather than a folder or a word: it has an extension,
 * or it is a file people name without one (`Makefile`, `.env`). `US1/AC2` and `api/account` do not.
 */
export function namesAFile(segment: string): boolean {
  if (EXTENSIONLESS.has(segment)) return true;
  if (segment.startsWith('.')) return isKnownDotfile(segment);
  return extensionOf(segment) !== undefined;
}

/** `.env.local` yes; `.zip` and `.agent.md` are ways of writing an extension, not files. */
function isKnownDotfile(segment: string): boolean {
  const second = segment.indexOf('.', 1);
  return DOTFILES.has(segment.slice(1, second < 0 ? undefined : second).toLowerCase());
}

/**
 * Whether a path as written leaves the repository: a drive (`C:\`), a UNC or home path (`\\host`,
 * `~/`), an absolute path into a system folder, or more `..` than there are folders before them. Only
 * paths with a separator are judged: a lone `..` is prose or a folder, not a file.
 */
export function isOutsideRepository(raw: string): boolean {
  const p = raw.replace(/\\/g, '/');
  if (!p.includes('/')) return false;
  if (/^[A-Za-z]:\//.test(p) || p.startsWith('//') || /^~[\w.-]*\//.test(p)) return true;
  const rel = p.replace(/^\/+/, '');
  if (rel !== p && SYSTEM_ROOTS.has(rel.split('/', 1)[0] as string)) return true;
  let depth = 0;
  for (const segment of rel.split('/')) {
    if (segment === '..') {
      if (--depth < 0) return true;
    } else if (segment !== '' && segment !== '.') depth++;
  }
  return false;
}

/** The warning for a path outside the repository that task `taskId` names, at the task. */
export function outsidePathWarning(taskId: string, path: string, at: SourceSpan): Diagnostic {
  return {
    severity: 'warning',
    location: at,
    message: `${taskId} names a path outside the repository (${path}); taskwave ignores it`,
  };
}

function isBasicPathShape(p: string): boolean {
  if (p === '' || p.includes('://') || p.endsWith('/') || NOT_A_PATH.test(p)) return false;
  if (p.startsWith('-') || p.startsWith('@') || VERSION.test(p)) return false;
  const lower = p.toLowerCase();
  return lower !== 'e.g' && lower !== 'i.e' && lower !== 'e.g.' && lower !== 'i.e.';
}

/** Where the paths found in a line go: the task's files, or the paths outside the repository. */
interface RefSink {
  add(path: string): void;
  outside(path: string): void;
}

/** A backticked span: the file it names goes to `sink.add`, normalised; a path outside the repository to `sink.outside`. */
function fromCodeSpan(span: string, sink: RefSink): void {
  const raw = stripTrailing(span.trim());
  if (!isBasicPathShape(raw)) return;
  if (isOutsideRepository(raw)) {
    sink.outside(raw);
    return;
  }
  const p = normalise(raw);
  if (p === '' || p === '.' || p === '..') return;
  if (p.includes('/') || EXTENSIONLESS.has(p)) sink.add(p);
  else if (p.startsWith('.')) {
    if (isKnownDotfile(p)) sink.add(p);
  } else {
    const ext = extensionOf(p);
    if (ext !== undefined && CODE_SPAN_EXTENSIONS.has(ext)) sink.add(p);
  }
}

/** A bare word that names a file, normalised; undefined when it does not look like one. */
function fromBareToken(token: string): string | undefined {
  const raw = stripTrailing(stripLeading(token));
  if (!isBasicPathShape(raw)) return undefined;
  const p = normalise(raw);
  const last = lastSegment(p);
  if (last.startsWith('.')) return isKnownDotfile(last) ? p : undefined;
  const ext = extensionOf(last);
  if (ext === undefined) return undefined;
  if (p.includes('/')) return p;
  if (!BARE_EXTENSIONS.has(ext)) return undefined;
  if (!/^[\w][\w.-]*$/.test(p)) return undefined;
  if (ext === 'js' && LIBRARY_NAMES.has(p.slice(0, -3).toLowerCase())) return undefined;
  return p;
}

/**
 * A bare word as written, for the outside check: opening punctuation off, but not a `~`, which
 * `stripLeading` takes for strikethrough and which starts a home path (`~/.ssh/id_rsa`).
 */
function bareAsWritten(token: string): string {
  return stripTrailing(token.replace(/^[(*_"'`]+/, ''));
}

function addBare(segment: string, sink: RefSink): void {
  // Every bare file name has a dot or a separator in it; most prose has neither.
  if (!segment.includes('.') && !segment.includes('/') && !segment.includes('\\')) return;
  for (const token of segment.split(/[\s[\]()<>"]+/)) {
    const written = bareAsWritten(token);
    if (isBasicPathShape(written) && isOutsideRepository(written)) {
      sink.outside(written);
      continue;
    }
    if (!token.includes('.')) continue;
    const p = fromBareToken(token);
    if (p !== undefined) sink.add(p);
  }
}

const HTTP_METHOD = '(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)';
/** A route as written: a backticked span or a bare word, starting with `/`. */
const ROUTE = '(`\\/[^`\\s]*`|\\/[^\\s`]*)';
/**
 * A path with a leading `/` right after an HTTP method word written in capitals (`GET
 * /api/users.json`, `**POST** \`/orders.xml\``, `GET/HEAD /x.json`): a route, whatever it looks like.
 * Lowercase `get` and `delete` are verbs of prose ("Delete src/old.ts"), so the case is as written;
 * and a route starts with `/`, so "POST: src/api/post.ts" still names a file.
 */
const AFTER_METHOD = new RegExp(
  `(?<![\\w/.\`-])([*_\`]*${HTTP_METHOD}(?:[/|]${HTTP_METHOD})*[*_\`]*:?[ \\t]+)${ROUTE}`,
  'g',
);
/**
 * A reference with a leading `/` right before or after the word endpoint or route (`the endpoint
 * /users.json`, `` `/api/v1/users.json` endpoint ``). The slash is required: "route src/routes/a.ts"
 * names the file of a route, and spec-kit's repository paths with a leading `/` rarely sit next to
 * these words.
 */
const PATH_BEFORE_ROUTE_WORD = /(?<![^\s(*_])(`\/[^`\s]*`|\/[^\s`]*)(?=[ \t]+(?:endpoint|route)s?\b)/gi;
const PATH_AFTER_ROUTE_WORD = /(\b(?:endpoint|route)s?[*_:]*[ \t]+)(`\/[^`\s]*`|\/[^\s`]*)/gi;
/** Quick tests before the replacements: most lines name no route. */
const METHOD_HINT = new RegExp(HTTP_METHOD);
const ROUTE_WORD_HINT = /endpoint|route/i;

/**
 * `line` with the HTTP routes it names blanked out (`GET /api/v1/users.json`): a route with a
 * file-like extension is no file of the repository, and a leading `/` alone cannot tell (spec-kit
 * writes repository paths that way too).
 */
function withoutRoutes(line: string): string {
  const blank = (s: string) => ' '.repeat(s.length);
  let out = line;
  if (METHOD_HINT.test(out)) out = out.replace(AFTER_METHOD, (_m, before: string, ref: string) => before + blank(ref));
  if (ROUTE_WORD_HINT.test(out)) {
    out = out
      .replace(PATH_AFTER_ROUTE_WORD, (_m, before: string, ref: string) => before + blank(ref))
      .replace(PATH_BEFORE_ROUTE_WORD, (ref: string) => blank(ref));
  }
  return out;
}

/**
 * Adds the file paths named in `line` to `out` (unique, in order of appearance), and the paths outside
 * the repository it names to `outside` when given (unique, as written). Backticked spans are judged as
 * a whole; the text between them is split into words. HTTP routes (`GET /users.json`) are left out.
 */
export function collectFileRefs(
  text: string,
  out: string[],
  seen: Set<string> = new Set(out),
  outside?: string[],
): void {
  const line = withoutRoutes(text);
  const sink: RefSink = {
    add(p) {
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
    },
    outside(p) {
      if (outside && !outside.includes(p)) outside.push(p);
    },
  };
  if (!line.includes('`')) {
    addBare(line, sink);
    return;
  }
  let i = 0;
  let textStart = 0;
  const n = line.length;
  while (i < n) {
    if (line.charCodeAt(i) !== 96 /* ` */) {
      i++;
      continue;
    }
    let run = 1;
    while (i + run < n && line.charCodeAt(i + run) === 96) run++;
    const fence = '`'.repeat(run);
    const close = line.indexOf(fence, i + run);
    // A closing run must be exactly as long as the opening one.
    let end = close;
    while (end >= 0 && line.charCodeAt(end + run) === 96) {
      let k = end + run;
      while (k < n && line.charCodeAt(k) === 96) k++;
      end = line.indexOf(fence, k);
    }
    if (end < 0) {
      i += run;
      continue;
    }
    addBare(line.slice(textStart, i), sink);
    fromCodeSpan(line.slice(i + run, end), sink);
    i = end + run;
    textStart = i;
  }
  addBare(line.slice(textStart), sink);
}

/** The file paths named in `text` (any number of lines), unique, in order; see `collectFileRefs` for `outside`. */
export function extractFileRefs(text: string, outside?: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) collectFileRefs(line, out, seen, outside);
  return out;
}
