import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/file-lock.js';
import type { ListValidators } from '../forge/forge.js';

/**
 * The watcher's state under $AGENTCTL_HOME/watch/, host-only like all of
 * agentctl's state: the claims (one per watched issue, changed only under a
 * lock), each live watcher's own record for status, and the validators of
 * conditional list requests.
 */

/** Where a claim is: each step is recorded before the forge or the queue is touched, so a killed watcher's successor knows what is left. */
export type ClaimStage = 'claimed' | 'dispatching' | 'dispatched' | 'answering' | 'blocked' | 'ended';

export interface Claim {
  key: string;
  forge: string;
  owner: string;
  repo: string;
  number: number;
  on: 'issues' | 'pull_request';
  /** The route's ready label: the route whose settings and labels the claim uses. */
  label: string;
  stage: ClaimStage;
  /** pid of the watcher that holds the claim's current step. */
  by: number;
  claimedAt: string;
  workspace?: string | undefined;
  /** The run (status.runCount) whose end has been reported, so it is reported once. */
  reportedRun?: number | undefined;
  outcome?: string | undefined;
  /** The newest reply (comment id) already handed to the answer service, so one reply is checked once. */
  checkedReply?: number | undefined;
}

export type Claims = Record<string, Claim>;

/** One watcher's own record, shown by status. */
export interface WatcherRecord {
  pid: number;
  startedAt: string;
  once: boolean;
  routes: RouteRecord[];
}

export interface RouteRecord {
  /** forge owner/name on label, for a person. */
  name: string;
  lastPoll?: string | undefined;
  nextPoll?: string | undefined;
  /** Failed polls in a row; 0 when the last one worked. */
  failures: number;
  lastError?: string | undefined;
}

export const watchDir = (home: string) => join(home, 'watch');
const claimsPath = (home: string) => join(watchDir(home), 'claims.json');
const watchersDir = (home: string) => join(watchDir(home), 'watchers');
const validatorsPath = (home: string) => join(watchDir(home), 'validators.json');

function readJson<T>(path: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

export function readClaims(home: string): Claims {
  return readJson<Claims>(claimsPath(home), {});
}

/**
 * Change the claims under their lock: `change` sees the current claims and
 * returns what to keep (or undefined for no change), so a check and the
 * write it decides on are one step for every watcher on this machine.
 */
export async function updateClaims<T>(home: string, change: (claims: Claims) => { claims?: Claims; result: T }): Promise<T> {
  mkdirSync(watchDir(home), { recursive: true });
  return withFileLock(claimsPath(home), async () => {
    const { claims, result } = change(readClaims(home));
    if (claims !== undefined) writeJsonAtomic(claimsPath(home), claims);
    return result;
  });
}

export function writeWatcher(home: string, record: WatcherRecord): void {
  mkdirSync(watchersDir(home), { recursive: true });
  writeJsonAtomic(join(watchersDir(home), `${record.pid}.json`), record);
}

export function removeWatcher(home: string, pid: number): void {
  rmSync(join(watchersDir(home), `${pid}.json`), { force: true });
}

/** Every watcher's record, with whether its process is still alive (a SIGKILLed one leaves its record behind). */
export function readWatchers(home: string, alive: (pid: number) => boolean): Array<WatcherRecord & { running: boolean }> {
  let names: string[];
  try {
    names = readdirSync(watchersDir(home)).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names
    .map((name) => readJson<WatcherRecord | undefined>(join(watchersDir(home), name), undefined))
    .filter((r): r is WatcherRecord => r !== undefined && typeof r.pid === 'number' && Array.isArray(r.routes))
    .map((r) => ({ ...r, running: alive(r.pid) }));
}

export function readValidators(home: string): Record<string, ListValidators> {
  return readJson<Record<string, ListValidators>>(validatorsPath(home), {});
}

export function writeValidators(home: string, validators: Record<string, ListValidators>): void {
  mkdirSync(watchDir(home), { recursive: true });
  writeJsonAtomic(validatorsPath(home), validators);
}
