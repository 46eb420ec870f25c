import { join, sep } from 'node:path';
import type { RunStatus } from '../core/run/status.js';
import { unclaimedAgents } from '../core/run/unclaimed-agents.js';
import { recordGlobalEvent } from './events.js';
import type { RunContext } from './run-context.js';
import { readStatus } from './status-store.js';

/**
 * Find and stop the agents that agentctl started and that no run claims
 * (see unclaimedAgents), on the backends of `runtimes`. Each one is stopped
 * (with the usual grace) and removed, in parallel, and an event names it;
 * one that already ended is only removed. Returns how many were stopped.
 */
export async function stopUnclaimedAgents(ctx: RunContext, runtimes: Iterable<RunStatus['runtime']>): Promise<number> {
  const root = join(ctx.home, 'workspace') + sep;
  let stopped = 0;
  for (const runtime of new Set(runtimes)) {
    const backend = await ctx.backend(runtime);
    const seen = (await backend.agents()).map((agent) => ({ ...agent, id: agent.ref.containerId ?? String(agent.ref.pid) }));
    const unclaimed = unclaimedAgents(seen, readStatus, (workspace) => workspace.startsWith(root));
    await Promise.all(
      unclaimed.map(async (agent) => {
        try {
          if (agent.running) await backend.stop(agent.ref, ctx.config.timeouts.grace);
          await backend.remove(agent.ref);
        } catch (error) {
          ctx.notify(`warning: could not stop agent ${agent.id} of ${agent.workspace}, which no run claims: ${(error as Error).message}`);
          return;
        }
        if (!agent.running) return;
        stopped += 1;
        const state = readStatus(agent.workspace)?.state ?? 'gone';
        ctx.notify(`warning: stopped agent ${agent.id} of ${agent.workspace} (run ${agent.runCount}): no run claims it (the run is ${state})`);
        recordGlobalEvent(ctx.home, { type: 'unclaimed-agent', at: ctx.clock.now().toISOString(), of: agent.workspace, agent: agent.id, runCount: agent.runCount });
      }),
    );
  }
  return stopped;
}
