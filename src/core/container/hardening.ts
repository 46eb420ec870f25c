/**
 * What every agentctl container is denied, and what it may use. The agent is
 * untrusted, so the container is the boundary: no capabilities, no way to
 * gain privileges, a root file system it cannot change, and limits on
 * processes, memory and CPU. Pure data: the engines map it in their adapters.
 */

export type NetworkMode = 'bridge' | 'none';

export interface ResourceLimits {
  /** Processes and threads at once: stops a fork bomb. */
  pids: number;
  /** As the engines' --memory takes it: digits with an optional k, m or g. */
  memory: string;
  cpus: number;
}

/**
 * Podman's own pids default is 2048; threads count too, and a Go or Node
 * build runs hundreds. 4g and 2 CPUs let a typical build and test run while a
 * runaway one cannot take the machine.
 */
export const DEFAULT_LIMITS: ResourceLimits = { pids: 2048, memory: '4g', cpus: 2 };

/** A writable scratch file system in an otherwise read-only root. */
export interface TmpfsMount {
  path: string;
  /** Owned by the container's user (its HOME); otherwise world-writable and sticky, like /tmp. */
  ownedByUser: boolean;
}

export interface Hardening {
  /**
   * Capabilities added back after dropping all. None: the agent runs as an
   * ordinary uid, and the test image's agents, QA and the version probe
   * (tested on Docker and Podman in test/integration/hostile-container)
   * need none.
   */
  capAdd: string[];
  noNewPrivileges: true;
  readOnlyRoot: true;
  tmpfs: TmpfsMount[];
  limits: ResourceLimits;
  network: NetworkMode;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "4g" -> 4294967296, for the engine API, which takes bytes. */
export function memoryBytes(size: string): number {
  const match = /^([0-9]+)([kmg]?)$/i.exec(size);
  if (match === null) throw new RangeError(`not a memory size: ${size}`);
  return Number(match[1]) * (UNITS[match[2]!.toLowerCase()] ?? 1);
}

/**
 * The scratch space the agent CLIs write to: /tmp and /var/tmp, and HOME,
 * where claude, codex and gemini keep sessions, settings and caches (and go
 * and npm their caches). `exec` because QA builds and runs test binaries there.
 */
export function scratchMounts(home: string): TmpfsMount[] {
  return [
    { path: '/tmp', ownedByUser: false },
    { path: '/var/tmp', ownedByUser: false },
    { path: home, ownedByUser: true },
  ];
}

export function buildHardening(input: { home: string; limits?: ResourceLimits | undefined; network?: NetworkMode | undefined; hostCpus?: number | undefined }): Hardening {
  const limits = input.limits ?? DEFAULT_LIMITS;
  return {
    capAdd: [],
    noNewPrivileges: true,
    readOnlyRoot: true,
    tmpfs: scratchMounts(input.home),
    // Docker refuses more CPUs than the machine has; the limit is a ceiling, and so is that.
    limits: { ...limits, cpus: input.hostCpus === undefined ? limits.cpus : Math.min(limits.cpus, input.hostCpus) },
    network: input.network ?? 'bridge',
  };
}

/**
 * Mount options for one tmpfs. Docker takes uid=/gid= to give HOME to the
 * container's user; Podman 4.3 rejects those ("unknown mount option") and
 * has `U` (chown to the container's user) instead, which Docker rejects.
 */
export function tmpfsOptions(engine: 'docker' | 'podman' | 'apple', mount: TmpfsMount, user: string): string {
  const base = 'rw,nosuid,nodev,exec';
  if (!mount.ownedByUser) return `${base},mode=1777`;
  if (engine === 'podman') return `${base},U`;
  const [uid, gid] = user.split(':');
  return `${base},uid=${uid},gid=${gid ?? uid},mode=0700`;
}

/**
 * Apple's `container run` (each container a small VM) offers --cap-drop,
 * --cpus, --memory and --tmpfs, but no no-new-privileges, pids limit,
 * read-only root or network "none". The first three are named to the user
 * on each dispatch; a run asking for no network is refused (apple-runtime).
 */
export function appleUnsupported(limits: ResourceLimits): string[] {
  return ['no-new-privileges', `a process limit (pids ${limits.pids})`, 'a read-only root file system'];
}
