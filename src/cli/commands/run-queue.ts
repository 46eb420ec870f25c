import { ExitCode } from '../../core/errors.js';
import type { RunStatus } from '../../core/run/status.js';
import { followQueue, runAsSupervisor, tick, type Progress, type SuperviseTimes } from '../../run/supervisor.js';
import type { Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { runQueueOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';

function lines(result: Progress, json: boolean): string {
  const describe = (verb: string, s: RunStatus) =>
    json
      ? JSON.stringify({ event: verb, workspace: s.workspace, agent: s.agent, state: s.state, reason: s.reason ?? null })
      : `${verb} ${s.agent} in ${s.workspace}${verb === 'finished' ? `: ${s.state}${s.reason === undefined ? '' : ` (${s.reason})`}` : ''}`;
  return [...result.started.map((s) => describe('started', s)), ...result.finished.map((s) => describe('finished', s))].map((l) => `${l}\n`).join('');
}

/**
 * Drain the queue in the foreground: one pass, or with --follow until
 * nothing is queued or running (for CI). --supervise is the background
 * supervisor that dispatch starts; it exits at once if another is alive.
 * --follow is that one supervisor too, or reports what the live one does.
 */
export async function run(raw: unknown, deps: Deps, times?: SuperviseTimes): Promise<number> {
  const opts = parseOptions(runQueueOp.input, raw, 'run-queue');
  const { config } = await loadConfigFor(deps, opts.config);
  const ctx = await runContextFor(deps, config);
  const report = (progress: Progress) => deps.io.out(lines(progress, opts.json));
  if (opts.supervise) {
    await runAsSupervisor(ctx, report, times);
    return ExitCode.ok;
  }
  if (opts.follow) {
    const left = await followQueue(ctx, report, times);
    if (left.frozen && left.queued > 0) deps.io.err(`frozen: ${left.queued} run(s) stay queued until "agentctl thaw"\n`);
    return ExitCode.ok;
  }
  const result = await tick(ctx);
  report(result);
  deps.io.err(`${result.running} running, ${result.queued} queued${result.frozen ? ' (frozen)' : ''}\n`);
  return ExitCode.ok;
}
