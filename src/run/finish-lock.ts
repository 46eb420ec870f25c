import { acquireLock } from '../fs/file-lock.js';
import { statusPath } from './status-store.js';

/**
 * The workspace's lock for changing a running run's status: whoever holds
 * it may adopt, finish, or record the start of the run.
 */
export async function withFinishLock<T>(workspace: string, wait: boolean, fn: () => Promise<T>): Promise<T | undefined> {
  const release = await acquireLock(`${statusPath(workspace)}.finish`, { wait });
  if (release === undefined) return undefined;
  try {
    return await fn();
  } finally {
    release();
  }
}
