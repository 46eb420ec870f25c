import type { RuntimeName } from '../core/container/container-spec.js';
import { AgentctlError, ExitCode, isAgentctlError } from '../core/errors.js';
import { assertRuntimeSupported, candidateOrder, selectRuntime, type Selection } from '../core/runtime-selection.js';
import type { RuntimeRegistry } from '../runtime/registry.js';

/** What a dispatch would run on, as a dry run reports it: the engine, a fallback warning, and why a real run would fail. */
export interface RuntimeChoice {
  runtime: RuntimeName;
  warning: string | undefined;
  /** Set when a real dispatch would stop here (no engine answers, the image is missing). */
  failure: AgentctlError | undefined;
}

/** Probe the engines (only the explicit choice when it answers) and pick one. */
async function probeAndSelect(registry: RuntimeRegistry, prefer: 'auto' | RuntimeName, platform: NodeJS.Platform): Promise<Selection> {
  assertRuntimeSupported(prefer, platform);
  // An explicit choice that answers needs no look at the other engines.
  const preferred = prefer === 'auto' ? undefined : await (await registry.get(prefer)).probe({ version: false }).catch(() => undefined);
  if (preferred?.ok === true) return selectRuntime(prefer, [preferred], platform);
  // The explicit choice's own probe says why it is out (an engine outside the usual set, Swarm, has no other probe).
  const others = (await registry.probeAll({ version: false })).filter((probe) => probe.runtime !== preferred?.runtime);
  const probes = preferred === undefined ? others : [...others, preferred];
  return selectRuntime(prefer, probes, platform);
}

async function assertImage(registry: RuntimeRegistry, runtime: RuntimeName, image: string): Promise<void> {
  if (await (await registry.get(runtime)).hasImage(image)) return;
  throw new AgentctlError('image_missing', `image ${image} is not present in ${runtime}`, {
    exitCode: ExitCode.environment,
    hint: `build the agent image (agentctl image build), or set runtime.image in the config or AGENTCTL_IMAGE to an image you have`,
  });
}

/** Probe the engines, pick one (warning on fallback), and make sure the image is there. */
export async function chooseRuntime(
  registry: RuntimeRegistry,
  prefer: 'auto' | RuntimeName,
  image: string,
  platform: NodeJS.Platform,
  warn: (line: string) => void,
): Promise<RuntimeName> {
  const selection = await probeAndSelect(registry, prefer, platform);
  if (selection.warning !== undefined) warn(`warning: ${selection.warning}`);
  await assertImage(registry, selection.runtime, image);
  return selection.runtime;
}

/**
 * The same probe, choice and image check as chooseRuntime, for a dry run:
 * where a real run would stop, the preview goes on with the engine it would
 * have tried (the explicit choice, else the platform's first) and says why.
 */
export async function previewRuntimeChoice(registry: RuntimeRegistry, prefer: 'auto' | RuntimeName, image: string, platform: NodeJS.Platform): Promise<RuntimeChoice> {
  let selection: Selection;
  try {
    selection = await probeAndSelect(registry, prefer, platform);
  } catch (error) {
    if (!isAgentctlError(error) || error.code === 'runtime_unsupported') throw error;
    return { runtime: prefer === 'auto' ? candidateOrder(platform)[0]! : prefer, warning: undefined, failure: error };
  }
  try {
    await assertImage(registry, selection.runtime, image);
    return { ...selection, failure: undefined };
  } catch (error) {
    if (!isAgentctlError(error)) throw error;
    return { ...selection, failure: error };
  }
}
