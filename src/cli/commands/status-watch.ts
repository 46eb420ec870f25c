import { z } from 'zod';
import type { DashboardPool, DashboardRow } from '../../core/dashboard/model.js';
import { ExitCode } from '../../core/errors.js';
import { pause } from '../../fs/file-tail.js';
import type { Deps } from '../deps.js';
import { diskSource, type DashboardSource } from '../dashboard/source.js';
import { formatFields } from '../format-fields.js';
import { loadConfigFor } from '../load.js';
import { parseOptions } from '../parse-options.js';
import type { FollowControl } from '../../service/follow-control.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';

export const watchOptions = z.object({
  args: z.array(z.string()).max(1, 'takes at most one workspace').default([]),
  watch: z.literal(true),
  json: z.boolean().default(false),
  config: z.string().optional(),
});

/** One changed run, as a plain line or a JSON line (`{"at", "kind": "run", ...row}`). */
function runLine(at: string, row: DashboardRow, json: boolean): string {
  if (json) return JSON.stringify({ at, kind: 'run', ...row });
  return `${at} ${row.name} ${formatFields({ state: row.label, agent: row.agent, elapsed: row.elapsed, cost: row.cost, qa: row.qa, note: row.note === '' ? undefined : row.note })}`;
}

function poolLine(at: string, pool: DashboardPool, json: boolean): string {
  if (json) return JSON.stringify({ at, kind: 'pool', ...pool });
  return `${at} pool ${pool.pool} ${formatFields({ running: `${pool.running}/${pool.limit}`, queued: pool.queued, backoff: pool.backoff })}`;
}

/**
 * Without a terminal (or with --json) there is no dashboard: print every
 * run and pool once, then each one again whenever it changes (state, note,
 * cost, QA; not the ticking elapsed time), refreshing every second until
 * nothing is queued or running.
 */
async function printChanges(source: DashboardSource, deps: Deps, json: boolean, control: FollowControl): Promise<number> {
  const { signal, intervalMs = 1000 } = control;
  const stopped = () => signal?.aborted === true;
  const seen = new Map<string, string>();
  const changed = (key: string, value: unknown) => {
    const text = JSON.stringify(value);
    if (seen.get(key) === text) return false;
    seen.set(key, text);
    return true;
  };
  deps.io.err('status --watch: not a terminal, so printing changes as lines until nothing is queued or running (every event: agentctl events --follow)\n');
  let first = true;
  for (;;) {
    const { model, warnings } = await source.load();
    for (const warning of warnings) deps.io.err(`${warning}\n`);
    const at = deps.clock.now().toISOString();
    if (first && model.rows.length === 0) deps.io.err('no runs yet; start one with: agentctl dispatch --repo org/name --issue N\n');
    first = false;
    for (const row of model.rows) {
      if (changed(`run ${row.workspace}`, [row.label, row.note, row.cost, row.qa])) deps.io.out(`${runLine(at, row, json)}\n`);
    }
    for (const pool of model.pools) {
      if (changed(`pool ${pool.pool}`, [pool.limit, pool.running, pool.queued, pool.backoff])) deps.io.out(`${poolLine(at, pool, json)}\n`);
    }
    if (changed('frozen', model.frozen) && model.frozen) deps.io.err('agentctl is frozen: no new runs start until "agentctl thaw"\n');
    const active = model.rows.some((row) => row.state === 'running' || row.state === 'queued');
    if (!active) {
      deps.io.err('nothing is queued or running; stopped watching\n');
      return ExitCode.ok;
    }
    if (stopped()) return ExitCode.ok;
    await pause(intervalMs, signal);
    if (stopped()) return ExitCode.ok;
  }
}

/**
 * `agentctl status --watch`: the ink dashboard on a terminal; plain or JSON
 * lines otherwise. Only the terminal path loads the dashboard (and ink).
 */
export async function run(raw: unknown, deps: Deps, control: FollowControl = {}): Promise<number> {
  const opts = parseOptions(watchOptions, raw, 'status');
  const { config } = await loadConfigFor(deps, opts.config);
  const only = opts.args[0] === undefined ? undefined : resolveWorkspace(opts.args[0], deps);
  const source = diskSource(deps, config, only);
  if (opts.json || !deps.io.isTTY || !deps.io.stdinIsTTY) return printChanges(source, deps, opts.json, control);
  const { runDashboard } = await import('../dashboard/run-dashboard.js');
  await runDashboard(source, { intervalMs: control.intervalMs ?? 1000 });
  return ExitCode.ok;
}
