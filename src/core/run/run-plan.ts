import { renderRunArgv, type ContainerSpec, type EnvEntry, type RuntimeName } from '../container/container-spec.js';
import { replaceAgentArgv } from './wrap-argv.js';

/** How a run's agent is started: the exact container spec, or the host argv (an explicit opt-in). */
export type RunPlan =
  | { kind: 'container'; runtime: RuntimeName; spec: ContainerSpec; argv: string[] }
  | { kind: 'host'; cwd: string; argv: string[]; env: EnvEntry[] };

/** Where a plan runs, as a run's status records it. */
export function planRuntime(plan: RunPlan): RuntimeName | 'host' {
  return plan.kind === 'host' ? 'host' : plan.runtime;
}

/** The image a plan's agent runs in; none on the host. */
export function planImage(plan: RunPlan): string | undefined {
  return plan.kind === 'container' ? plan.spec.image : undefined;
}

/** The same plan with another agent argv (resume, answer): everything else about the run stays (stdin only with `stdin: true`). */
export function withAgentArgv(plan: RunPlan, agentArgv: readonly string[], options: { stdin: boolean }): RunPlan {
  if (plan.kind === 'host') return { ...plan, argv: replaceAgentArgv(plan.argv, agentArgv, options) };
  const spec = { ...plan.spec, argv: replaceAgentArgv(plan.spec.argv, agentArgv, options) };
  return { ...plan, spec, argv: renderRunArgv(plan.runtime, spec) };
}
