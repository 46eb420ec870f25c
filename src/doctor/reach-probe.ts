import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABEL_PREFIX } from '../core/container/container-spec.js';
import { processAlive } from '../fs/process-alive.js';
import { expectedNodes, probeSettled, reachProbeSpec, reachResults, type NodeReach, type ReachTaskView } from '../core/container/reach-probe.js';
import type { SwarmNodeFact } from '../core/doctor/swarm-checks.js';
import type { SwarmManager } from '../runtime/swarm-runtime.js';
import { HOME_LABEL, homeId } from '../run/home-id.js';
import { callbackUrl } from '../run/backend/swarm-launch.js';
import { listenForReach } from './reach-listener.js';

/** What marks the probe's service, secret and containers as agentctl's doctor's. */
export const REACH_ROLE_LABEL = `${LABEL_PREFIX}.role`;
/** The doctor process a probe is of (`<hostname>/<pid>`): one whose process is gone was cut short, and is swept. */
const OWNER_LABEL = `${LABEL_PREFIX}.reach-owner`;
/** How long doctor waits for every node to call in. */
const REACH_WAIT_MS = 20_000;
const POLL_MS = 250;

export interface ReachProbeInput {
  swarm: SwarmManager;
  nodes: readonly SwarmNodeFact[];
  /** The callback address, as a run's courier would listen on it. */
  host: string;
  image: string;
  /** The state home, whose id the probe's labels carry. */
  home: string;
  waitMs?: number;
}

/**
 * Whether each ready, active node reaches agentctl at the callback address,
 * the way a run's task reaches its courier: doctor listens there with a
 * fresh token, puts one task on every node (a global job), waits until each
 * has called in or ended, and then removes the service, its task containers
 * on the manager's engine and its secret, whatever happened.
 */
export async function probeReach(input: ReachProbeInput): Promise<NodeReach[]> {
  const expected = expectedNodes(input.nodes);
  if (expected.length === 0) return [];
  const token = randomBytes(32).toString('hex');
  const tag = randomBytes(4).toString('hex');
  const name = `agentctl-reach-${tag}`;
  const mine = { [REACH_ROLE_LABEL]: 'reach-probe', [HOME_LABEL]: homeId(input.home) };
  await sweepAbandoned(input, mine);
  const labels = { ...mine, [OWNER_LABEL]: `${hostname()}/${process.pid}` };
  const listener = await listenForReach(input.host, token, input.nodes.map((node) => node.id));
  let secret: { id: string } | undefined;
  let service: { id: string } | undefined;
  try {
    secret = await input.swarm.createSecret(name, labels, token);
    service = await input.swarm.createService(reachProbeSpec({ name, image: input.image, labels, callbackUrl: callbackUrl(input.host, listener.port), secret: { id: secret.id, name } }));
    const until = Date.now() + (input.waitMs ?? REACH_WAIT_MS);
    let tasks: ReachTaskView[] = [];
    for (;;) {
      tasks = await input.swarm.tasks(service.id);
      if (probeSettled(expected, listener.reached, tasks) || Date.now() > until) break;
      await sleep(POLL_MS);
    }
    return reachResults(expected, listener.reached, tasks);
  } finally {
    await listener.close();
    await cleanUp(input, service?.id, secret === undefined ? undefined : name);
  }
}

/**
 * The probes of this home that a doctor killed meanwhile (Ctrl-C, a kill)
 * left behind: a global job, its secret and its containers, which nothing
 * else would ever remove. Only those of a process of this machine that is
 * gone; what cannot be removed now is tried again by the next doctor.
 */
async function sweepAbandoned(input: ReachProbeInput, labels: Record<string, string>): Promise<void> {
  for (const service of await input.swarm.services(labels)) {
    const owner = service.labels[OWNER_LABEL];
    if (owner === undefined || !ownerGone(owner)) continue;
    try {
      await cleanUp(input, service.id, undefined);
      await input.swarm.removeSecrets({ ...labels, [OWNER_LABEL]: owner });
    } catch {
      // Left for the next doctor: this one's own probe does not depend on it.
    }
  }
}

function ownerGone(owner: string): boolean {
  const [host, pid] = owner.split('/');
  // Never 0 or 1: a signal to 0 is to this process's own group.
  if (host !== hostname() || pid === undefined || !/^\d{1,10}$/.test(pid) || Number(pid) <= 1) return false;
  return !processAlive(Number(pid));
}

/**
 * The service, then its containers on the manager's engine (Swarm leaves a
 * removed job's), then the secret they used: each step is tried, and what
 * could not be removed is said, naming it.
 */
async function cleanUp(input: ReachProbeInput, serviceId: string | undefined, secretName: string | undefined): Promise<void> {
  const failed: string[] = [];
  const attempt = async (what: string, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      failed.push(`${what}: ${(error as Error).message}`);
    }
  };
  if (serviceId !== undefined) {
    await attempt(`service ${serviceId}`, () => input.swarm.removeService(serviceId));
    await attempt(`the task containers of ${serviceId}`, () => input.swarm.removeTaskContainers(serviceId, 1));
  }
  if (secretName !== undefined) await attempt(`secret ${secretName}`, () => input.swarm.removeSecret(secretName));
  if (failed.length > 0) throw new Error(`the reach probe could not remove ${failed.join('; ')}`);
}
