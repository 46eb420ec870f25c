import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunPlan } from '../dispatch/prepare-dispatch.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';

/**
 * Everything needed to start a run later, in any agentctl process: the
 * exact plan, with environment variables by name only.
 */
export interface Job {
  version: 1;
  workspace: string;
  repo: string;
  agent: string;
  agentBase: string;
  pool: string;
  run: RunPlan;
  envPassed: string[];
  /** The agent's own argv, before the wrapper: what resume rebuilds from. */
  agentArgv: string[];
  sessionId: string | undefined;
  timeoutSeconds: number;
  priority: number;
}

export function jobPath(workspace: string): string {
  return join(workspace, '.meta', 'job.json');
}

export function writeJob(job: Job): void {
  writeJsonAtomic(jobPath(job.workspace), job);
}

export function readJob(workspace: string): Job | undefined {
  try {
    const job = JSON.parse(readFileSync(jobPath(workspace), 'utf8')) as Job;
    return job.version === 1 && job.workspace === workspace ? job : undefined;
  } catch {
    return undefined;
  }
}
