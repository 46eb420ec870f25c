import type { RuntimeName } from './container/container-spec.js';
import { AgentctlError, ExitCode } from './errors.js';

export interface ProbeResult {
  runtime: RuntimeName;
  ok: boolean;
  detail: string;
  endpoint: string;
  /** Where the engine runs, when it says: on this machine, or across SSH or TLS (no shared filesystem). */
  location?: 'local' | 'ssh' | 'tcp' | undefined;
}

export interface Selection {
  runtime: RuntimeName;
  /** Set when the requested runtime was not available and another was used. */
  warning: string | undefined;
}

export function candidateOrder(platform: NodeJS.Platform): RuntimeName[] {
  return platform === 'darwin' ? ['apple', 'docker', 'podman'] : ['docker', 'podman'];
}

const HOW_TO_START = [
  'start Docker (dockerd, or Docker Desktop) or Podman (podman system service --time=0 unix:///run/podman/podman.sock &)',
  'or point DOCKER_HOST / CONTAINER_HOST at a running engine',
  'or run the agent on the host, without a sandbox (agents.<name>.host: true)',
].join('; ');

/**
 * Apple `container` exists only on macOS: asking for it elsewhere is a
 * mistake to correct, not an engine that happens to be down.
 */
export function assertRuntimeSupported(prefer: 'auto' | RuntimeName, platform: NodeJS.Platform): void {
  if (prefer !== 'apple' || platform === 'darwin') return;
  throw new AgentctlError('runtime_unsupported', `runtime apple (Apple container) runs only on macOS, not on ${platform}`, {
    exitCode: ExitCode.usage,
    hint: 'use --runtime docker, podman or auto (and runtime.prefer / AGENTCTL_RUNTIME likewise)',
  });
}

/**
 * Pick the runtime from probe results: an available explicit choice, else
 * the first available in platform order, with a warning when that is a
 * fallback. Never silent, never a guess.
 */
export function selectRuntime(prefer: 'auto' | RuntimeName, probes: readonly ProbeResult[], platform: NodeJS.Platform): Selection {
  assertRuntimeSupported(prefer, platform);
  const order = candidateOrder(platform);
  const byName = new Map(probes.map((probe) => [probe.runtime, probe]));
  if (prefer !== 'auto' && byName.get(prefer)?.ok === true) return { runtime: prefer, warning: undefined };
  // A swarm is chosen on purpose (a cluster, placement, no shared filesystem): never swapped for this machine's engine.
  if (prefer === 'swarm') {
    const why = byName.get('swarm');
    throw new AgentctlError('no_runtime', `runtime swarm is not available (${why === undefined ? 'not probed' : `${why.endpoint}: ${why.detail}`})`, {
      exitCode: ExitCode.environment,
      hint: 'point runtime.swarm.host (or DOCKER_HOST) at a swarm manager, or make this engine one ("docker swarm init")',
    });
  }
  const found = order.find((name) => byName.get(name)?.ok === true);
  if (found === undefined) {
    const tried = probes.map((probe) => `${probe.runtime} at ${probe.endpoint}: ${probe.detail}`).join('; ');
    throw new AgentctlError('no_runtime', `no container runtime is available (tried ${tried || 'nothing'})`, {
      exitCode: ExitCode.environment,
      hint: HOW_TO_START,
    });
  }
  if (prefer === 'auto') return { runtime: found, warning: undefined };
  const why = byName.get(prefer);
  return {
    runtime: found,
    warning: `runtime ${prefer} is not available (${why === undefined ? 'not supported here' : why.detail}); using ${found} instead`,
  };
}
