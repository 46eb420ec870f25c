import { ExitCode } from '../core/errors.js';
import { exitCodeFor } from '../core/run/exit-code.js';
import { followRun } from '../run/finish-run.js';
import type { Job } from '../run/job-store.js';
import { launchRun } from '../run/launch-run.js';
import { admitJob, drainQueue } from '../run/queue.js';
import type { RunContext } from '../run/run-context.js';
import { runFiles } from '../run/run-files.js';
import type { Deps } from './deps.js';
import { useColor } from './io.js';
import { renderFinal } from './render-status.js';

/**
 * Queue or start a job, then either return (making sure a supervisor will
 * finish it) or follow it to the end: the shared tail of dispatch and resume.
 */
export async function submitJob(
  job: Job,
  what: string,
  ctx: RunContext,
  deps: Deps,
  opts: { wait: boolean; json: boolean },
  /** The checkout's HEAD when the caller has just made it, so starting now needs no git process to learn it. */
  head?: string,
  /** The run's other files (prompt, manifest): written on admission only, with the job. */
  writeFiles?: () => void,
): Promise<number> {
  const admission = await admitJob(job, ctx, writeFiles);
  let current = admission.status;
  if (admission.queued) {
    ctx.notify(`queued ${what}: ${admission.reason}`);
  } else {
    current = await launchRun(job, admission.status, ctx, head);
    const where = current.containerId === undefined ? `host process ${current.pid}` : `${current.runtime} container ${current.containerId.slice(0, 12)}`;
    ctx.notify(`started ${what} in ${where}`);
  }
  if (!opts.wait) {
    await ctx.ensureSupervisor();
    ctx.notify(`follow: agentctl status ${job.workspace}   log: ${runFiles(job.workspace, job.agentBase, false).log}`);
    deps.io.out(opts.json ? `${JSON.stringify(current, null, 2)}\n` : `${job.workspace}\n`);
    return ExitCode.ok;
  }
  if (admission.queued) await ctx.ensureSupervisor();
  const final = await followRun(job.workspace, ctx, () => drainQueue(ctx));
  deps.io.out(opts.json ? `${JSON.stringify(final, null, 2)}\n` : renderFinal(final, useColor(deps.io, deps.env, false)));
  return exitCodeFor(final);
}
