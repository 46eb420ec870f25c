import type { Config } from '../core/config/schema.js';
import type { RuntimeName } from '../core/container/container-spec.js';
import { selectRuntime } from '../core/runtime-selection.js';
import type { ImageBuilder } from '../runtime/image-builder.js';
import type { Deps } from './deps.js';

/** How image commands reach an engine's image side; tests pass their own. */
export type BuilderFactory = (name: RuntimeName, config: Config, deps: Deps) => Promise<ImageBuilder>;

export const realBuilderFactory: BuilderFactory = async (name, config, deps) => {
  const { imageBuilderFor } = await import('../runtime/image-builder.js');
  return imageBuilderFor(name, config, deps.env, deps.user.uid);
};

/** --runtime over AGENTCTL_RUNTIME over runtime.prefer, probed as dispatch does; a fallback is warned about on stderr. */
export async function selectImageRuntime(deps: Deps, config: Config, flag: 'auto' | RuntimeName | undefined): Promise<RuntimeName> {
  const prefer = flag ?? config.runtime.prefer;
  const registry = await deps.runtimes(config);
  const preferred = prefer === 'auto' ? undefined : await (await registry.get(prefer)).probe().catch(() => undefined);
  const probes = preferred?.ok === true ? [preferred] : await registry.probeAll();
  const selection = selectRuntime(prefer, probes, deps.platform);
  if (selection.warning !== undefined) deps.io.err(`warning: ${selection.warning}\n`);
  return selection.runtime;
}
