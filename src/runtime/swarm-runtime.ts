import type Dockerode from 'dockerode';
import type { Config } from '../core/config/schema.js';
import type { ContainerSpec } from '../core/container/container-spec.js';
import type { ReachProbeServiceSpec, ReachTaskView } from '../core/container/reach-probe.js';
import type { SwarmServiceSpec, SwarmTaskView } from '../core/container/swarm-service.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import { DockerodeRuntime, dockerodeOptions, labelFilters } from './dockerode-runtime.js';
import { resolveEndpoint, type EngineEndpoint } from './engine-endpoint.js';
import type { Availability, ContainerRuntime, ContainerState, Env, RemoteEngine } from './runtime.js';
import type { SshSettings } from './ssh-transport.js';
import type { SwarmNodeFact } from '../core/doctor/swarm-checks.js';

/** What Swarm labels a task's container with: the service it belongs to. */
export const SERVICE_ID_LABEL = 'com.docker.swarm.service.id';

/** A job service of agentctl's, as listed: its id and labels. */
export interface SwarmService {
  id: string;
  labels: Record<string, string>;
}


/** The manager's calls for jobs, secrets and nodes. */
export interface SwarmManager {
  createSecret(name: string, labels: Record<string, string>, data: string): Promise<{ id: string }>;
  removeSecret(name: string): Promise<void>;
  createService(spec: SwarmServiceSpec | ReachProbeServiceSpec): Promise<{ id: string }>;
  /** The service and its labels; undefined once it is gone. */
  service(id: string): Promise<SwarmService | undefined>;
  services(labels: Record<string, string | true>): Promise<SwarmService[]>;
  /** The job's one task (the newest), with its node's state. */
  task(serviceId: string): Promise<SwarmTaskView | undefined>;
  /** Every task of a service (a global job has one per node): its node and state. */
  tasks(serviceId: string): Promise<ReachTaskView[]>;
  /** Remove the manager engine's unused volumes carrying all of these labels (a task's scratch, once its container is gone). */
  removeVolumes(labels: Record<string, string>): Promise<void>;
  /** Remove the secrets carrying all of these labels (a run's, once its service is gone). */
  removeSecrets(labels: Record<string, string>): Promise<void>;
  removeService(id: string): Promise<void>;
  /**
   * Stop (with the grace) and remove a service's task containers where they
   * are on the manager's own engine: Swarm (20.10) never reaps those of a
   * removed job, and on other nodes they stay.
   */
  removeTaskContainers(serviceId: string, graceSeconds: number): Promise<void>;
  /** Each node and what the scheduler can still place on it. */
  nodes(): Promise<SwarmNodeFact[]>;
  /** Whether the engine is an active swarm manager, and its node count. */
  state(): Promise<{ manager: boolean; detail: string }>;
}

interface EngineHttpError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as EngineHttpError | null)?.statusCode;
}

function reasonOf(error: unknown): string {
  const engineError = error as EngineHttpError | null;
  return engineError?.json?.message ?? engineError?.message ?? String(error);
}


/** The manager's endpoint: runtime.swarm.host, else the Docker endpoint (DOCKER_HOST, runtime.docker_host, the socket). */
export function swarmEndpoint(config: Config, env: Env, uid: number): EngineEndpoint {
  const host = config.runtime.swarm.host;
  if (host === undefined) return resolveEndpoint('docker', { env, runtime: config.runtime, uid });
  return resolveEndpoint('docker', { env: { ...env, DOCKER_HOST: undefined }, runtime: { docker_host: host, podman_host: undefined }, uid });
}

/**
 * Docker Swarm as an engine: the manager's own Docker engine answers the
 * image and container calls (QA's container, the image check), and
 * `swarm` makes the job services. Reached as any Docker engine is (a
 * socket, SSH, TLS).
 */
export class SwarmRuntime implements ContainerRuntime {
  readonly name = 'swarm' as const;
  readonly swarm: SwarmManager;
  private client: Promise<Dockerode> | undefined;
  private managerFacts: Promise<ManagerFacts | undefined> | undefined;

  private constructor(
    readonly engine: DockerodeRuntime,
    private readonly endpoint: EngineEndpoint,
    private readonly options: () => Dockerode.DockerOptions,
  ) {
    this.swarm = this.manager();
  }

  static async create(endpoint: EngineEndpoint, ssh: SshSettings, env: Env): Promise<SwarmRuntime> {
    const engine = await DockerodeRuntime.create('docker', endpoint, ssh, env);
    let options: Dockerode.DockerOptions | undefined;
    return new SwarmRuntime(engine, endpoint, () => (options ??= dockerodeOptions(endpoint.connection, ssh, env)));
  }

  get remote(): RemoteEngine | undefined {
    return this.engine.remote;
  }

  private docker(): Promise<Dockerode> {
    this.client ??= import('dockerode').then(({ default: Docker }) => new Docker(this.options()));
    return this.client;
  }

  /** The manager engine's own node id and clock, asked once. */
  private managerOf(docker: Dockerode): Promise<ManagerFacts | undefined> {
    this.managerFacts ??= (docker.info() as Promise<{ Swarm?: { NodeID?: string }; SystemTime?: string }>).then(
      (info) => {
        const nodeId = info.Swarm?.NodeID;
        const engineNow = Date.parse(info.SystemTime ?? '');
        if (nodeId === undefined || nodeId === '' || Number.isNaN(engineNow)) return undefined;
        // Taken against the answer's arrival: the engine's now is never overestimated (by the way back), at worst
        // a death in the last milliseconds is left to the next look.
        return { nodeId, clockOffsetMs: engineNow - Date.now() };
      },
      // Then every task is taken to be elsewhere: its end is seen from the manager's task state alone.
      () => undefined,
    );
    return this.managerFacts;
  }

  private fail(call: string, error: unknown): AgentctlError {
    if (error instanceof AgentctlError) return error;
    const reason = reasonOf(error);
    const notManager = /not a swarm manager|swarm mode/i.test(reason);
    return new AgentctlError('engine_error', `Swarm ${call} failed at ${this.endpoint.url}: ${reason}`, {
      exitCode: ExitCode.environment,
      hint: notManager
        ? `Point runtime.swarm.host at a swarm manager, or make this engine one ("docker swarm init").`
        : `Check that the swarm manager is answering at ${this.endpoint.url}.`,
      cause: error,
    });
  }

  private manager(): SwarmManager {
    const call = async <T>(what: string, run: (docker: Dockerode) => Promise<T>): Promise<T> => {
      try {
        return await run(await this.docker());
      } catch (error) {
        throw this.fail(what, error);
      }
    };
    const gone = async (what: string, run: (docker: Dockerode) => Promise<unknown>): Promise<void> => {
      try {
        await run(await this.docker());
      } catch (error) {
        if (statusOf(error) === 404) return;
        throw this.fail(what, error);
      }
    };
    return {
      createSecret: (name, labels, data) =>
        call(`secret create ${name}`, async (docker) => ({ id: ((await docker.createSecret({ Name: name, Labels: labels, Data: Buffer.from(data).toString('base64') })) as { id: string }).id })),
      removeSecret: (name) => gone(`secret remove ${name}`, (docker) => docker.getSecret(name).remove()),
      createService: (spec) =>
        call(`service create ${spec.Name}`, async (docker) => {
          const created = (await docker.createService(spec as unknown as Dockerode.CreateServiceOptions)) as unknown as { id?: string; ID?: string };
          return { id: (created.id ?? created.ID)! };
        }),
      service: async (id) => {
        try {
          const found = (await (await this.docker()).getService(id).inspect()) as { ID: string; Spec?: { Labels?: Record<string, string> } };
          return { id: found.ID, labels: found.Spec?.Labels ?? {} };
        } catch (error) {
          if (statusOf(error) === 404) return undefined;
          throw this.fail(`service inspect ${id}`, error);
        }
      },
      services: (labels) =>
        call('service list', async (docker) => {
          const found = (await docker.listServices({ filters: { label: labelFilters(labels) } } as Dockerode.ServiceListOptions)) as unknown as Array<{ ID: string; Spec?: { Labels?: Record<string, string> } }>;
          return found.map((service) => ({ id: service.ID, labels: service.Spec?.Labels ?? {} }));
        }),
      task: (serviceId) =>
        call(`task list of ${serviceId}`, async (docker) => {
          const tasks = (await docker.listTasks({ filters: { service: [serviceId] } })) as RawTask[];
          const newest = tasks.sort((a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? '')).at(-1);
          if (newest === undefined) return undefined;
          const placed = newest.NodeID !== undefined && newest.NodeID !== '';
          const [nodeState, manager] = await Promise.all([placed ? nodeStateOf(docker, newest.NodeID!) : undefined, this.managerOf(docker)]);
          const onManager = placed && manager !== undefined && newest.NodeID === manager.nodeId;
          return {
            state: newest.Status?.State ?? 'unknown',
            exitCode: newest.Status?.ContainerStatus?.ExitCode ?? undefined,
            message: newest.Status?.Message,
            error: newest.Status?.Err,
            nodeState,
            containerExit: onManager ? await diedHere(docker, serviceId, newest.CreatedAt, manager.clockOffsetMs) : undefined,
          };
        }),
      tasks: (serviceId) =>
        call(`task list of ${serviceId}`, async (docker) =>
          ((await docker.listTasks({ filters: { service: [serviceId] } })) as RawTask[]).map((task) => ({
            nodeId: task.NodeID ?? '',
            state: task.Status?.State ?? 'unknown',
            exitCode: task.Status?.ContainerStatus?.ExitCode ?? undefined,
            error: task.Status?.Err,
          })),
        ),
      removeVolumes: async (labels) => {
        const found = await call('volume list', async (docker) => ((await docker.listVolumes({ filters: { label: labelFilters(labels) } } as object)) as { Volumes?: Array<{ Name: string }> | null }).Volumes ?? []);
        await Promise.all(found.map((volume) => gone(`volume remove ${volume.Name}`, (docker) => docker.getVolume(volume.Name).remove())));
      },
      removeSecrets: async (labels) => {
        const found = await call('secret list', async (docker) => (await docker.listSecrets({ filters: { label: labelFilters(labels) } } as object)) as Array<{ ID: string }>);
        for (const secret of found) await gone(`secret remove ${secret.ID}`, (docker) => docker.getSecret(secret.ID).remove());
      },
      removeService: (id) => gone(`service remove ${id}`, (docker) => docker.getService(id).remove()),
      removeTaskContainers: async (serviceId, graceSeconds) => {
        for (const container of await this.engine.list({ [SERVICE_ID_LABEL]: serviceId })) {
          if (container.running) await this.engine.stop(container.id, graceSeconds);
          await this.engine.remove(container.id);
        }
      },
      nodes: () =>
        call('node list', async (docker) => {
          const nodes = (await docker.listNodes()) as RawNode[];
          // A job's running task wants "complete", not "running": its own state says whether it holds its reservation.
          const tasks = ((await docker.listTasks()) as RawTask[]).filter((task) => task.Status?.State === 'running');
          return nodes.map((node) => {
            const mine = tasks.filter((task) => task.NodeID === node.ID);
            return {
              id: node.ID,
              hostname: node.Description?.Hostname ?? node.ID,
              role: node.Spec?.Role ?? 'unknown',
              state: node.Status?.State ?? 'unknown',
              availability: node.Spec?.Availability ?? 'unknown',
              cpus: (node.Description?.Resources?.NanoCPUs ?? 0) / 1e9,
              memoryBytes: node.Description?.Resources?.MemoryBytes ?? 0,
              reservedCpus: mine.reduce((sum, task) => sum + (task.Spec?.Resources?.Reservations?.NanoCPUs ?? 0), 0) / 1e9,
              reservedMemoryBytes: mine.reduce((sum, task) => sum + (task.Spec?.Resources?.Reservations?.MemoryBytes ?? 0), 0),
            };
          });
        }),
      state: () =>
        call('info', async (docker) => {
          const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; Nodes?: number } };
          const manager = info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true;
          return {
            manager,
            detail: manager ? `swarm manager of ${info.Swarm?.Nodes ?? '?'} node(s)` : `not a swarm manager (swarm state ${info.Swarm?.LocalNodeState ?? 'unknown'})`,
          };
        }),
    };
  }

  async probe(options: { version?: boolean } = {}): Promise<Availability> {
    const probed = await this.engine.probe(options);
    if (!probed.ok || options.version === false) return { ...probed, runtime: this.name };
    try {
      const state = await this.swarm.state();
      return { ...probed, runtime: this.name, ok: state.manager, detail: `${probed.detail}, ${state.detail}` };
    } catch (error) {
      return { ...probed, runtime: this.name, ok: false, detail: (error as Error).message };
    }
  }

  hasImage(image: string): Promise<boolean> {
    return this.engine.hasImage(image);
  }

  imageId(image: string): Promise<string | undefined> {
    return this.engine.imageId(image);
  }

  // Containers on the manager's own engine: QA's, never an agent's.
  start(spec: ContainerSpec, env: Env): Promise<{ id: string }> {
    return this.engine.start(spec, env);
  }

  inspect(id: string): Promise<ContainerState | undefined> {
    return this.engine.inspect(id);
  }

  wait(id: string): Promise<{ exitCode: number }> {
    return this.engine.wait(id);
  }

  list(labels: Record<string, string | true>): Promise<ContainerState[]> {
    return this.engine.list(labels);
  }

  died(match: { id: string } | { labels: Record<string, string> }, ms: number): Promise<void> {
    return this.engine.died(match, ms);
  }

  stop(id: string, graceSeconds: number): Promise<void> {
    return this.engine.stop(id, graceSeconds);
  }

  remove(id: string): Promise<void> {
    return this.engine.remove(id);
  }
}

interface RawTask {
  ID: string;
  NodeID?: string;
  CreatedAt?: string;
  Status?: { State?: string; Message?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
  Spec?: { Resources?: { Reservations?: { NanoCPUs?: number; MemoryBytes?: number } } };
}

interface RawNode {
  ID: string;
  Description?: { Hostname?: string; Resources?: { NanoCPUs?: number; MemoryBytes?: number } };
  Spec?: { Role?: string; Availability?: string };
  Status?: { State?: string };
}

/** The manager engine's own node, and how far its clock is ahead of this machine's. */
interface ManagerFacts {
  nodeId: string;
  clockOffsetMs: number;
}

/** A few events at most match; more than this is not an answer worth reading. */
const MAX_EVENTS_BYTES = 64 * 1024;
/** The engine answers past events at once; longer means it is streaming live ones (its clock went back): stop there. */
const MAX_EVENTS_MS = 1000;

/**
 * The exit code of a job's task container that has died on this engine,
 * from the engine's own "die" event since the task was made: it is there
 * at once, where the list and inspect show the exit only once the engine
 * has cleaned up (~90 ms), and the manager's task state later still
 * (~120 ms). Undefined when no such event is at hand (the engine keeps its
 * last 256), or when an image's label could have written it (see
 * labelledExit); the manager's task state then tells.
 */
async function diedHere(docker: Dockerode, serviceId: string, since: string | undefined, clockOffsetMs: number): Promise<number | undefined> {
  const from = since === undefined ? Number.NaN : Date.parse(since);
  if (Number.isNaN(from)) return undefined;
  // The engine's now, not this machine's: the engine streams live events until `until`, so a clock ahead of the
  // engine's by a minute would make every look a minute long.
  const until = (Date.now() + clockOffsetMs) / 1000;
  const stream = (await docker.getEvents({
    since: (from / 1000 - 1).toFixed(3),
    until: until.toFixed(3),
    filters: { type: ['container'], event: ['die'], label: [`${SERVICE_ID_LABEL}=${serviceId}`] },
  } as object)) as NodeJS.ReadableStream & { destroy(): void };
  let text = '';
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    stream.destroy();
  }, MAX_EVENTS_MS);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.length > MAX_EVENTS_BYTES) {
        stream.destroy();
        return undefined;
      }
    }
  } catch (error) {
    if (late) return undefined;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (late) return undefined;
  for (const line of text.split('\n')) {
    let actor: { ID?: unknown; Attributes?: Record<string, unknown> } | undefined;
    try {
      actor = (JSON.parse(line) as { Actor?: typeof actor }).Actor;
    } catch {
      continue;
    }
    const code = actor?.Attributes?.exitCode;
    if (typeof code === 'string' && /^\d{1,3}$/.test(code) && typeof actor?.ID === 'string') return (await labelledExit(docker, actor.ID)) ? undefined : Number(code);
  }
  return undefined;
}

/**
 * Whether the container carries a label named exitCode: the engine copies
 * a container's labels, its image's included, over the die event's own
 * attributes, so an image could say any exit code there. From the list,
 * which answers at once (an inspect waits while the engine cleans up after
 * the exit); unknown counts as labelled.
 */
async function labelledExit(docker: Dockerode, id: string): Promise<boolean> {
  try {
    const [listed] = await docker.listContainers({ all: true, filters: { id: [id] } });
    return listed === undefined || Object.hasOwn(listed.Labels ?? {}, 'exitCode');
  } catch {
    return true;
  }
}

async function nodeStateOf(docker: Dockerode, nodeId: string): Promise<string | undefined> {
  try {
    return ((await docker.getNode(nodeId).inspect()) as RawNode).Status?.State;
  } catch (error) {
    // A node removed from the swarm is as lost as a down one.
    if (statusOf(error) === 404) return 'down';
    throw error;
  }
}
