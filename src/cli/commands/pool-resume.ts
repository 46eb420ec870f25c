import { ExitCode, usageError } from '../../core/errors.js';
import { recordGlobalEvent } from '../../run/events.js';
import { readSchedulerState, withSchedulerLock, writeSchedulerState } from '../../run/scheduler-store.js';
import { tick } from '../../run/supervisor.js';
import { stateHome, type Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { poolResumeOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';

/** Lift a pool's backoff pause early and reset its fast-failure count. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(poolResumeOp.input, raw, 'pool resume');
  const pool = opts.args[0] as string;
  const home = stateHome(deps);
  const known = await withSchedulerLock(home, async () => {
    const state = readSchedulerState(home);
    const had = Object.hasOwn(state.pools, pool);
    if (had) {
      state.pools[pool] = { fastFails: 0 };
      writeSchedulerState(home, state);
    }
    return { had, pools: Object.keys(state.pools) };
  });
  if (!known.had) {
    throw usageError('unknown_pool', `pool ${JSON.stringify(pool)} has no backoff to lift`, `pools with backoff state: ${known.pools.join(', ') || '(none)'}; "agentctl status" shows every pool`);
  }
  recordGlobalEvent(home, { type: 'pool-resumed', at: deps.clock.now().toISOString(), pool });
  const { config } = await loadConfigFor(deps, opts.config);
  const ctx = await runContextFor(deps, config);
  const result = await tick(ctx);
  if (result.running > 0 || result.queued > 0) await ctx.ensureSupervisor();
  deps.io.out(opts.json ? `${JSON.stringify({ pool, paused: false })}\n` : `pool ${pool} resumed\n`);
  return ExitCode.ok;
}
