import { workspaceLayout } from '../core/workspace/layout.js';
import { mirrorDirFor } from '../core/workspace/plan-workspace.js';
import type { CollectedWork, WorkPaths } from '../git/host-repo.js';
import { readWorkspaceRecord, type WorkspaceRecord } from '../workspace/prepare-workspace.js';
import type { RunStatus } from '../core/run/status.js';
import type { Job } from './job-store.js';
import type { RunContext } from './run-context.js';

/** Where a workspace's work is collected, from agentctl's own record of the workspace (never from the checkout). */
export function workPaths(workspace: string, home: string): { paths: WorkPaths; record: WorkspaceRecord } | undefined {
  const record = readWorkspaceRecord(workspace);
  const [org, name] = record?.repo.split('/') ?? [];
  if (record === undefined || org === undefined || name === undefined) return undefined;
  const layout = workspaceLayout(workspace);
  return { paths: { repo: layout.repo, hostGit: layout.hostGit, startIndex: layout.startIndex, mirror: mirrorDirFor(home, { org, name, cloneUrl: record.cloneUrl }) }, record };
}

/**
 * Collect what the agent did into the host-owned repository, once its
 * container is gone and before QA adds its own files (lockfiles,
 * node_modules, vendor/). A failure is a warning: the run is not trusted
 * to have produced anything.
 */
export async function collectAgentWork(job: Job, status: RunStatus, ctx: RunContext): Promise<{ work?: CollectedWork; warning?: string }> {
  const where = workPaths(job.workspace, ctx.home);
  if (where === undefined) return { warning: "could not collect the agent's work: the workspace record is missing" };
  const what = job.target.kind === 'issue' ? ` for #${job.target.number}` : '';
  try {
    const work = await ctx.git.collectWork(where.paths, status.startCommit ?? where.record.commit, `agentctl: ${job.agent} run ${status.runCount}${what}`, ctx.config.git);
    return { work };
  } catch (error) {
    return { warning: `could not collect the agent's work: ${(error as Error).message.split('\n').slice(-3).join('; ')}` };
  }
}
