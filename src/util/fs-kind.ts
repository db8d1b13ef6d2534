import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/*
 * "Is this a folder / a file?" for paths that may not exist: a missing or unreadable path is neither.
 */

/** What is at `path`: a file, a folder, something else (a pipe, a device), or nothing readable. */
export function kindOf(path: string): 'file' | 'folder' | 'other' | undefined {
  try {
    const s = statSync(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other';
  } catch {
    return undefined;
  }
}

export function isDirectory(path: string): boolean {
  return kindOf(path) === 'folder';
}

/** The folder a path means: itself when it is one (a folder plan), else the folder it is in. */
export function folderOf(path: string): string {
  return isDirectory(path) ? path : dirname(path);
}

export function isFile(path: string): boolean {
  return kindOf(path) === 'file';
}

export async function isDirectoryAsync(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFileAsync(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
