import type { RuntimeName } from './container-spec.js';
import type { NetworkMode } from './hardening.js';

/** How a container reaches a service on the host (Ollama for `local`): the name to dial, and the engine entries that make it resolve. */
export interface HostGateway {
  /** What the agent dials: a name the engine maps to the host, or the host's address on the engine's network. */
  name: string;
  /** `--add-host` entries ("name:address") the engine needs for the name to resolve; none when the engine maps it itself. */
  extraHosts: string[];
}

/**
 * Each engine names the host its own way. Docker maps `host-gateway` to its
 * bridge's address only when asked. Podman adds `host.containers.internal`
 * by itself, and its Docker-compatible API takes `host-gateway` literally, so
 * it gets no entry. Apple `container` has no such name unless an
 * administrator creates one (`container system dns create … --localhost`);
 * the host is the gateway of its default network, 192.168.64.1.
 */
const GATEWAYS: Record<RuntimeName, HostGateway> = {
  docker: { name: 'host.docker.internal', extraHosts: ['host.docker.internal:host-gateway'] },
  podman: { name: 'host.containers.internal', extraHosts: [] },
  apple: { name: '192.168.64.1', extraHosts: [] },
  // A task can land on any node: there is no one host to name.
  swarm: { name: 'host.docker.internal', extraHosts: [] },
};

/** The variable that tells every agent the host's name, e.g. for a custom agent that talks to a model server on the host. */
export const HOST_GATEWAY_ENV = 'AGENTCTL_HOST_GATEWAY';

/** Ollama's port on the host. */
export const OLLAMA_PORT = 11434;

/** The host as this engine lets a container reach it; none without a network. */
export function hostGateway(runtime: RuntimeName, network: NetworkMode): HostGateway | undefined {
  return network === 'none' ? undefined : GATEWAYS[runtime];
}

/** Ollama's OpenAI-compatible endpoint on the host, as the `local` agent (codex --oss) reads it from CODEX_OSS_BASE_URL. */
export function localModelUrl(gateway: HostGateway): string {
  return `http://${gateway.name}:${OLLAMA_PORT}/v1`;
}
