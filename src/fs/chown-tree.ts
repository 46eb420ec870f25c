import { lchownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceLayout } from '../core/workspace/layout.js';

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

/**
 * Lend a workspace to the agent's uid, or hand it back: only what the
 * container mounts read-write (repo/ and outbox/). agentctl's own state and
 * the inbox stay ours. The workspace root is host-owned and never mounted,
 * so these two names cannot have been swapped for links; inside them lchown
 * never follows one, and the hand-back runs only once the agent has ended.
 */
export function lendWorkspace(workspace: string, uid: number, gid: number): void {
  const layout = workspaceLayout(workspace);
  for (const dir of [layout.repo, layout.outbox]) chownTree(dir, uid, gid);
}
