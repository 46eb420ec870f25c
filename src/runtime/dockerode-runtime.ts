import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { volume, type ContainerSpec, type EnvEntry } from '../core/container/container-spec.js';
import { gpuUnavailable, isGpuRefusal } from '../core/container/gpu-request.js';
import { CONTAINER_PATHS } from '../core/workspace/layout.js';
import { memoryBytes, tmpfsOptions } from '../core/container/hardening.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import { engineLocation, type EngineConnection, type EngineEndpoint, type EngineName } from './engine-endpoint.js';
import { engineGet, imagePath, type EngineReply } from './engine-http.js';
import { LIBPOD_CREATE_PATH, libpodCreateBody } from './libpod-create.js';
import type { Availability, ContainerRuntime, ContainerState, Env, RemoteEngine } from './runtime.js';
import { sshAgent, type SshSettings } from './ssh-transport.js';
import { DEFAULT_TRANSFER_SECONDS, TransferDeadline } from './transfer-deadline.js';

/** How copies to and from a remote engine are bounded. */
export interface TransferSettings {
  /** Seconds one getArchive or putArchive may take, its stream included (timeouts.transfer). */
  timeoutSeconds?: number | undefined;
}

/** How far back a death reported by the engine still ends a wait (see died). */
const DEATH_REPLAY_MS = 250;
/** Generous: a busy engine (many agents starting at once) can take seconds to answer. */
const PROBE_TIMEOUT_MS = 10_000;
/** Go's zero time: what both engines report for "never started/finished". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

type Endpoint = Pick<EngineEndpoint, 'url' | 'connection' | 'tried'>;

interface EngineHttpError {
  statusCode?: number;
  json?: { message?: string; cause?: string } | null;
  message?: string;
}

/**
 * Docker answers 404 for a container removed meanwhile. Podman 4.3 may answer
 * 500 instead, with the cause "no such container" and a message such as
 * "container … does not exist in database" (seen while it auto-removes one).
 */
function isGone(error: unknown): boolean {
  const cause = (error as EngineHttpError | null)?.json?.cause ?? '';
  return statusOf(error) === 404 || /no such container/i.test(`${cause} ${reasonOf(error)}`);
}

function statusOf(error: unknown): number | undefined {
  return (error as EngineHttpError | null)?.statusCode;
}

function reasonOf(error: unknown): string {
  const engineError = error as EngineHttpError | null;
  return engineError?.json?.message ?? engineError?.message ?? String(error);
}

/** Engine label filters: `key=value`, or just `key` for any value. */
export function labelFilters(labels: Record<string, string | true>): string[] {
  return Object.entries(labels).map(([key, value]) => (value === true ? key : `${key}=${value}`));
}

/** Pass-through entries take their value from `env` here, at the engine call, and are dropped when unset. */
export function resolveEnv(entries: EnvEntry[], env: Env): string[] {
  return entries.flatMap((entry) => {
    const value = entry.value ?? env[entry.name];
    return value === undefined ? [] : [`${entry.name}=${value}`];
  });
}

function time(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value.startsWith(ZERO_TIME.slice(0, 10)) ? undefined : value;
}

/** Docker Engine and Podman's Docker-compatible API, through dockerode. */
/**
 * dockerode's options for a connection. dockerode's own defaults read
 * DOCKER_HOST and friends; every connection field is pinned so a podman
 * runtime never follows a docker setting. SSH goes through our own agent
 * (known_hosts checked, one connection shared), never docker-modem's.
 */
export function dockerodeOptions(connection: EngineConnection, ssh: SshSettings, env: Env): Dockerode.DockerOptions {
  const base = { host: undefined, port: undefined, protocol: 'http' as const, timeout: undefined };
  if ('socketPath' in connection) return { ...base, socketPath: connection.socketPath };
  // dockerode passes `agent` on to docker-modem, whose types leave it out.
  if ('ssh' in connection) return { ...base, host: connection.ssh.host, port: connection.ssh.port, agent: sshAgent(connection.ssh, ssh, env) } as Dockerode.DockerOptions;
  const { tls, ...http } = connection;
  if (tls === undefined) return { ...base, ...http };
  const file = (name: string) => readFileSync(join(tls.certPath, name));
  return { ...base, ...http, ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem') };
}

export class DockerodeRuntime implements ContainerRuntime {
  readonly remote: RemoteEngine | undefined;
  private client: Promise<Dockerode> | undefined;
  private probeClient: Promise<Dockerode> | undefined;

  private constructor(
    readonly name: EngineName,
    private readonly endpoint: Endpoint,
    private readonly options: () => Dockerode.DockerOptions,
    private readonly transfer: TransferSettings = {},
  ) {
    const location = engineLocation(endpoint.connection);
    this.remote = location === 'local' ? undefined : this.remoteEngine(location);
  }

  static async create(name: EngineName, endpoint: Endpoint, ssh: SshSettings = {}, env: Env = {}, transfer: TransferSettings = {}): Promise<DockerodeRuntime> {
    let options: Dockerode.DockerOptions | undefined;
    return new DockerodeRuntime(name, endpoint, () => (options ??= dockerodeOptions(endpoint.connection, ssh, env)), transfer);
  }

  private deadline(call: string): TransferDeadline {
    return new TransferDeadline(`${this.title} ${call} at ${this.endpoint.url}`, this.transfer.timeoutSeconds ?? DEFAULT_TRANSFER_SECONDS);
  }

  /**
   * dockerode, imported on the first call that needs it: choosing a local
   * engine (ping, image inspect) does without, so a dry run never loads it.
   */
  private docker(): Promise<Dockerode> {
    this.client ??= import('dockerode').then(({ default: Docker }) => new Docker(this.options()));
    return this.client;
  }

  private prober(): Promise<Dockerode> {
    this.probeClient ??= import('dockerode').then(({ default: Docker }) => new Docker({ ...this.options(), timeout: PROBE_TIMEOUT_MS }));
    return this.probeClient;
  }

  /** A plain socket's GET for what choosing an engine asks: a unix socket, or plain HTTP to loopback. SSH and TLS go through dockerode. */
  private get plainConnection(): boolean {
    const connection = this.endpoint.connection;
    return 'socketPath' in connection || (!('ssh' in connection) && connection.protocol === 'http');
  }

  private remoteEngine(location: RemoteEngine['location']): RemoteEngine {
    return {
      location,
      create: async (spec, env) => {
        const options = this.createOptions(spec, env);
        // Nothing of this machine: the workspace is a volume of the engine's own, filled by putArchive before the start.
        options.HostConfig = { ...options.HostConfig, Binds: [], AutoRemove: false, Mounts: [{ Type: 'volume', Source: '', Target: CONTAINER_PATHS.root }] };
        try {
          return { id: (await (await this.docker()).createContainer(options)).id };
        } catch (error) {
          throw this.fail(`create of ${spec.name}`, error, statusOf(error) === 404 ? `Build or load ${spec.image} into the ${this.name} engine at ${this.endpoint.url} first.` : undefined);
        }
      },
      startCreated: async (id) => {
        try {
          await (await this.docker()).getContainer(id).start();
        } catch (error) {
          throw this.fail(`start of ${id}`, error);
        }
      },
      putArchive: async (id, path, archive) => {
        const deadline = this.deadline(`copy into ${id}:${path}`);
        deadline.watch(archive);
        try {
          await (await this.docker()).getContainer(id).putArchive(archive, { path, abortSignal: deadline.signal });
        } catch (error) {
          throw deadline.expired ?? this.fail(`copy into ${id}:${path}`, error);
        } finally {
          deadline.clear();
        }
      },
      getArchive: async (id, path) => {
        // The deadline runs on while the caller reads the stream: the copy is done only at its end.
        const deadline = this.deadline(`copy from ${id}:${path}`);
        try {
          return deadline.watch((await (await this.docker()).getContainer(id).getArchive({ path, abortSignal: deadline.signal })) as unknown as Readable);
        } catch (error) {
          deadline.clear();
          throw deadline.expired ?? this.fail(`copy from ${id}:${path}`, error);
        }
      },
    };
  }

  private get title(): string {
    return this.name === 'docker' ? 'Docker' : 'Podman';
  }

  private fail(call: string, error: unknown, hint?: string): AgentctlError {
    // The SSH transport's own errors (a refused host key) already say what to do.
    if (error instanceof AgentctlError) return error;
    return new AgentctlError('engine_error', `${this.title} ${call} failed at ${this.endpoint.url}: ${reasonOf(error)}`, {
      exitCode: ExitCode.environment,
      hint: hint ?? `Check that the ${this.name} engine is running and answering at ${this.endpoint.url}.`,
      cause: error,
    });
  }

  async probe(options: { version?: boolean } = {}): Promise<Availability> {
    const result = { runtime: this.name, endpoint: this.endpoint.url, location: this.remote?.location ?? ('local' as const) };
    const started = performance.now();
    try {
      if (this.plainConnection) {
        const ping = await engineGet(this.endpoint.connection, '/_ping', PROBE_TIMEOUT_MS);
        if (ping.status !== 200) throw new Error(`_ping answered HTTP ${ping.status}`);
      } else await (await this.prober()).ping();
      // Podman answers /version in ~0.3 s; a dispatch only needs to know the engine answers.
      if (options.version === false) return { ...result, ok: true, detail: `${this.title} engine answering` };
      const version = this.plainConnection
        ? (JSON.parse((await engineGet(this.endpoint.connection, '/version', PROBE_TIMEOUT_MS)).body) as { Version?: string; Components?: Array<{ Name: string; Version: string }> })
        : await (await this.prober()).version();
      const engine = version.Components?.find((component) => component.Name.endsWith('Engine'));
      // Docker names its component just "Engine"; Podman says "Podman Engine".
      const product = engine === undefined || engine.Name === 'Engine' ? `${this.title} Engine` : engine.Name;
      return { ...result, ok: true, detail: `${product} ${engine?.Version ?? version.Version}` };
    } catch (error) {
      // A timeout can surface as "socket hang up".
      const timedOut = performance.now() - started >= PROBE_TIMEOUT_MS;
      // The SSH transport's refusals carry their fix (add the host key...): keep it in the one line doctor shows.
      const fix = error instanceof AgentctlError && error.hint !== undefined ? `; ${error.hint}` : '';
      const reason = timedOut ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : `${reasonOf(error)}${fix}`;
      return { ...result, ok: false, detail: `${reason} (tried: ${this.endpoint.tried.join(', ')})` };
    }
  }

  async hasImage(image: string): Promise<boolean> {
    if (!this.plainConnection) {
      try {
        await (await this.docker()).getImage(image).inspect();
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw this.fail(`image inspect ${image}`, error);
      }
    }
    let reply: EngineReply;
    try {
      reply = await engineGet(this.endpoint.connection, imagePath(image), PROBE_TIMEOUT_MS);
    } catch (error) {
      throw this.fail(`image inspect ${image}`, error);
    }
    if (reply.status === 404) return false;
    if (reply.status === 200) return true;
    throw this.fail(`image inspect ${image}`, new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`));
  }

  async imageId(image: string): Promise<string | undefined> {
    try {
      return ((await (await this.docker()).getImage(image).inspect()) as { Id?: string }).Id;
    } catch {
      return undefined;
    }
  }

  async start(spec: ContainerSpec, env: Env): Promise<{ id: string }> {
    if (spec.stdin) {
      // A detached container has nobody to feed its stdin; the agent would read EOF.
      throw new AgentctlError('engine_stdin', `${this.title} containers are started detached and cannot take the prompt on stdin.`, {
        exitCode: ExitCode.failure,
        hint: 'Pass the prompt as an argument or a file for container runs.',
      });
    }
    let container: Dockerode.Container;
    try {
      container = await this.create(spec, env);
    } catch (error) {
      const hint =
        statusOf(error) === 404 ? `Build or load ${spec.image} into ${this.name} first.` : statusOf(error) === 409 ? `Remove the old container ${spec.name} first.` : undefined;
      throw this.startFailure(`create of ${spec.name}`, spec, error, hint);
    }
    try {
      await container.start();
    } catch (error) {
      // A created-but-never-started container would look like a live run to a later `list`.
      await container.remove({ force: true }).catch(() => undefined);
      throw this.startFailure(`start of ${spec.name}`, spec, error);
    }
    return { id: container.id };
  }

  /** Podman takes a GPU (a CDI device) only through its own API; everything else goes through the compatible one. */
  private async create(spec: ContainerSpec, env: Env): Promise<Dockerode.Container> {
    const docker = await this.docker();
    if (!(spec.gpu && this.name === 'podman')) return docker.createContainer(this.createOptions(spec, env));
    const created = await new Promise<{ Id: string }>((resolve, reject) => {
      docker.modem.dial(
        {
          path: LIBPOD_CREATE_PATH,
          method: 'POST',
          options: libpodCreateBody(spec, resolveEnv(spec.env, env)),
          statusCodes: { 200: true, 201: true, 400: 'bad parameter', 404: 'no such image', 409: 'conflict', 500: 'server error' },
        },
        (error: unknown, result: unknown) => (error ? reject(error) : resolve(result as { Id: string })),
      );
    });
    return docker.getContainer(created.Id);
  }

  /** A GPU the engine cannot give is said as such, not as an engine that may be down. */
  private startFailure(call: string, spec: ContainerSpec, error: unknown, hint?: string): AgentctlError {
    if (spec.gpu && isGpuRefusal(reasonOf(error))) return gpuUnavailable(this.name, reasonOf(error), error);
    return this.fail(call, error, hint);
  }

  private createOptions(spec: ContainerSpec, env: Env): Dockerode.ContainerCreateOptions {
    const hostConfig: Dockerode.HostConfig = {
      Binds: [
        ...spec.mounts.map(volume),
        ...spec.configMounts.map((mount) => `${mount.hostPath}:${mount.containerPath}:ro`),
      ],
      AutoRemove: spec.autoRemove,
      ...this.hardeningConfig(spec),
    };
    // The host's name per engine is decided in core (host-gateway): Podman gets no entry, it maps its own.
    // A job queued by an older agentctl has no list (its spec said `hostGateway`): it gets no entry rather than a crash.
    const extraHosts = (spec.extraHosts as string[] | undefined) ?? [];
    if (extraHosts.length > 0) hostConfig.ExtraHosts = extraHosts;
    // Docker's --gpus; Podman's GPU requests go through its own API (create above).
    if (spec.gpu) hostConfig.DeviceRequests = [{ Driver: '', Count: -1, Capabilities: [['gpu']] }];
    return {
      name: spec.name,
      Image: spec.image,
      Cmd: spec.argv,
      WorkingDir: spec.workdir,
      User: spec.user,
      Env: resolveEnv(spec.env, env),
      Labels: spec.labels,
      OpenStdin: false,
      Tty: false,
      HostConfig: hostConfig,
    };
  }

  /** The same hardening renderRunArgv shows in a dry run, as the engine API's fields. */
  private hardeningConfig(spec: ContainerSpec): Dockerode.HostConfig {
    const { hardening } = spec;
    return {
      CapDrop: ['ALL'],
      CapAdd: hardening.capAdd,
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: Object.fromEntries(hardening.tmpfs.map((mount) => [mount.path, tmpfsOptions(this.name, mount, spec.user)])),
      PidsLimit: hardening.limits.pids,
      Memory: memoryBytes(hardening.limits.memory),
      NanoCpus: Math.round(hardening.limits.cpus * 1e9),
      NetworkMode: hardening.network,
    };
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await (await this.docker()).getContainer(id).inspect();
    } catch (error) {
      if (isGone(error)) return undefined;
      throw this.fail(`inspect of ${id}`, error);
    }
    const running = info.State.Running;
    const finishedAt = time(info.State.FinishedAt);
    return {
      id: info.Id,
      running,
      // A created-but-unstarted container reports ExitCode 0; only a finished one has a real code.
      exitCode: !running && finishedAt !== undefined ? info.State.ExitCode : undefined,
      killed: info.State.OOMKilled,
      labels: info.Config.Labels ?? {},
      startedAt: time(info.State.StartedAt),
      finishedAt: running ? undefined : finishedAt,
    };
  }

  async wait(id: string): Promise<{ exitCode: number }> {
    try {
      const result = (await (await this.docker()).getContainer(id).wait()) as { StatusCode: number };
      return { exitCode: result.StatusCode };
    } catch (error) {
      throw this.fail(`wait for ${id}`, error);
    }
  }

  async list(labels: Record<string, string | true>): Promise<ContainerState[]> {
    let found: Dockerode.ContainerInfo[];
    try {
      found = await (await this.docker()).listContainers({
        all: true,
        filters: { label: labelFilters(labels) },
      });
    } catch (error) {
      throw this.fail('list', error);
    }
    // The list carries no exit codes, so each container is inspected; one removed meanwhile is skipped.
    const states = await Promise.all(found.map((info) => this.inspect(info.Id)));
    return states.filter((state) => state !== undefined);
  }

  async died(match: { id: string } | { labels: Record<string, string> }, ms: number): Promise<void> {
    const filters = { type: ['container'], event: ['die'], ...('id' in match ? { container: [match.id] } : { label: labelFilters(match.labels) }) };
    // A death just before the call counts too: the last look can have come just before it. Replayed, it ends each
    // wait at once until a look sees the end (an inspect waits for the engine's clean-up), so the window is short.
    const since = ((Date.now() - DEATH_REPLAY_MS) / 1000).toFixed(3);
    // Podman (4.3) streams nothing for a filtered events call with a start time, and over SSH each stream cut short
    // would cost a new channel (a process on the far side): those waits are timed only.
    const docker = this.name === 'docker' && this.remote === undefined ? await this.docker().catch(() => undefined) : undefined;
    await new Promise<void>((resolve) => {
      let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
      let over = false;
      const end = () => {
        over = true;
        clearTimeout(timer);
        stream?.destroy?.();
        resolve();
      };
      const timer = setTimeout(end, ms);
      docker?.getEvents({ since, filters } as object, (error, events) => {
        if (error !== null || events === undefined) return;
        stream = events as typeof stream;
        if (over) return stream!.destroy?.();
        stream!.on('error', () => undefined);
        stream!.once('data', end);
      });
    });
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await (await this.docker()).getContainer(id).stop({ t: graceSeconds });
    } catch (error) {
      // 304: already stopped; 404: already gone.
      if (statusOf(error) === 304 || isGone(error)) return;
      throw this.fail(`stop of ${id}`, error);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      // v: the engine's own /workspace volume of a remote run goes with it.
      await (await this.docker()).getContainer(id).remove({ v: true });
    } catch (error) {
      if (isGone(error)) return;
      throw this.fail(`remove of ${id}`, error);
    }
  }
}
