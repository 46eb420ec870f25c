import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { workspaceLayout } from '../../core/workspace/layout.js';
import { extractUntrustedTar, type Extracted, type TarBounds } from '../../fs/untrusted-tar.js';

/** What may come back from a remote agent's container: the checkout (with its .git) and the outbox. */
export const REMOTE_BOUNDS: Record<'repo' | 'outbox', TarBounds> = {
  repo: { maxBytes: 4 * 1024 ** 3, maxEntries: 500_000 },
  // A flooding agent's log keeps its last 64 MiB (where its result is), as the local log reader would;
  // reading past 1 GiB to reach that end (a sparse file of terabytes streams as zeros) is refused.
  outbox: { maxBytes: 512 * 1024 ** 2, maxEntries: 1_000, keepTailOf: 64 * 1024 ** 2, maxArchiveBytes: 1024 ** 3 },
};

/**
 * Replace the workspace's `part` (repo/ or outbox/) with the tree in an
 * archive from the container. The archive is extracted into a new
 * directory in the host-only state (regular files and directories only,
 * bounded: see untrusted-tar.ts), and only a complete extraction replaces
 * the old tree, by rename: nothing is ever written through what was there.
 */
export async function replaceFromArchive(workspace: string, part: 'repo' | 'outbox', archive: Readable, onSkip?: (name: string) => void): Promise<Extracted> {
  const layout = workspaceLayout(workspace);
  const tag = randomBytes(6).toString('hex');
  const incoming = join(layout.meta, `incoming-${part}-${tag}`);
  const old = join(layout.meta, `replaced-${part}-${tag}`);
  mkdirSync(incoming, { mode: 0o755 });
  try {
    const extracted = await extractUntrustedTar(archive, incoming, part, REMOTE_BOUNDS[part], onSkip);
    const target = layout[part];
    try {
      renameSync(target, old);
    } catch {
      // Nothing there yet.
    }
    renameSync(incoming, target);
    return extracted;
  } finally {
    archive.destroy();
    rmSync(incoming, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
