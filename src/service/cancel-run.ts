import { usageError } from '../core/errors.js';
import type { RunStatus } from '../core/run/status.js';
import { recordEvent } from '../run/events.js';
import { stopRun } from '../run/finish-run.js';
import type { RunContext } from '../run/run-context.js';
import { withSchedulerLock } from '../run/scheduler-store.js';
import { readStatus, writeStatus } from '../run/status-store.js';
import { stopUnclaimedAgents } from '../run/stop-unclaimed.js';

/**
 * Cancel a run: a queued one becomes cancelled; a running one is stopped
 * (SIGTERM, grace, SIGKILL) and marked cancelled. The cancel command, the
 * dashboard and the MCP tool all cancel through here.
 */
export async function cancelRun(workspace: string, ctx: RunContext): Promise<RunStatus | undefined> {
  const final = await withSchedulerLock(ctx.home, async () => {
    const status = readStatus(workspace);
    if (status?.state !== 'queued') return undefined;
    const cancelled: RunStatus = { ...status, state: 'cancelled', reason: 'cancelled while queued', finishedAt: ctx.clock.now().toISOString() };
    writeStatus(cancelled);
    recordEvent(ctx.home, { type: 'finished', at: cancelled.finishedAt as string, workspace, agent: status.agent, state: 'cancelled', reason: cancelled.reason });
    return cancelled;
  });
  if (final !== undefined) return final;
  const status = readStatus(workspace);
  if (status?.state !== 'running') {
    throw usageError('nothing_to_cancel', `nothing to cancel in ${workspace}: the run is ${status?.state ?? 'not started'}`, 'only queued and running runs can be cancelled');
  }
  const stopped = await stopRun(workspace, 'cancelled', ctx);
  // Whatever agent of this workspace no run claims now (one started as the run ended) goes too.
  await stopUnclaimedAgents(ctx, [status.runtime]).catch((error: unknown) => ctx.notify(`warning: could not look for agents no run claims: ${(error as Error).message}`));
  return stopped;
}
