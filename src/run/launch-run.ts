import { AgentctlError, ExitCode } from '../core/errors.js';
import type { RunStatus } from '../core/run/status.js';
import { startActions } from '../core/forge/forge-plan.js';
import { recordEvent } from './events.js';
import { applyForgeActions } from './forge-hooks.js';
import { crashPoint } from './faults.js';
import type { Job } from './job-store.js';
import type { RunContext } from './run-context.js';
import { withFinishLock } from './finish-lock.js';
import { readStatus, writeStatus } from './status-store.js';
import { readWorkspaceRecord } from '../workspace/prepare-workspace.js';

export function alreadyRunning(workspace: string): AgentctlError {
  return new AgentctlError('already_running', `an agent is already running in ${workspace}`, {
    exitCode: ExitCode.usage,
    hint: `follow it with "agentctl status ${workspace}", or stop it with "agentctl cancel ${workspace}"`,
  });
}

/**
 * Start the agent of a job whose slot has been claimed (status `running`
 * without a container or pid yet), then record where it runs. A failure to
 * start ends the run as failed, so the slot is freed.
 */
export async function launchRun(job: Job, claimed: RunStatus, ctx: RunContext, head?: string): Promise<RunStatus> {
  const workspace = job.workspace;
  // From agentctl's own record: git never runs in the agent's checkout.
  const startCommit = head ?? readWorkspaceRecord(workspace)?.commit;
  let status: RunStatus;
  try {
    const backend = await ctx.backend(claimed.runtime);
    backend.outbox(workspace, job.agentBase).note(`=== agentctl run ${claimed.runCount}: ${job.agent} started ${claimed.startedAt ?? ''} ===\n`);
    const { ref, warnings } = await backend.start(job, claimed.runCount);
    crashPoint('after-start', ctx.env);
    for (const message of warnings) recordEvent(ctx.home, { type: 'warning', at: ctx.clock.now().toISOString(), workspace, message });
    status = { ...claimed, ...ref, claimedBy: undefined, startCommit, warnings: [...claimed.warnings, ...warnings] };
  } catch (error) {
    const failed: RunStatus = {
      ...claimed,
      state: 'failed',
      claimedBy: undefined,
      reason: `could not start the agent: ${(error as Error).message}`,
      finishedAt: ctx.clock.now().toISOString(),
    };
    writeStatus(failed);
    recordEvent(ctx.home, { type: 'finished', at: failed.finishedAt as string, workspace, agent: job.agent, state: 'failed', reason: failed.reason });
    throw error;
  }
  if (job.forge !== undefined) {
    const warnings = await applyForgeActions(job.forge, startActions(job.forge.kind), workspace, ctx);
    status = { ...status, warnings: [...status.warnings, ...warnings] };
  }
  const started = status;
  // Meanwhile another process may have found the agent by its labels, adopted it, even
  // finished its run: only a claim that is still unrecorded is overwritten.
  const recorded = await withFinishLock(workspace, true, async () => {
    const current = readStatus(workspace);
    if (!stillClaimed(current, claimed)) return current;
    writeStatus(started);
    return started;
  });
  recordEvent(ctx.home, {
    type: 'started',
    at: status.startedAt as string,
    workspace,
    agent: status.agent,
    runtime: status.runtime,
    runCount: status.runCount,
    ...(status.containerId === undefined ? { pid: status.pid } : { containerId: status.containerId }),
  });
  return recorded ?? status;
}

function stillClaimed(current: RunStatus | undefined, claimed: RunStatus): boolean {
  return current?.state === 'running' && current.runCount === claimed.runCount && current.containerId === undefined && current.pid === undefined;
}
