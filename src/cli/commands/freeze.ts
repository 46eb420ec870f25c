import { z } from 'zod';
import { ExitCode } from '../../core/errors.js';
import { readSchedulerState, withSchedulerLock, writeSchedulerState } from '../../run/scheduler-store.js';
import { recordGlobalEvent } from '../../run/events.js';
import { tick } from '../../run/supervisor.js';
import { stateHome, type Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { freezeOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';

// freeze and thaw are one module: the definition fixes which one this is.
const freezeOptions = freezeOp.input.extend({ frozen: z.boolean() });

/** `freeze` stops starting new runs (queued ones wait, running ones go on); `thaw` resumes. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(freezeOptions, raw, opts0(raw));
  const home = stateHome(deps);
  await withSchedulerLock(home, async () => {
    const state = readSchedulerState(home);
    state.frozen = opts.frozen;
    writeSchedulerState(home, state);
  });
  recordGlobalEvent(home, { type: opts.frozen ? 'frozen' : 'thawed', at: deps.clock.now().toISOString() });
  if (!opts.frozen) {
    const { config } = await loadConfigFor(deps, opts.config);
    const ctx = await runContextFor(deps, config);
    const result = await tick(ctx);
    if (result.running > 0 || result.queued > 0) await ctx.ensureSupervisor();
  }
  deps.io.out(opts.json ? `${JSON.stringify({ frozen: opts.frozen })}\n` : opts.frozen ? 'frozen: no new runs will start; running ones go on\n' : 'thawed: queued runs start as slots free\n');
  return ExitCode.ok;
}

function opts0(raw: unknown): string {
  return (raw as { frozen?: boolean }).frozen === false ? 'thaw' : 'freeze';
}
