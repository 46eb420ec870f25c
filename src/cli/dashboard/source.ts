import { join } from 'node:path';
import type { Config } from '../../core/config/schema.js';
import { buildModel, type DashboardModel } from '../../core/dashboard/model.js';
import { isAgentctlError } from '../../core/errors.js';
import { limitsFrom } from '../../core/schedule/scheduler.js';
import { agentLogPath, displayLine, tailLines } from '../../run/agent-log.js';
import { allStatuses } from '../../run/queue.js';
import type { RunContext } from '../../run/run-context.js';
import { readSchedulerState } from '../../run/scheduler-store.js';
import { readStatus } from '../../run/status-store.js';
import { tick } from '../../run/supervisor.js';
import { stateHome, type Deps } from '../deps.js';
import { runContextFor } from '../run-context.js';

export interface Snapshot {
  model: DashboardModel;
  /** What the last refresh had to say (a run it could not check), for a status line. */
  warnings: string[];
}

export interface LogTail {
  path: string | undefined;
  lines: string[];
}

/** Where the dashboard gets its data and does its work; tests supply their own. */
export interface DashboardSource {
  /** Re-read every status (finishing ended runs and starting queued ones first) and build the model. */
  load(): Promise<Snapshot>;
  /** The last `lines` lines of a run's agent log, safe to print. */
  logTail(workspace: string, lines: number): LogTail;
  /** Cancel a queued or running run; resolves to a line saying what happened. */
  cancel(workspace: string): Promise<string>;
}

/**
 * The real source: status files under $AGENTCTL_HOME, the same tick as
 * `agentctl status` (so ended runs get finished while someone watches), and
 * the cancel service. `only` limits the rows to one workspace.
 */
export function diskSource(deps: Deps, config: Config, only?: string): DashboardSource {
  const home = stateHome(deps);
  const root = join(home, 'workspace');
  let ctx: RunContext | undefined;
  const warnings: string[] = [];
  return {
    async load() {
      warnings.length = 0;
      if (allStatuses(home).some((s) => s.state === 'running' || s.state === 'queued')) {
        try {
          ctx ??= { ...(await runContextFor(deps, config)), notify: (line: string) => void warnings.push(line) };
          const result = await tick(ctx);
          if (result.running > 0 || (result.queued > 0 && !result.frozen)) await ctx.ensureSupervisor();
        } catch (error) {
          warnings.push(`warning: could not update the runs: ${(error as Error).message}`);
        }
      }
      const statuses = allStatuses(home);
      const model = buildModel({
        statuses,
        scheduler: readSchedulerState(home),
        limits: limitsFrom(config),
        configPools: Object.keys(config.pools),
        now: deps.clock.now(),
        root,
      });
      if (only !== undefined) model.rows = model.rows.filter((row) => row.workspace === only);
      return { model, warnings: [...warnings] };
    },
    logTail(workspace, lines) {
      const path = agentLogPath(workspace, readStatus(workspace));
      return { path, lines: path === undefined ? [] : tailLines(path, lines).map(displayLine) };
    },
    async cancel(workspace) {
      try {
        const { cancelRun } = await import('../../service/cancel-run.js');
        ctx ??= { ...(await runContextFor(deps, config)), notify: (line: string) => void warnings.push(line) };
        await cancelRun(workspace, ctx);
        return `cancelled ${workspace}`.replaceAll(`${root}/`, '');
      } catch (error) {
        return (isAgentctlError(error) ? error.message : `could not cancel: ${(error as Error).message}`).replaceAll(`${root}/`, '');
      }
    },
  };
}
