import type { RuntimeName } from '../core/container/container-spec.js';
import type { ProbeResult } from '../core/runtime-selection.js';
import type { HostRunner } from './host-runner.js';
import type { ContainerRuntime } from './runtime.js';

/** How commands reach engines: by name for runs already started, by probing for new ones. */
export interface RuntimeRegistry {
  get(name: RuntimeName): Promise<ContainerRuntime>;
  probeAll(options?: { version?: boolean }): Promise<ProbeResult[]>;
  host: HostRunner;
}
