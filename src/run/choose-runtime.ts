import type { RuntimeName } from '../core/container/container-spec.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import { selectRuntime } from '../core/runtime-selection.js';
import type { RuntimeRegistry } from '../runtime/registry.js';

/** Probe the engines, pick one (warning on fallback), and make sure the image is there. */
export async function chooseRuntime(
  registry: RuntimeRegistry,
  prefer: 'auto' | RuntimeName,
  image: string,
  platform: NodeJS.Platform,
  warn: (line: string) => void,
): Promise<RuntimeName> {
  // An explicit choice that answers needs no look at the other engines.
  const preferred = prefer === 'auto' ? undefined : await (await registry.get(prefer)).probe({ version: false }).catch(() => undefined);
  const probes = preferred?.ok === true ? [preferred] : await registry.probeAll({ version: false });
  const selection = selectRuntime(prefer, probes, platform);
  if (selection.warning !== undefined) warn(`warning: ${selection.warning}`);
  const runtime = await registry.get(selection.runtime);
  if (!(await runtime.hasImage(image))) {
    throw new AgentctlError('image_missing', `image ${image} is not present in ${selection.runtime}`, {
      exitCode: ExitCode.environment,
      hint: `build the agent image (see the README's Containerfile section), or set runtime.image in the config or AGENTCTL_IMAGE to an image you have`,
    });
  }
  return selection.runtime;
}
