import type { RunStatus } from '../../core/run/status.js';
import type { RunContext } from '../run-context.js';
import type { AgentBackend } from './agent-backend.js';
import { engineBackend } from './engine-backend.js';
import { hostBackend } from './host-backend.js';
import { remoteEngineBackend } from './remote-engine-backend.js';

/**
 * The adapter for a run: the host's for an opted-in host agent; for a
 * container, its engine's, with bind mounts when the engine is on this
 * machine and archives copied across when it is remote. The callers never
 * choose between those.
 */
export async function chooseBackend(runtime: RunStatus['runtime'], ctx: RunContext): Promise<AgentBackend> {
  if (runtime === 'host') return hostBackend(ctx.runtimes.host, ctx);
  const engine = await ctx.runtimes.get(runtime);
  if (engine.swarm !== undefined) return (await import('./swarm-backend.js')).swarmBackend(engine, engine.swarm, ctx);
  return engine.remote === undefined ? engineBackend(engine, ctx) : remoteEngineBackend(engine, engine.remote, ctx);
}
