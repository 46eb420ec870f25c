import { createServer } from 'node:net';
import type { Config } from '../core/config/schema.js';
import type { SwarmFacts } from '../core/doctor/swarm-checks.js';
import type { RuntimeRegistry } from '../runtime/registry.js';
import { callbackHost } from '../run/backend/swarm-launch.js';

/** Can agentctl listen on `host` (an ephemeral port), as a run's courier will? */
function listens(host: string): Promise<{ listens: boolean; error?: string }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve({ listens: false, error: error.message }));
    server.listen(0, host, () => server.close(() => resolve({ listens: true })));
  });
}

/** The swarm's nodes and the transfer's address, when runtime swarm is configured (prefer or host). */
export async function gatherSwarmFacts(config: Config, registry: RuntimeRegistry, endpoint: string | undefined): Promise<SwarmFacts | undefined> {
  if (config.runtime.prefer !== 'swarm' && config.runtime.swarm.host === undefined) return undefined;
  const runtime = await registry.get('swarm');
  let nodes: SwarmFacts['nodes'];
  try {
    nodes = runtime.swarm === undefined ? { error: 'not a swarm engine' } : await runtime.swarm.nodes();
  } catch (error) {
    nodes = { error: (error as Error).message };
  }
  let address: string;
  try {
    address = callbackHost(config.runtime.swarm.callback_address);
  } catch (error) {
    return { endpoint: endpoint ?? 'swarm', nodes, callback: { address: '(none)', listens: false, error: (error as Error).message } };
  }
  return { endpoint: endpoint ?? 'swarm', nodes, callback: { address, ...(await listens(address)) } };
}
