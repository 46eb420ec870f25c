import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isZombie, processAlive } from './process-alive.js';

/**
 * A cross-process lock that knows its holder: a directory created
 * atomically with the holder's pid inside. A lock whose holder has died
 * (SIGKILL, a crash) is taken over at once instead of after a staleness
 * timeout, which is what lets the very next agentctl command repair the
 * state a killed one left. All holders run on this machine, as all of
 * $AGENTCTL_HOME's users do.
 */
export interface LockOptions {
  /** Wait for the lock (polling) or give up at once. */
  wait: boolean;
  /** Give up waiting after this long. */
  timeoutMs?: number;
}

export type Release = () => void;

/** The longest wait between two tries for a held lock. */
const MAX_POLL_MS = 10;

function lockDir(path: string): string {
  return `${path}.lock`;
}

function holderAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  return processAlive(pid) && !isZombie(pid);
}

function readHolder(dir: string): number | undefined {
  try {
    const text = readFileSync(join(dir, 'pid'), 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Try once: true when we now hold the lock. */
function tryAcquire(path: string): boolean {
  const dir = lockDir(path);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = readHolder(dir);
    if (holder === undefined) {
      // Just created and the pid not written yet, or left half-made by a crash: give it a moment.
      let age = 0;
      try {
        age = Date.now() - statSync(dir).mtimeMs;
      } catch {
        return false;
      }
      if (age < 2000) return false;
    } else if (holderAlive(holder)) {
      return false;
    }
    // The holder is gone: move its lock aside atomically so only one taker wins, then retry.
    const tomb = `${dir}.dead-${process.pid}-${Date.now()}`;
    try {
      renameSync(dir, tomb);
    } catch {
      return false;
    }
    rmSync(tomb, { recursive: true, force: true });
    return tryAcquire(path);
  }
  writeFileSync(join(dir, 'pid'), String(process.pid));
  return true;
}

/** Acquire the lock on `path` (which need not exist); undefined when not waiting and it is held. */
export async function acquireLock(path: string, options: LockOptions): Promise<Release | undefined> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  let delay = 2;
  for (;;) {
    if (tryAcquire(path)) {
      return () => rmSync(lockDir(path), { recursive: true, force: true });
    }
    if (!options.wait || Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
    // Locks are held for milliseconds: a long backoff would leave one free while its waiter sleeps.
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}

/** Is the lock held by a live process right now? */
export function lockHeld(path: string): boolean {
  const holder = readHolder(lockDir(path));
  return holder !== undefined && holderAlive(holder);
}

/** Run `fn` while holding the lock, waiting for it as long as it takes (bounded). */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(path, { wait: true });
  if (release === undefined) throw new Error(`timed out waiting for the lock ${lockDir(path)}`);
  try {
    return await fn();
  } finally {
    release();
  }
}
