import type { RunStatus } from '../../core/run/status.js';
import type { RunContext } from '../run-context.js';
import type { AgentBackend } from './agent-backend.js';
import { engineBackend } from './engine-backend.js';
import { hostBackend } from './host-backend.js';

/** The adapter for a run on this machine: its engine's, or the host's for an opted-in host agent. */
export async function localBackend(runtime: RunStatus['runtime'], ctx: RunContext): Promise<AgentBackend> {
  return runtime === 'host' ? hostBackend(ctx.runtimes.host, ctx) : engineBackend(await ctx.runtimes.get(runtime), ctx);
}
