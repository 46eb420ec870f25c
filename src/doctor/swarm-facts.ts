import { createServer } from 'node:net';
import type { Config } from '../core/config/schema.js';
import type { SwarmFacts } from '../core/doctor/swarm-checks.js';
import type { RuntimeRegistry } from '../runtime/registry.js';
import { callbackHost } from '../run/backend/swarm-launch.js';
import { probeReach } from './reach-probe.js';

/** Can agentctl listen on `host` (an ephemeral port), as a run's courier will? */
function listens(host: string): Promise<{ listens: boolean; error?: string }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve({ listens: false, error: error.message }));
    server.listen(0, host, () => server.close(() => resolve({ listens: true })));
  });
}

/**
 * The swarm's nodes and the transfer's address, when runtime swarm is
 * configured (prefer or host), and whether each node reaches agentctl there
 * (the reach probe runs `image`, the agent image a dispatch would use).
 */
export async function gatherSwarmFacts(config: Config, registry: RuntimeRegistry, endpoint: string | undefined, probe: { image: string; home: string }): Promise<SwarmFacts | undefined> {
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
  const callback = { address, ...(await listens(address)) };
  if ('error' in nodes || !callback.listens || runtime.swarm === undefined) return { endpoint: endpoint ?? 'swarm', nodes, callback };
  let reach: SwarmFacts['reach'];
  try {
    const results = await probeReach({ swarm: runtime.swarm, nodes, host: address, image: probe.image, home: probe.home });
    const hostname = new Map(nodes.map((node) => [node.id, node.hostname]));
    reach = results.map((result) => ({ hostname: hostname.get(result.node) ?? result.node, reached: result.reached, detail: result.detail, cause: result.cause }));
  } catch (error) {
    reach = { error: (error as Error).message };
  }
  return { endpoint: endpoint ?? 'swarm', nodes, callback, reach };
}
