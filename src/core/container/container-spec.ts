import { CONTAINER_PATHS, workspaceLayout } from '../workspace/layout.js';
import { gpuArgs } from './gpu-request.js';
import { buildHardening, tmpfsOptions, type Hardening, type NetworkMode, type ResourceLimits } from './hardening.js';
import { HOST_GATEWAY_ENV, hostGateway } from './host-gateway.js';

/** `swarm`: a Docker Swarm manager; each run is a replicated-job service (see src/run/backend/swarm-backend.ts). */
export type RuntimeName = 'docker' | 'podman' | 'apple' | 'swarm';

export const AGENT_WORKDIR = CONTAINER_PATHS.repo;
export const AGENT_HOME = '/home/agent';
/**
 * Where the running agent's own credential files are mounted, read-only, one
 * bind mount per top-level regular file (never the directory: its
 * subdirectories hold other projects' transcripts). Not in HOME: the CLIs
 * write there (gemini fails on a read-only ~/.gemini), so the wrapper copies
 * the files into the tmpfs HOME.
 */
export const CREDENTIALS_MOUNT = '/agentctl/credentials';
/** Used when agentctl itself runs as root: agents must not (claude refuses), and uid 1000 is the image's agent user. */
export const FALLBACK_AGENT_USER = '1000:1000';
export const DEFAULT_IMAGE = 'localhost/agentctl-agent:latest';
export const LABEL_PREFIX = 'dev.agentctl';

/** An environment entry: pass-through by name (value taken from our environment by the engine call) or a fixed, non-secret value. */
export type EnvEntry = { name: string; value?: undefined } | { name: string; value: string };

export interface ContainerSpec {
  image: string;
  name: string;
  labels: Record<string, string>;
  /**
   * The parts of the workspace the container sees: the checkout and the
   * outbox read-write, the inbox read-only; never agentctl's own state. A
   * local engine bind-mounts them; a remote one would copy them in and back,
   * so nothing here assumes the engine shares our filesystem.
   */
  mounts: Mount[];
  /** The running agent's own credential files, each read-only at CREDENTIALS_MOUNT/<dir>/<file>. */
  configMounts: Array<{ hostPath: string; containerPath: string }>;
  /** Dropped capabilities, no-new-privileges, read-only root with tmpfs scratch, limits, network. */
  hardening: Hardening;
  workdir: string;
  env: EnvEntry[];
  user: string;
  gpu: boolean;
  /** `--add-host` entries ("name:address") that make the host's name resolve on this engine (see host-gateway). */
  extraHosts: string[];
  argv: string[];
  stdin: boolean;
  /**
   * The engine removes the container once it exits. Only for commands that
   * leave their exit code in the workspace (the agent wrapper does), since
   * the engine's record of it goes with the container.
   */
  autoRemove: boolean;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

/**
 * What an agent's container sees of its workspace: repo/ and outbox/
 * read-write, inbox/ (the prompt) read-only; repo/ read-only too for a run
 * that must not change it (see repoReadOnly).
 */
export function agentMounts(workspaceRoot: string, repoReadOnly = false): Mount[] {
  const layout = workspaceLayout(workspaceRoot);
  return [
    { hostPath: layout.repo, containerPath: CONTAINER_PATHS.repo, readOnly: repoReadOnly },
    { hostPath: layout.outbox, containerPath: CONTAINER_PATHS.outbox, readOnly: false },
    { hostPath: layout.inbox, containerPath: CONTAINER_PATHS.inbox, readOnly: true },
  ];
}

export interface HostSpec {
  cwd: string;
  argv: string[];
  env: EnvEntry[];
  stdin: boolean;
}

export interface ContainerSpecInput {
  image: string;
  runId: string;
  workspaceRoot: string;
  labels: Record<string, string>;
  /**
   * The running agent's credential dir in the user's home, e.g. ".claude",
   * when it has one, with the top-level regular files of it to mount.
   */
  configDirs: Array<{ hostPath: string; name: string; files: readonly string[] }>;
  envNames: string[];
  gitIdentity: { name: string; email: string };
  hostUser: { uid: number; gid: number };
  gpu: boolean;
  runtime: RuntimeName;
  argv: string[];
  stdin: boolean;
  autoRemove: boolean;
  /** Fixed, non-secret settings for this agent. */
  extraEnv?: EnvEntry[];
  /** What of the workspace to mount; the agent's view (agentMounts) unless given. */
  mounts?: Mount[];
  /** runtime.limits merged with the agent's own; the defaults when not given. */
  limits?: ResourceLimits | undefined;
  network?: NetworkMode | undefined;
  /** The machine's CPU count, the ceiling of the CPU limit. */
  hostCpus?: number | undefined;
}

export function fixedEnv(gitIdentity: { name: string; email: string }, home: string): EnvEntry[] {
  return [
    { name: 'TERM', value: 'dumb' },
    { name: 'NO_COLOR', value: '1' },
    { name: 'CI', value: 'true' },
    { name: 'HOME', value: home },
    { name: 'GIT_AUTHOR_NAME', value: gitIdentity.name },
    { name: 'GIT_AUTHOR_EMAIL', value: gitIdentity.email },
    { name: 'GIT_COMMITTER_NAME', value: gitIdentity.name },
    { name: 'GIT_COMMITTER_EMAIL', value: gitIdentity.email },
  ];
}

function containerName(runId: string): string {
  return `agentctl-${runId}`.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 120);
}

export function buildContainerSpec(input: ContainerSpecInput): ContainerSpec {
  const user = input.hostUser.uid === 0 ? FALLBACK_AGENT_USER : `${input.hostUser.uid}:${input.hostUser.gid}`;
  const hardening = buildHardening({ home: AGENT_HOME, limits: input.limits, network: input.network, hostCpus: input.hostCpus });
  // Without a network there is no host to reach (and Docker refuses extra hosts there).
  const gateway = hostGateway(input.runtime, hardening.network);
  return {
    image: input.image,
    name: containerName(input.runId),
    labels: input.labels,
    mounts: input.mounts ?? agentMounts(input.workspaceRoot),
    configMounts: input.configDirs.flatMap((dir) =>
      dir.files.map((file) => ({ hostPath: `${dir.hostPath}/${file}`, containerPath: `${CREDENTIALS_MOUNT}/${dir.name}/${file}` })),
    ),
    hardening,
    workdir: AGENT_WORKDIR,
    env: [
      ...fixedEnv(input.gitIdentity, AGENT_HOME),
      ...(gateway === undefined ? [] : [{ name: HOST_GATEWAY_ENV, value: gateway.name }]),
      ...(input.extraEnv ?? []),
      ...input.envNames.map((name) => ({ name })),
    ],
    user,
    gpu: input.gpu,
    extraHosts: gateway?.extraHosts ?? [],
    argv: input.argv,
    stdin: input.stdin,
    autoRemove: input.autoRemove,
  };
}

/** A bind mount as the engines' `--volume` and `Binds` write it. */
export function volume(mount: Mount): string {
  return `${mount.hostPath}:${mount.containerPath}${mount.readOnly ? ':ro' : ''}`;
}

/** The hardening as engine CLI flags; Apple's CLI has only some of them (see appleUnsupported). */
function hardeningArgs(runtime: RuntimeName, spec: ContainerSpec): string[] {
  const { hardening } = spec;
  const args = ['--cap-drop', 'ALL', ...hardening.capAdd.flatMap((cap) => ['--cap-add', cap])];
  if (runtime === 'apple') {
    for (const mount of hardening.tmpfs) args.push('--tmpfs', mount.path);
    args.push('--memory', hardening.limits.memory, '--cpus', String(hardening.limits.cpus));
    return args;
  }
  args.push('--security-opt', 'no-new-privileges', '--read-only');
  for (const mount of hardening.tmpfs) args.push('--tmpfs', `${mount.path}:${tmpfsOptions(runtime === 'swarm' ? 'docker' : runtime, mount, spec.user)}`);
  args.push(
    '--pids-limit', String(hardening.limits.pids),
    '--memory', hardening.limits.memory,
    '--cpus', String(hardening.limits.cpus),
    '--network', hardening.network,
  );
  return args;
}

/**
 * A Swarm run as the docker CLI would create it, for a dry run: a job
 * service with no mount of this machine (its workspace comes from the
 * courier), the secret by name, and what the API applies beyond the CLI
 * (the pids limit) left out.
 */
function renderServiceArgv(spec: ContainerSpec): string[] {
  const { hardening } = spec;
  const args = ['docker', 'service', 'create', '--detach', '--mode', 'replicated-job', '--restart-condition', 'none', '--name', spec.name];
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`, '--container-label', `${key}=${value}`);
  args.push('--user', spec.user, '--read-only', '--cap-drop', 'ALL', ...hardening.capAdd.flatMap((cap) => ['--cap-add', cap]));
  for (const path of [...hardening.tmpfs.map((mount) => mount.path), CONTAINER_PATHS.root]) args.push('--mount', `type=volume,dst=${path},volume-nocopy=true,volume-opt=type=tmpfs,volume-opt=device=tmpfs`);
  args.push('--limit-cpu', String(hardening.limits.cpus), '--limit-memory', hardening.limits.memory);
  for (const entry of spec.env) if (entry.value !== undefined) args.push('--env', `${entry.name}=${entry.value}`);
  args.push('--secret', `source=${spec.name}-<run>,target=agentctl-run`, spec.image, 'node', '-e', '<agentctl task bootstrap>', ...spec.argv);
  return args;
}

/** The equivalent engine CLI command, for dry-run output and the Apple `container` adapter. */
export function renderRunArgv(runtime: RuntimeName, spec: ContainerSpec): string[] {
  if (runtime === 'swarm') return renderServiceArgv(spec);
  const program = runtime === 'apple' ? 'container' : runtime;
  const args = [program, 'run', '--detach', ...(spec.autoRemove ? ['--rm'] : []), '--name', spec.name];
  if (spec.stdin) args.push('--interactive');
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`);
  for (const mount of spec.mounts) args.push('--volume', volume(mount));
  for (const mount of spec.configMounts) {
    args.push('--volume', `${mount.hostPath}:${mount.containerPath}:ro`);
  }
  args.push('--workdir', spec.workdir, '--user', spec.user, ...hardeningArgs(runtime, spec));
  for (const entry of spec.env) args.push('--env', entry.value === undefined ? entry.name : `${entry.name}=${entry.value}`);
  // A job queued by an older agentctl has no list (its spec said `hostGateway`).
  for (const host of (spec.extraHosts as string[] | undefined) ?? []) args.push('--add-host', host);
  if (spec.gpu) args.push(...gpuArgs(runtime));
  args.push(spec.image, ...spec.argv);
  return args;
}
