import { CONTAINER_PATHS } from '../workspace/layout.js';
import type { ContainerSpec } from './container-spec.js';
import { memoryBytes } from './hardening.js';

/**
 * A run on Docker Swarm, as a plan: the service spec agentctl sends to the
 * manager, the secret that carries what must not show in `service inspect`,
 * and how a task's state reads as the run port's observation. Pure: the
 * adapter (src/run/backend/swarm-backend.ts) does the calls.
 */

/** Where the task finds its run secret: /run/secrets/<this>. */
export const SWARM_SECRET_FILE = 'agentctl-run';
/** The one fixed variable the task gets: where this machine's courier for the run listens (no secret in it). */
export const CALLBACK_ENV = 'AGENTCTL_CALLBACK';
/** Seconds the agent gets between SIGTERM and SIGKILL when the run is stopped. */
const GRACE_ENV = 'AGENTCTL_GRACE';
/** What the task has after the agent's grace to send its trees back before the engine kills it. */
const UPLOAD_GRACE_SECONDS = 10;

/** Reservations and placement, as runtime.swarm, pools.<p>.swarm and agents.<a>.swarm set them. */
export interface SwarmPlacement {
  reserve_cpus?: number | undefined;
  reserve_memory?: string | undefined;
  generic_resources?: Record<string, number> | undefined;
  constraints?: string[] | undefined;
}

/** The most specific layer wins per field (runtime, then pool, then agent); constraints add up. */
export function mergePlacement(...layers: ReadonlyArray<SwarmPlacement | undefined>): SwarmPlacement {
  const merged: SwarmPlacement = {};
  const constraints: string[] = [];
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer.reserve_cpus !== undefined) merged.reserve_cpus = layer.reserve_cpus;
    if (layer.reserve_memory !== undefined) merged.reserve_memory = layer.reserve_memory;
    if (layer.generic_resources !== undefined) merged.generic_resources = { ...merged.generic_resources, ...layer.generic_resources };
    for (const constraint of layer.constraints ?? []) if (!constraints.includes(constraint)) constraints.push(constraint);
  }
  if (constraints.length > 0) merged.constraints = constraints;
  return merged;
}

/**
 * What the task runs before and after the agent, as `node -e` (every agent
 * image has Node: the agent CLIs are Node programs). It reads the run secret,
 * fetches repo/, outbox/ and inbox/ from the courier, runs the wrapped agent
 * with the secret's environment, sends the log's new bytes every second, and
 * at the end PUTs outbox/ and repo/ back (retrying for up to 10 minutes, so
 * an agentctl that is restarting meanwhile still gets them), then exits with
 * the agent's code. It sends nothing but these trees and the log: the host
 * decides every path. A 4xx answer is final (the host refused), not retried.
 */
export const SWARM_BOOTSTRAP = `
const fs = require('fs'), http = require('http'), cp = require('child_process'), os = require('os');
const argv = process.argv.slice(1);
const S = JSON.parse(fs.readFileSync('/run/secrets/${SWARM_SECRET_FILE}', 'utf8'));
const U = new URL(process.env.${CALLBACK_ENV});
const W = '${CONTAINER_PATHS.root}';
const logArg = argv.find((a) => a.startsWith('AGENTCTL_LOG='));
const log = logArg === undefined ? undefined : logArg.slice(13);
const say = (text) => process.stderr.write('agentctl-task: ' + text + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: U.hostname, port: U.port, method, path, headers: { authorization: 'Bearer ' + S.token } }, (m) => {
      if (m.statusCode === 200) return resolve(m);
      m.resume();
      const e = new Error(method + ' ' + path + ': HTTP ' + m.statusCode);
      e.final = m.statusCode >= 400 && m.statusCode < 500;
      reject(e);
    });
    r.on('error', reject);
    if (body === undefined) r.end(); else if (Buffer.isBuffer(body)) r.end(body); else body.pipe(r);
  });
}
async function retry(what, f, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try { return await f(); } catch (e) {
      if (e.final || Date.now() > until) throw e;
      say(what + ': ' + e.message + ', retrying');
      await sleep(2000);
    }
  }
}
function tar(args, input) {
  return new Promise((resolve, reject) => {
    const t = cp.spawn('tar', args, { stdio: [input === undefined ? 'ignore' : 'pipe', input === undefined ? 'pipe' : 'ignore', 'inherit'] });
    t.on('error', reject);
    if (input !== undefined) { t.stdin.on('error', () => {}); input.pipe(t.stdin); t.on('exit', (c) => { if (c === 0) return resolve(); const e = new Error('tar -x exited ' + c); e.final = true; reject(e); }); }
    else resolve(t);
  });
}
// The task's PID 1 ignores a signal it has no handler for: a stop before the agent runs ends the task at once.
let child;
const grace = Number(process.env.${GRACE_ENV}) * 1000;
let stopping = false;
function stop() {
  if (child === undefined) process.exit(143);
  if (stopping) return;
  stopping = true;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), grace).unref();
}
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, stop);
// agentctl's stop (cancel, timeout) reaches the task through the courier: Swarm does not stop a removed job's task.
async function heed() {
  try {
    const m = await call('GET', '/state');
    let text = '';
    for await (const chunk of m) text += chunk;
    if (text === 'stop') stop();
  } catch (e) {}
}
let sent = 0, sending = false;
async function pushLog() {
  if (sending || log === undefined) return;
  sending = true;
  let fd;
  try {
    // Non-blocking and a regular file only: a fifo the agent put there would block this process, and with it the stop.
    fd = fs.openSync(log, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return;
    const size = st.size;
    while (sent < size) {
      const b = Buffer.alloc(Math.min(size - sent, 1 << 20));
      const n = fs.readSync(fd, b, 0, b.length, sent);
      if (n === 0) break;
      (await call('POST', '/log?offset=' + sent, b.subarray(0, n))).resume();
      sent += n;
    }
  } catch (e) {} finally { if (fd !== undefined) fs.closeSync(fd); sending = false; }
}
(async () => {
  await retry('fetching the workspace', async () => tar(['-x', '-f', '-', '-C', W], await call('GET', '/in')), 60000);
  // Stopped while it was being placed: the agent never starts.
  await heed();
  // What the log held when it came from the host is the host's already.
  try { sent = fs.lstatSync(log).size; } catch (e) {}
  const env = { ...process.env, ...S.env };
  delete env.${CALLBACK_ENV};
  delete env.${GRACE_ENV};
  // A stop: the agent gets the grace, then SIGKILL, and the trees still go back before the engine's own kill.
  child = cp.spawn(argv[0], argv.slice(1), { cwd: W + '/repo', env, stdio: 'inherit' });
  const timer = setInterval(() => { void pushLog(); void heed(); }, 1000);
  const code = await new Promise((r) => {
    child.on('exit', (c, sig) => r(c ?? 128 + (os.constants.signals[sig] || 15)));
    child.on('error', (e) => { say(e.message); r(127); });
  });
  clearInterval(timer);
  while (sending) await sleep(50);
  await pushLog();
  await Promise.all(['outbox', 'repo'].map((part) => retry('sending ' + part + '/ back', async () => (await call('PUT', '/out/' + part, (await tar(['-c', '-f', '-', '-C', W, part])).stdout)).resume(), 600000)));
  process.exit(code);
})().catch((e) => { say(e.message); process.exit(125); });
`;

export interface SwarmServiceInput {
  /** The run's container spec, as for any engine (its mounts are ignored: nothing of this machine is mounted). */
  spec: ContainerSpec;
  /** http://host:port of this run's courier. */
  callbackUrl: string;
  secret: { id: string; name: string };
  placement: SwarmPlacement;
  graceSeconds: number;
}

/** The Engine API's CreateService body (API 1.41, Docker 20.10); only the fields agentctl sets. */
export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  Mode: { ReplicatedJob: { MaxConcurrent: number; TotalCompletions: number } };
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Labels: Record<string, string>;
      Command: string[];
      Args: string[];
      Env: string[];
      Dir: string;
      User: string;
      ReadOnly: boolean;
      CapabilityDrop: string[];
      CapabilityAdd: string[];
      Mounts: Array<{ Type: 'volume'; Target: string; VolumeOptions: { NoCopy: true; Labels: Record<string, string>; DriverConfig: { Name: 'local'; Options: { type: 'tmpfs'; device: 'tmpfs'; o: string } } } }>;
      Secrets: Array<{ SecretID: string; SecretName: string; File: { Name: string; UID: string; GID: string; Mode: number } }>;
      StopGracePeriod: number;
    };
    Resources: {
      Limits: { NanoCPUs: number; MemoryBytes: number; Pids: number };
      Reservations: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: Array<{ DiscreteResourceSpec: { Kind: string; Value: number } }> };
    };
    RestartPolicy: { Condition: 'none'; MaxAttempts: 0 };
    Placement?: { Constraints: string[] };
    Networks?: Array<{ Target: string }>;
  };
}

/**
 * The service for one run: a replicated job of one task, never restarted,
 * labelled like a local container (service and task container alike), with
 * the container hardening Swarm can express:
 * - read-only root, every capability dropped but the spec's, pids, memory
 *   and CPU limits;
 * - scratch (/tmp, HOME) and /workspace as tmpfs, made as local volumes
 *   of the node: Swarm's own tmpfs mounts take no owner and (Docker 20.10)
 *   drop their mode, so the agent user could not write them; the volume's
 *   tmpfs options give HOME and /workspace to that user, /tmp mode 1777;
 * - no bind mount at all: the workspace comes over HTTP from the courier.
 * Gaps, said in SECURITY.md: Swarm (API 1.41) has no no-new-privileges, and
 * /workspace counts against the memory limit.
 * Environment values (API keys) go only into the secret; the spec carries
 * the fixed, non-secret values and the courier's address.
 */
export function swarmServiceSpec(input: SwarmServiceInput): SwarmServiceSpec {
  const { spec, placement } = input;
  const { hardening } = spec;
  const [uid, gid] = spec.user.split(':');
  const generic = { ...(spec.gpu ? { gpu: 1 } : {}), ...placement.generic_resources };
  const reservations: SwarmServiceSpec['TaskTemplate']['Resources']['Reservations'] = {};
  if (placement.reserve_cpus !== undefined) reservations.NanoCPUs = Math.round(placement.reserve_cpus * 1e9);
  if (placement.reserve_memory !== undefined) reservations.MemoryBytes = memoryBytes(placement.reserve_memory);
  if (Object.keys(generic).length > 0) reservations.GenericResources = Object.entries(generic).map(([Kind, Value]) => ({ DiscreteResourceSpec: { Kind, Value } }));
  const fixedEnv = spec.env.flatMap((entry) => (entry.value === undefined ? [] : [`${entry.name}=${entry.value}`]));
  const owned = `nosuid,nodev,uid=${uid ?? '0'},gid=${gid ?? uid ?? '0'},mode=0700`;
  const scratch = [...hardening.tmpfs.map((mount) => ({ path: mount.path, o: mount.ownedByUser ? owned : 'nosuid,nodev,mode=1777' })), { path: CONTAINER_PATHS.root, o: owned }];
  return {
    Name: spec.name,
    Labels: spec.labels,
    Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Labels: spec.labels,
        Command: ['node', '-e', SWARM_BOOTSTRAP],
        Args: spec.argv,
        Env: [...fixedEnv, `${CALLBACK_ENV}=${input.callbackUrl}`, `${GRACE_ENV}=${input.graceSeconds}`],
        Dir: CONTAINER_PATHS.root,
        User: spec.user,
        ReadOnly: true,
        CapabilityDrop: ['ALL'],
        CapabilityAdd: hardening.capAdd,
        Mounts: scratch.map(({ path, o }) => ({
          Type: 'volume',
          Target: path,
          VolumeOptions: { NoCopy: true, Labels: spec.labels, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o } } },
        })),
        Secrets: [{ SecretID: input.secret.id, SecretName: input.secret.name, File: { Name: SWARM_SECRET_FILE, UID: uid ?? '0', GID: gid ?? uid ?? '0', Mode: 0o400 } }],
        StopGracePeriod: (input.graceSeconds + UPLOAD_GRACE_SECONDS) * 1e9,
      },
      Resources: {
        Limits: { NanoCPUs: Math.round(hardening.limits.cpus * 1e9), MemoryBytes: memoryBytes(hardening.limits.memory), Pids: hardening.limits.pids },
        Reservations: reservations,
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      ...(placement.constraints === undefined ? {} : { Placement: { Constraints: placement.constraints } }),
    },
  };
}

/** The secret's content: the courier token and the agent's environment values (by the names the config gives). */
export function secretPayload(token: string, env: Record<string, string>): string {
  return JSON.stringify({ token, env });
}

/** What the manager says about a job's one task, as much as agentctl reads of it. */
export interface SwarmTaskView {
  state: string;
  /** The task's container's exit code, once it has one. */
  exitCode: number | undefined;
  message: string | undefined;
  error: string | undefined;
  /** The state of the node the task was given to, when known. */
  nodeState: string | undefined;
  /**
   * The exit code of the task's container where the manager's own engine
   * ran it and it has exited: the engine has it ~120 ms before the node
   * reports the task's end to the manager. Undefined on any other node.
   */
  containerExit: number | undefined;
}

export type TaskObservation =
  | { phase: 'running' }
  | { phase: 'ended'; exitCode: number | undefined; killed: boolean; lost?: string | undefined };

/** Before a task runs: still being placed, or starting, on some node. */
const WAITING = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'ready', 'preparing', 'starting']);

/**
 * How a job's task reads as the run's agent. A task whose node is down,
 * or that the manager orphaned (its node gone for good), ended with no
 * exit code: `node-lost`. A task that failed before its container ran
 * (a constraint no node meets is "pending" for ever; an image the node
 * lacks is "rejected") ended with the manager's words.
 */
export function observeTask(task: SwarmTaskView | undefined): TaskObservation {
  if (task === undefined) return { phase: 'running' };
  if (task.state === 'orphaned' || ((task.state === 'running' || WAITING.has(task.state)) && task.nodeState === 'down')) {
    return { phase: 'ended', exitCode: undefined, killed: false, lost: 'node-lost: the node running the task went down' };
  }
  if (task.state === 'running' || WAITING.has(task.state)) return task.containerExit === undefined ? { phase: 'running' } : { phase: 'ended', exitCode: task.containerExit, killed: false };
  if (task.state === 'complete') return { phase: 'ended', exitCode: task.exitCode ?? 0, killed: false };
  if (task.exitCode !== undefined && task.state === 'failed') return { phase: 'ended', exitCode: task.exitCode, killed: false };
  const why = [task.error, task.message].filter((text) => text !== undefined && text !== '').join(': ');
  return { phase: 'ended', exitCode: undefined, killed: task.state === 'shutdown', lost: `task ${task.state}${why === '' ? '' : `: ${why}`}` };
}
