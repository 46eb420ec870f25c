import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ChainRecord } from '../core/chain/chain-state.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { readUntrusted } from '../fs/untrusted-file.js';
import { stateDir } from './scheduler-store.js';

/** A record lists at most 100 tasks: a generous bound on reading one back. */
const MAX_RECORD_BYTES = 1024 * 1024;
/** Status shows the newest chains only. */
export const MAX_CHAINS_SHOWN = 50;

const recordSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  name: z.string().optional(),
  file: z.string(),
  createdAt: z.string(),
  tasks: z.array(z.object({ id: z.string(), workspace: z.string(), dependsOn: z.array(z.string()) })),
});

export function chainsDir(home: string): string {
  return join(stateDir(home), 'chains');
}

/** Written atomically before any task is admitted, so a chain killed while submitting is still listed. */
export function writeChain(home: string, record: ChainRecord): void {
  mkdirSync(chainsDir(home), { recursive: true });
  writeJsonAtomic(join(chainsDir(home), `${record.id}.json`), record);
}

/** The newest chains first (ids start with their creation time), at most MAX_CHAINS_SHOWN. */
export function listChains(home: string): ChainRecord[] {
  let names: string[];
  try {
    names = readdirSync(chainsDir(home)).filter((name) => name.endsWith('.json') && !name.includes('.tmp-'));
  } catch {
    return [];
  }
  const records: ChainRecord[] = [];
  for (const name of names.sort().reverse().slice(0, MAX_CHAINS_SHOWN)) {
    const read = readUntrusted(join(chainsDir(home), name), MAX_RECORD_BYTES);
    if (read === undefined || read.truncated) continue;
    const { text } = read;
    try {
      const parsed = recordSchema.safeParse(JSON.parse(text));
      if (parsed.success) records.push(parsed.data as ChainRecord);
    } catch {
      // a torn or hand-edited record is left out, not fatal to status
    }
  }
  return records;
}
