import { readFileSync } from 'node:fs';
import type { Target } from '../core/names.js';
import type { RunPlan } from '../core/run/run-plan.js';
import type { ForgeLink } from '../core/forge/forge-link.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { workspaceLayout } from '../core/workspace/layout.js';

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
  idleSeconds: number;
  /** Cost limit that agentctl enforces itself (agents that take --max-budget-usd get it on their command line). */
  budgetUsd: number | undefined;
  priority: number;
  target: Target;
  /** The branch the agent works on (undefined for a detached tag). */
  branch: string | undefined;
  base: string | undefined;
  forge: ForgeLink | undefined;
  issueTitle: string | undefined;
  /** Commit, push and open a PR after a completed run whose QA did not fail. */
  push: boolean;
  /** Post the review as one PR comment. */
  comment: boolean;
  /** repos.<repo>.setup, run in the workspace before the agent. */
  setup?: string | undefined;
  /** A review agent (codex:review, coderabbit): no QA after it. */
  review: boolean;
  /** Workspaces whose runs must complete (QA not failed) before this one starts. */
  after?: string[] | undefined;
  /** Start from the work of the run it waits for (its one `after`), as agentctl collected it. */
  fromAfter?: boolean | undefined;
  /**
   * The commit --from-after started the checkout from, once it did: from then
   * on the checkout is the agent's, and a later start of this job (after a
   * usage limit, a resume, an answer) begins from this commit with no git run
   * there (fromAfter is cleared).
   */
  startedFrom?: string | undefined;
  /** The chain this run is a task of. */
  chain?: { id: string; task: string } | undefined;
  /** The forge user whose reply (answer --from-forge) this run resumed with. */
  answeredBy?: string | undefined;
}

export function jobPath(workspace: string): string {
  return workspaceLayout(workspace).job;
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
