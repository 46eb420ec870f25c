import type { Config } from '../core/config/schema.js';
import type { RunContext } from '../run/run-context.js';
import { stateHome, type Deps } from './deps.js';
import { displayText } from '../core/text/display-line.js';

/** The run context of a command, built from its injected deps. */
export async function runContextFor(deps: Deps, config: Config): Promise<RunContext> {
  const home = stateHome(deps);
  const ctx: RunContext = {
    config,
    runtimes: await deps.runtimes(config),
    forges: deps.forges(config),
    git: await deps.git(),
    env: deps.env,
    home,
    clock: deps.clock,
    user: deps.user,
    pid: deps.pid,
    // Notes can carry names an agent chose (files, branches): never a terminal's escape sequences.
    notify: (line) => deps.io.err(`${displayText(line)}\n`),
    ensureSupervisor: () => deps.startSupervisor(home),
    backend: (runtime) => deps.agentBackend(runtime, ctx),
  };
  return ctx;
}
