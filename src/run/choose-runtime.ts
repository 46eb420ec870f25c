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
  const selection = selectRuntime(prefer, await registry.probeAll(), platform);
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
