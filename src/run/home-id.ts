import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_PREFIX } from '../core/container/container-spec.js';

/**
 * The label carrying the id of the state home that started an agent. A
 * workspace path is a label anyone who can use the engine could set on a
 * container of their own; the home's random id is not known to them, so
 * only containers carrying it are taken for ours (adopted, swept, stopped).
 */
export const HOME_LABEL = `${LABEL_PREFIX}.home`;

const ID = /^[0-9a-f]{32}$/;
const known = new Map<string, string>();

/** This state home's id, made once (the first writer wins a race) and kept in $AGENTCTL_HOME/home-id. */
export function homeId(home: string): string {
  const cached = known.get(home);
  if (cached !== undefined) return cached;
  const path = join(home, 'home-id');
  let id = readId(path);
  if (id === undefined) {
    mkdirSync(home, { recursive: true });
    try {
      writeFileSync(path, `${randomBytes(16).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    id = readId(path);
    if (id === undefined) throw new Error(`${path} does not hold a state home id; remove it and agentctl makes a new one`);
  }
  known.set(home, id);
  return id;
}

/**
 * An agent container's name: one per run (a container of an earlier run that
 * could not be removed must not block this one), and one per state home, so
 * that two users, or two laptops sharing a remote engine, never collide on
 * the same repository and slot.
 */
export function agentName(base: string, home: string, runCount: number): string {
  return `${base}-${homeId(home).slice(0, 8)}-${runCount}`;
}

function readId(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return ID.test(text) ? text : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
