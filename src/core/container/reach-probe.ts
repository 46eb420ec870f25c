import { CALLBACK_ENV } from './swarm-service.js';

/** Where the probe's task finds its token: /run/secrets/<this>. */
export const REACH_SECRET_FILE = 'agentctl-reach';
/** The node the task runs on, from Swarm's template: what it says it is (checked against the manager's list). */
export const REACH_NODE_ENV = 'AGENTCTL_NODE';
/** The path the task calls, with ?node=<its node id>. */
export const REACH_PATH = '/reach';
/** The probe task's user: nobody; it reads its token and makes one request. */
const PROBE_USER = '65534';

/** The probe's exit codes, and what each says of the way to agentctl. */
export const REACH_EXITS: Readonly<Record<number, string>> = {
  1: 'agentctl answered but refused the probe',
  2: 'could not connect',
  3: 'timed out connecting',
};

/**
 * The task's program (`node -e`: every agent image has Node): one GET of
 * /reach with the token, 5 s at most, then an exit code that says how it
 * went (REACH_EXITS). It sends nothing of the node but the id Swarm gave it.
 */
export const REACH_PROBE_SCRIPT = `
const fs = require('fs'), http = require('http');
const token = fs.readFileSync('/run/secrets/${REACH_SECRET_FILE}', 'utf8').trim();
const u = new URL(process.env.${CALLBACK_ENV});
const r = http.request({ host: u.hostname, port: u.port, path: '${REACH_PATH}?node=' + encodeURIComponent(process.env.${REACH_NODE_ENV}), headers: { authorization: 'Bearer ' + token }, timeout: 5000 }, (m) => {
  m.resume();
  process.exit(m.statusCode === 204 ? 0 : 1);
});
r.on('timeout', () => { process.stderr.write('agentctl-reach: timed out\\n'); process.exit(3); });
r.on('error', (e) => { process.stderr.write('agentctl-reach: ' + e.message + '\\n'); process.exit(2); });
r.end();
`;

export interface ReachProbeInput {
  name: string;
  image: string;
  labels: Record<string, string>;
  /** http://host:port of doctor's listener. */
  callbackUrl: string;
  secret: { id: string; name: string };
}

/** The Engine API's CreateService body for a global job (API 1.41); only the fields the probe sets. */
export interface ReachProbeServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  Mode: { GlobalJob: Record<string, never> };
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Labels: Record<string, string>;
      Command: string[];
      Env: string[];
      Dir: string;
      User: string;
      ReadOnly: boolean;
      CapabilityDrop: string[];
      Secrets: Array<{ SecretID: string; SecretName: string; File: { Name: string; UID: string; GID: string; Mode: number } }>;
    };
    Resources: { Limits: { NanoCPUs: number; MemoryBytes: number; Pids: number } };
    RestartPolicy: { Condition: 'none'; MaxAttempts: 0 };
  };
}

/**
 * doctor's reach probe: one task on every node that takes tasks (a global
 * job, never restarted), each calling doctor's listener the way a run's task
 * calls its courier. Hardened like a run's task where Swarm can say it:
 * nobody, read-only root, no capability, small limits, no mount. The token
 * is in a Swarm secret, never in the spec (service inspect shows the spec).
 */
export function reachProbeSpec(input: ReachProbeInput): ReachProbeServiceSpec {
  return {
    Name: input.name,
    Labels: input.labels,
    Mode: { GlobalJob: {} },
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        Labels: input.labels,
        Command: ['node', '-e', REACH_PROBE_SCRIPT],
        Env: [`${CALLBACK_ENV}=${input.callbackUrl}`, `${REACH_NODE_ENV}={{.Node.ID}}`, 'AGENTCTL_NODE_HOSTNAME={{.Node.Hostname}}'],
        Dir: '/',
        User: `${PROBE_USER}:${PROBE_USER}`,
        ReadOnly: true,
        CapabilityDrop: ['ALL'],
        Secrets: [{ SecretID: input.secret.id, SecretName: input.secret.name, File: { Name: REACH_SECRET_FILE, UID: PROBE_USER, GID: PROBE_USER, Mode: 0o400 } }],
      },
      Resources: { Limits: { NanoCPUs: 500_000_000, MemoryBytes: 128 * 1024 ** 2, Pids: 32 } },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
    },
  };
}

/** A probe task as the manager lists it. */
export interface ReachTaskView {
  nodeId: string;
  state: string;
  exitCode: number | undefined;
  error: string | undefined;
}

/** One node's answer: reached agentctl, or not and why. */
export interface NodeReach {
  node: string;
  reached: boolean;
  detail?: string | undefined;
  /** Not reached: the way there failed (`network`), or the probe's task never got to try (`task`: no image, not placed…). */
  cause?: 'network' | 'task' | undefined;
}

/** Task states after which a task does nothing more. */
const ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);

/** The nodes the probe waits for: ready and active (the others get no task). */
export function expectedNodes(nodes: ReadonlyArray<{ id: string; state: string; availability: string }>): string[] {
  return nodes.filter((node) => node.state === 'ready' && node.availability === 'active').map((node) => node.id);
}

/** Done waiting: each expected node has called in, or its task has ended. */
export function probeSettled(expected: readonly string[], reached: ReadonlySet<string>, tasks: readonly ReachTaskView[]): boolean {
  return expected.every((id) => reached.has(id) || tasks.some((task) => task.nodeId === id && ENDED.has(task.state)));
}

/**
 * Each expected node's answer, from the ids that called in (the listener
 * takes only known ids) and the node's task: why it did not reach, in the
 * probe's own exit code's words, else the manager's.
 */
export function reachResults(expected: readonly string[], reached: ReadonlySet<string>, tasks: readonly ReachTaskView[]): NodeReach[] {
  return expected.map((node) => {
    if (reached.has(node)) return { node, reached: true };
    const task = tasks.find((candidate) => candidate.nodeId === node);
    if (task === undefined) return { node, reached: false, cause: 'task', detail: 'no probe task was placed on it in time' };
    const said = task.exitCode === undefined ? undefined : REACH_EXITS[task.exitCode];
    if (said !== undefined) return { node, reached: false, cause: 'network', detail: said };
    if (!ENDED.has(task.state)) return { node, reached: false, cause: 'task', detail: `its probe task was still ${task.state} when doctor stopped waiting` };
    return { node, reached: false, cause: 'task', detail: `its probe task ${task.state}${task.error === undefined || task.error === '' ? '' : `: ${task.error}`}` };
  });
}
