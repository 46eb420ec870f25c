import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../core/config/schema.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';

/**
 * Validated configs, found again by a hash of everything they were made
 * from: the texts of the files read (with their paths), the AGENTCTL_*
 * overrides, and `fingerprint`, which names the code that parses and
 * validates them (a new build gets a new one). A hit skips the YAML parser
 * and building the zod schema, ~40 ms of every command's start on the
 * 2-core machine kind. Anything unreadable is a miss; nothing here throws.
 */
export interface ConfigCache {
  path: string;
  fingerprint: string;
}

export interface CachedConfig {
  config: Config;
  sources: string[];
}

interface Entry extends CachedConfig {
  key: string;
}

/** Entries kept: enough for a few projects' configs used in turn. */
const MAX_ENTRIES = 8;

export function configKey(fingerprint: string, files: ReadonlyArray<{ path: string; text: string }>, env: unknown): string {
  return createHash('sha256').update(JSON.stringify({ fingerprint, files, env })).digest('hex');
}

function readEntries(path: string): Entry[] {
  try {
    const entries: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return Array.isArray(entries) ? (entries as Entry[]) : [];
  } catch {
    return [];
  }
}

export function cachedConfig(cache: ConfigCache, key: string): CachedConfig | undefined {
  const entry = readEntries(cache.path).find((e) => e?.key === key);
  return entry === undefined || typeof entry.config !== 'object' || !Array.isArray(entry.sources) ? undefined : { config: entry.config, sources: entry.sources };
}

export function rememberConfig(cache: ConfigCache, key: string, value: CachedConfig): void {
  const entries = [{ key, ...value }, ...readEntries(cache.path).filter((e) => e?.key !== key)].slice(0, MAX_ENTRIES);
  try {
    mkdirSync(dirname(cache.path), { recursive: true });
    writeJsonAtomic(cache.path, entries);
  } catch {
    // A state dir we cannot write to only costs the next command the validation.
  }
}
