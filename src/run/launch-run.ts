import { AgentctlError, ExitCode } from '../core/errors.js';
import { isTerminal, type RunStatus } from '../core/run/status.js';
import { finishActions, startActions } from '../core/forge/forge-plan.js';
import type { AgentRef } from './backend/agent-backend.js';
import { recordEvent } from './events.js';
import { applyForgeActions } from './forge-hooks.js';
import { crashPoint } from './faults.js';
import type { Job } from './job-store.js';
import type { RunContext } from './run-context.js';
import { withFinishLock } from './finish-lock.js';
import { readStatus, writeStatus } from './status-store.js';
import { readWorkspaceRecord } from '../workspace/prepare-workspace.js';
import { startFromPredecessor } from './start-from-after.js';

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
 *
 * The start and its record happen under the workspace's finish lock, so a
 * cancel (or a timeout, or another process adopting the run) either comes
 * first, and no agent is started, or comes after, and finds the agent
 * recorded and stops it: no agent can start unseen for a run that already
 * ended.
 */
export async function launchRun(job: Job, claimed: RunStatus, ctx: RunContext, head?: string): Promise<RunStatus> {
  const workspace = job.workspace;
  // From agentctl's own record: git never runs in the agent's checkout.
  let startCommit = head ?? readWorkspaceRecord(workspace)?.commit;
  const backend = await ctx.backend(claimed.runtime);
  // Beside the start (a forge call can take as long as the start), and awaited before the lock is let go,
  // so nobody can finish the run, and tell the forge it ended, before the forge heard it started.
  const forgeStarted = job.forge === undefined ? Promise.resolve([]) : applyForgeActions(job.forge, startActions(job.forge.kind), workspace, ctx);
  const outcome = await withFinishLock(workspace, true, async (): Promise<{ status: RunStatus | undefined; started: boolean }> => {
    const current = readStatus(workspace);
    if (!stillClaimed(current, claimed)) {
      await forgeStarted;
      return { status: current, started: false };
    }
    let started: { ref: AgentRef; warnings: string[] };
    try {
      backend.outbox(workspace, job.agentBase).note(`=== agentctl run ${claimed.runCount}: ${job.agent} started ${claimed.startedAt ?? ''} ===\n`);
      if (job.fromAfter === true || job.startedFrom !== undefined) startCommit = await startFromPredecessor(job, ctx);
      started = await backend.start(job, claimed.runCount);
      crashPoint('after-start', ctx.env);
    } catch (error) {
      await forgeStarted;
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
    // In the order they were recorded: the forge's (recorded as its calls fail) before the start's.
    const warnings = [...(await forgeStarted), ...started.warnings];
    for (const message of started.warnings) recordEvent(ctx.home, { type: 'warning', at: ctx.clock.now().toISOString(), workspace, message });
    const status: RunStatus = { ...claimed, ...started.ref, claimedBy: undefined, startCommit, warnings: [...claimed.warnings, ...warnings] };
    writeStatus(status);
    return { status, started: true };
  }).catch(async (error: unknown) => {
    // The start failed: the forge hears the run's end, as after any run.
    if (job.forge !== undefined) {
      const failed = readStatus(workspace);
      if (failed !== undefined && isTerminal(failed.state)) await applyForgeActions(job.forge, finishActions(job.forge.kind, failed, {}), workspace, ctx);
    }
    throw error;
  });
  const status = outcome?.status;
  if (outcome?.started !== true) {
    // The run ended (a cancel) before its agent started: the forge is put back as that ending left it.
    if (job.forge !== undefined && status !== undefined && isTerminal(status.state)) {
      await applyForgeActions(job.forge, finishActions(job.forge.kind, status, { pullUrl: status.pullRequest?.url }), workspace, ctx);
    }
    return status ?? claimed;
  }
  const recorded = status as RunStatus;
  recordEvent(ctx.home, {
    type: 'started',
    at: recorded.startedAt as string,
    workspace,
    agent: recorded.agent,
    runtime: recorded.runtime,
    runCount: recorded.runCount,
    ...(recorded.containerId === undefined ? { pid: recorded.pid } : { containerId: recorded.containerId }),
  });
  return recorded;
}

function stillClaimed(current: RunStatus | undefined, claimed: RunStatus): boolean {
  return current?.state === 'running' && current.runCount === claimed.runCount && current.containerId === undefined && current.pid === undefined;
}
