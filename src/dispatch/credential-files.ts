import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A credential or settings file is small; anything bigger is a log or a cache, not a login. */
export const CREDENTIAL_FILE_MAX_BYTES = 1024 * 1024;
/** More files than any CLI keeps at the top of its directory: a bound on the mounts one run gets. */
const MAX_FILES = 64;
/** Names an engine's `--volume host:container:ro` cannot misread (no ':' or ','). */
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * The files of the agent's credential directory a container may see: its
 * top-level regular files (logins, settings), each mounted on its own, never
 * the directory, whose subdirectories hold the operator's other projects'
 * sessions and transcripts. lstat, so a link (to anywhere) is never mounted;
 * sorted, so the mounts and the dry run are stable. None when the directory
 * is missing or unreadable.
 */
export function credentialFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files = names.filter((name) => {
    if (!SAFE_NAME.test(name) || name === '.' || name === '..') return false;
    try {
      const stat = lstatSync(join(dir, name));
      return stat.isFile() && stat.size <= CREDENTIAL_FILE_MAX_BYTES;
    } catch {
      return false;
    }
  });
  return files.sort().slice(0, MAX_FILES);
}
