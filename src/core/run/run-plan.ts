import type { ContainerSpec, EnvEntry, RuntimeName } from '../container/container-spec.js';

/** How a run's agent is started: the exact container spec, or the host argv (an explicit opt-in). */
export type RunPlan =
  | { kind: 'container'; runtime: RuntimeName; spec: ContainerSpec; argv: string[] }
  | { kind: 'host'; cwd: string; argv: string[]; env: EnvEntry[] };
