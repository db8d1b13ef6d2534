import { git } from './git.js';

/**
 * The paths `git status` lists in a checkout: changed, staged and untracked ones (a rename's both);
 * only among `paths` when given (taken literally: a file name with `*` in it is that file).
 */
export async function statusPaths(dir: string, paths?: readonly string[]): Promise<string[]> {
  const only = paths ? ['--', ...paths] : [];
  const r = await git(dir, ['--literal-pathspecs', 'status', '--porcelain=v1', '-z', '--untracked-files=all', ...only]);
  return r.ok ? pathsOfStatus(r.value, { oldPaths: true }) : [];
}

/**
 * The paths of `git status --porcelain=v1 -z` output, as they are (without -z git quotes a name with
 * a space or a non-ASCII letter). A staged rename or copy (`R  new\0old\0`) carries its old path in
 * the next field: listed too with `oldPaths`, else left out.
 */
export function pathsOfStatus(out: string, opts: { oldPaths: boolean }): string[] {
  const fields = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] as string;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] !== 'R' && entry[0] !== 'C') continue;
    i++;
    const old = fields[i];
    if (opts.oldPaths && old) paths.push(old);
  }
  return paths;
}
