import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * Run `fn` while holding a cross-process lock on `path` (which need not
 * exist). The lock refreshes itself, so a long fetch is not taken as stale,
 * and a crashed holder's lock expires.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const release = await lockfile.lock(path, {
    realpath: false,
    lockfilePath: `${path}.lock`,
    stale: 20_000,
    retries: { retries: 600, factor: 1.2, minTimeout: 20, maxTimeout: 500 },
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}
