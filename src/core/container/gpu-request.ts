import { AgentctlError, ExitCode } from '../errors.js';
import type { RuntimeName } from './container-spec.js';

/** Every NVIDIA GPU, by the Container Device Interface name that `nvidia-ctk cdi generate` defines. */
export const NVIDIA_CDI_DEVICE = 'nvidia.com/gpu=all';

/**
 * How each engine is asked for the GPUs. Docker has `--gpus` (a device
 * request served by the NVIDIA runtime); Podman takes the CDI device, and
 * accepts but ignores Docker's device request; Apple `container` offers Metal.
 */
export function gpuArgs(runtime: RuntimeName): string[] {
  switch (runtime) {
    case 'docker':
      return ['--gpus=all'];
    case 'swarm':
      return ['--generic-resource', 'gpu=1'];
    case 'podman':
      return ['--device', NVIDIA_CDI_DEVICE];
    case 'apple':
      return ['--gpu=metal'];
  }
}

const WITHOUT_GPU = 'or dispatch without --gpu (and set runtime.gpu: false, or unset AGENTCTL_GPU)';

const HINTS: Record<'docker' | 'podman', string> = {
  docker: `install the NVIDIA driver and the NVIDIA Container Toolkit, then \`nvidia-ctk runtime configure --runtime=docker\` and restart dockerd; ${WITHOUT_GPU}`,
  podman: `install the NVIDIA driver and the NVIDIA Container Toolkit, then \`nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml\`; ${WITHOUT_GPU}`,
};

/**
 * The engine's words when it cannot give a container the GPUs it asked for:
 * Docker without the NVIDIA runtime, Podman without a CDI spec for the device.
 */
export function isGpuRefusal(reason: string): boolean {
  return /could not select device driver|unresolvable CDI devices/i.test(reason);
}

/** A GPU request the engine cannot serve, said as such (not as an engine that is down). */
export function gpuUnavailable(runtime: 'docker' | 'podman', reason: string, cause?: unknown): AgentctlError {
  const what = runtime === 'docker' ? 'Docker has no NVIDIA runtime to give the container its GPUs' : `Podman has no CDI spec for ${NVIDIA_CDI_DEVICE}`;
  return new AgentctlError('gpu_unavailable', `--gpu was asked for, but ${what}: ${reason}`, { exitCode: ExitCode.environment, hint: HINTS[runtime], cause });
}
