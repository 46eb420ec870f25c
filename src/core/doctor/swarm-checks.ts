import { displayLine } from '../text/display-line.js';
import type { Check } from './checks.js';

/** A swarm node as doctor shows it. */
export interface SwarmNodeFact {
  /** The manager's id of the node. */
  id: string;
  hostname: string;
  role: string;
  state: string;
  availability: string;
  cpus: number;
  memoryBytes: number;
  /** Reserved by running tasks' reservations. */
  reservedCpus: number;
  reservedMemoryBytes: number;
}

/** What doctor learnt of the swarm, when runtime swarm is configured. */
export interface SwarmFacts {
  endpoint: string;
  /** The nodes, or why they could not be listed. */
  nodes: SwarmNodeFact[] | { error: string };
  /** The callback address the tasks fetch their workspace from, and whether agentctl can listen there. */
  callback: { address: string; listens: boolean; error?: string | undefined };
  /**
   * Whether each ready, active node reached agentctl at the callback address
   * (doctor's reach probe), or why the probe could not tell; undefined when
   * it did not run (no nodes listed, or the address cannot be listened on).
   */
  reach?: ReachFact[] | { error: string } | undefined;
}

/** One node's answer to the reach probe. */
export interface ReachFact {
  hostname: string;
  reached: boolean;
  detail?: string | undefined;
  /** Not reached: the way there failed (`network`), or the probe's task never got to try (`task`). */
  cause?: 'network' | 'task' | undefined;
}

const GIB = 1024 ** 3;

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** One line per node with what is free to reserve, and whether the transfer's address can be served. */
export function swarmChecks(swarm: SwarmFacts | undefined): Check[] {
  if (swarm === undefined) return [];
  const checks: Check[] = [];
  if ('error' in swarm.nodes) {
    checks.push({ id: 'swarm.nodes', status: 'fail', message: `swarm at ${swarm.endpoint}: nodes not listed: ${swarm.nodes.error}`, fix: 'point runtime.swarm.host at a swarm manager (docker swarm init, or docker swarm join as a manager)' });
  } else {
    for (const node of swarm.nodes) {
      const usable = node.state === 'ready' && node.availability === 'active';
      const free = `${round(node.cpus - node.reservedCpus)} of ${round(node.cpus)} CPUs, ${round((node.memoryBytes - node.reservedMemoryBytes) / GIB)} of ${round(node.memoryBytes / GIB)} GiB free to reserve`;
      checks.push({
        id: `swarm.node.${node.hostname}`,
        status: usable ? 'ok' : 'warn',
        message: `swarm node ${node.hostname} (${node.role}, ${node.state}, ${node.availability}): ${free}`,
        fix: usable ? null : `tasks are not placed on ${node.hostname} until it is ready and active (docker node update --availability active ${node.hostname})`,
      });
    }
  }
  const { callback } = swarm;
  checks.push(
    callback.listens
      ? { id: 'swarm.callback', status: 'ok', message: `swarm tasks fetch their workspace from ${callback.address} (agentctl can listen there)`, fix: null }
      : {
          id: 'swarm.callback',
          status: 'fail',
          message: `swarm tasks could not fetch their workspace: agentctl cannot listen on ${callback.address}: ${callback.error ?? 'unknown error'}`,
          fix: 'set runtime.swarm.callback_address to an address of this machine that the swarm nodes reach',
        },
  );
  return [...checks, ...reachChecks(swarm.reach, callback.address)];
}

/** One line per node: does it reach agentctl where its tasks will fetch their workspace? Node names and reasons are the manager's: one clean line each. */
function reachChecks(reach: SwarmFacts['reach'], address: string): Check[] {
  if (reach === undefined) return [];
  if ('error' in reach) {
    return [{ id: 'swarm.reach', status: 'warn', message: `could not probe whether the swarm nodes reach agentctl at ${address}: ${displayLine(reach.error)}`, fix: 'check that the swarm manager can create services and secrets, then run doctor again' }];
  }
  return reach.map((node) => {
    const hostname = displayLine(node.hostname);
    const id = `swarm.reach.${hostname}`;
    const detail = displayLine(node.detail ?? 'unknown');
    if (node.reached) return { id, status: 'ok', message: `swarm node ${hostname} reaches agentctl at ${address}`, fix: null };
    // The probe could not tell (its task did not run there): a warning, as a node that the run's constraints exclude may be it.
    if (node.cause === 'task') {
      return {
        id,
        status: 'warn',
        message: `could not tell whether swarm node ${hostname} reaches agentctl at ${address}: ${detail}`,
        fix: `a run's task would fail there the same way: make the agent image present on ${hostname}, and see docker node ps ${hostname}`,
      };
    }
    return {
      id,
      status: 'fail',
      message: `swarm node ${hostname} cannot reach agentctl at ${address}: ${detail}`,
      fix: `set runtime.swarm.callback_address to an address of this machine that ${hostname} reaches (a task's 127.0.0.1 is its own), on any port through the firewall`,
    };
  });
}
