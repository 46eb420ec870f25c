import { usageError } from '../core/errors.js';
import type { RunStatus } from '../core/run/status.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { FileTail } from '../fs/file-tail.js';
import { followRun } from '../run/finish-run.js';
import { claimQueued, launchClaimed } from '../run/queue.js';
import type { RunContext } from '../run/run-context.js';
import { readStatus } from '../run/status-store.js';

/** How a bounded wait ended: the run's status, and whether the run ended or the wait gave up first. */
export interface WaitOutcome {
  status: RunStatus;
  ended: boolean;
}

/** A parsed line of a run's own event log; a line that is not a JSON object is skipped. */
function parseEvent(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

class WaitOver extends Error {}

/**
 * Follow a run until it ends or `timeoutSeconds` pass, helping the queue
 * along as `dispatch --wait` does, and hand each new event of the run's own
 * log to `onEvent`. A wait that gives up leaves the run going, with a
 * supervisor to finish it.
 */
export async function waitForRun(
  workspace: string,
  ctx: RunContext,
  timeoutSeconds: number,
  onEvent: (event: Record<string, unknown>) => void | Promise<void>,
): Promise<WaitOutcome> {
  const state = readStatus(workspace)?.state;
  if (state === undefined || state === 'prepared') {
    throw usageError('nothing_to_wait_for', `the run in ${workspace} is ${state ?? 'not started'}: nothing runs there`, 'dispatch it without a dry run first');
  }
  const events = new FileTail(workspaceLayout(workspace).events);
  const pending: Record<string, unknown>[] = [];
  const collect = () =>
    events.drain((line) => {
      const event = parseEvent(line);
      if (event !== undefined) pending.push(event);
    });
  const deliver = async () => {
    collect();
    for (const event of pending.splice(0)) await onEvent(event);
  };
  // Only what happens from now on is progress; the log so far is history.
  collect();
  pending.length = 0;
  const since = performance.now();
  const drain = async () => launchClaimed((await claimQueued(ctx)).claimed, ctx);
  try {
    const status = await followRun(workspace, ctx, drain, async () => {
      await deliver();
      if (performance.now() - since >= timeoutSeconds * 1000) throw new WaitOver();
    });
    await deliver();
    return { status, ended: true };
  } catch (error) {
    if (!(error instanceof WaitOver)) throw error;
    await ctx.ensureSupervisor();
    return { status: readStatus(workspace) as RunStatus, ended: false };
  }
}
