import type { Config } from '../core/config/schema.js';
import type { RuntimeName } from '../core/container/container-spec.js';
import { candidateOrder, type ProbeResult } from '../core/runtime-selection.js';
import { resolveEndpoint } from './engine-endpoint.js';
import { SpawnHostRunner } from './host-runner.js';
import type { RuntimeRegistry } from './registry.js';
import type { ContainerRuntime, Env } from './runtime.js';

/** The engines on this machine, each created on first use. */
export function realRegistry(config: Config, env: Env, platform: NodeJS.Platform, user: { uid: number }): RuntimeRegistry {
  const cache = new Map<RuntimeName, Promise<ContainerRuntime>>();
  const create = async (name: RuntimeName): Promise<ContainerRuntime> => {
    if (name === 'apple') {
      const { AppleRuntime } = await import('./apple-runtime.js');
      return new AppleRuntime({ platform });
    }
    const ssh = { identity: config.runtime.ssh.identity, knownHosts: config.runtime.ssh.known_hosts };
    if (name === 'swarm') {
      const { SwarmRuntime, swarmEndpoint } = await import('./swarm-runtime.js');
      return SwarmRuntime.create(swarmEndpoint(config, env, user.uid), ssh, env);
    }
    const { DockerodeRuntime } = await import('./dockerode-runtime.js');
    return DockerodeRuntime.create(name, resolveEndpoint(name, { env, runtime: config.runtime, uid: user.uid }), ssh, env, { timeoutSeconds: config.timeouts.transfer });
  };
  const get = (name: RuntimeName): Promise<ContainerRuntime> => {
    let runtime = cache.get(name);
    if (runtime === undefined) {
      runtime = create(name);
      cache.set(name, runtime);
    }
    return runtime;
  };
  return {
    get,
    probeAll: async (options = {}): Promise<ProbeResult[]> =>
      Promise.all(
        candidateOrder(platform).map(async (name) => {
          try {
            return await (await get(name)).probe(options);
          } catch (error) {
            return { runtime: name, ok: false, detail: (error as Error).message, endpoint: name };
          }
        }),
      ),
    host: new SpawnHostRunner(),
  };
}
