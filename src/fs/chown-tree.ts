import { lchownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** chown -R without following symlinks. */
export function chownTree(root: string, uid: number, gid: number): void {
  lchownSync(root, uid, gid);
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    lchownSync(join(entry.parentPath, entry.name), uid, gid);
  }
}
