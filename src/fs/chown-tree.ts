import { lchownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function vanished(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function chownEntries(dir: string, uid: number, gid: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    try {
      lchownSync(path, uid, gid);
      if (entry.isDirectory()) chownEntries(path, uid, gid);
    } catch (error) {
      if (!vanished(error)) throw error;
    }
  }
}

/**
 * chown -R without following symlinks. Other agentctl processes add and
 * remove lock directories in the tree meanwhile, so an entry that is gone
 * by the time we reach it is skipped.
 */
export function chownTree(root: string, uid: number, gid: number): void {
  lchownSync(root, uid, gid);
  chownEntries(root, uid, gid);
}
