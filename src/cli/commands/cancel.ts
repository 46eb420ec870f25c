import { z } from 'zod';
import { ExitCode, usageError } from '../../core/errors.js';
import type { RunStatus } from '../../core/run/status.js';
import { recordEvent } from '../../run/events.js';
import { stopRun } from '../../run/finish-run.js';
import { stopUnclaimedAgents } from '../../run/stop-unclaimed.js';
import { withSchedulerLock } from '../../run/scheduler-store.js';
import { readStatus, writeStatus } from '../../run/status-store.js';
import type { Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';
import { resolveWorkspace } from './status.js';

export const cancelOptions = z.object({ args: z.array(z.string()).min(1, 'needs a workspace'), json: z.boolean().default(false), config: z.string().optional() });

/** A queued run becomes cancelled; a running one is stopped (SIGTERM, grace, SIGKILL) and marked cancelled. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(cancelOptions, raw, 'cancel');
  const workspace = resolveWorkspace(opts.args[0] as string, deps);
  const { config } = await loadConfigFor(deps, opts.config);
  const ctx = await runContextFor(deps, config);
  let final: RunStatus | undefined = await withSchedulerLock(ctx.home, async () => {
    const status = readStatus(workspace);
    if (status?.state !== 'queued') return undefined;
    const cancelled: RunStatus = { ...status, state: 'cancelled', reason: 'cancelled while queued', finishedAt: ctx.clock.now().toISOString() };
    writeStatus(cancelled);
    recordEvent(ctx.home, { type: 'finished', at: cancelled.finishedAt as string, workspace, agent: status.agent, state: 'cancelled', reason: cancelled.reason });
    return cancelled;
  });
  if (final === undefined) {
    const status = readStatus(workspace);
    if (status?.state !== 'running') {
      throw usageError('nothing_to_cancel', `nothing to cancel in ${workspace}: the run is ${status?.state ?? 'not started'}`, 'only queued and running runs can be cancelled');
    }
    final = await stopRun(workspace, 'cancelled', ctx);
    // Whatever agent of this workspace no run claims now (one started as the run ended) goes too.
    await stopUnclaimedAgents(ctx, [status.runtime]).catch((error: unknown) => ctx.notify(`warning: could not look for agents no run claims: ${(error as Error).message}`));
  }
  deps.io.out(opts.json ? `${JSON.stringify(final, null, 2)}\n` : `cancelled ${workspace}\n`);
  return ExitCode.ok;
}
