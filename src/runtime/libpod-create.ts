import type { ContainerSpec } from '../core/container/container-spec.js';
import { NVIDIA_CDI_DEVICE } from '../core/container/gpu-request.js';
import { memoryBytes, tmpfsOptions } from '../core/container/hardening.js';

/** The CPU period the engines use by default; the quota is the limit's share of it. */
const CPU_PERIOD_US = 100_000;

/** Podman's own API, used where its Docker-compatible one falls short: the path is the same on Podman 4 and 5. */
export const LIBPOD_CREATE_PATH = '/v4.0.0/libpod/containers/create';

/**
 * The spec as Podman's own create call (a SpecGenerator) takes it. Only this
 * API takes a CDI device: the Docker-compatible one stats "nvidia.com/gpu=all"
 * as a path and accepts Docker's GPU request only to ignore it. The hardening
 * is the same as the compatible call's (dockerode-runtime hardeningConfig).
 */
export function libpodCreateBody(spec: ContainerSpec, env: readonly string[]): Record<string, unknown> {
  const { hardening } = spec;
  const binds = [...spec.mounts, ...spec.configMounts.map((mount) => ({ ...mount, readOnly: true }))];
  return {
    name: spec.name,
    image: spec.image,
    command: spec.argv,
    work_dir: spec.workdir,
    user: spec.user,
    env: Object.fromEntries(env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])),
    labels: spec.labels,
    stdin: false,
    terminal: false,
    remove: spec.autoRemove,
    mounts: [
      ...binds.map((mount) => ({ type: 'bind', source: mount.hostPath, destination: mount.containerPath, options: mount.readOnly ? ['rbind', 'ro'] : ['rbind'] })),
      ...hardening.tmpfs.map((mount) => ({ type: 'tmpfs', source: 'tmpfs', destination: mount.path, options: tmpfsOptions('podman', mount, spec.user).split(',') })),
    ],
    cap_drop: ['ALL'],
    cap_add: hardening.capAdd,
    no_new_privileges: true,
    read_only_filesystem: true,
    resource_limits: {
      pids: { limit: hardening.limits.pids },
      memory: { limit: memoryBytes(hardening.limits.memory) },
      cpu: { quota: Math.round(hardening.limits.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US },
    },
    netns: { nsmode: hardening.network },
    hostadd: (spec.extraHosts as string[] | undefined) ?? [],
    devices: spec.gpu ? [{ path: NVIDIA_CDI_DEVICE }] : [],
  };
}
