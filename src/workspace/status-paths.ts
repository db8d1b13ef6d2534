import { git } from './git.js';

/**
 * The paths `git status` lists in a checkout: changed, staged and untracked ones (a rename's both);
 * only among `paths` when given (taken literally: a file name with `*` in it is that file).
 */
export async function statusPaths(dir: string, paths?: readonly string[]): Promise<string[]> {
  const only = paths ? ['--', ...paths] : [];
  const r = await git(dir, ['--literal-pathspecs', 'status', '--porcelain=v1', '-z', '--untracked-files=all', ...only]);
  if (!r.ok) return [];
  const fields = r.value.split('\0');
  const out: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] as string;
    if (entry.length < 4) continue;
    out.push(entry.slice(3));
    // `R  new\0old\0`: a staged rename or copy carries its old path in the next field.
    if (entry[0] === 'R' || entry[0] === 'C') out.push(fields[++i] ?? '');
  }
  return out.filter(Boolean);
}
