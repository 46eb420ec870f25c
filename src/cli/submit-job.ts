import type { FinalRunJson, RunStatusJson } from './json-shapes.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import { exitCodeFor } from '../core/run/exit-code.js';
import type { RunStatus } from '../core/run/status.js';
import { limitsFrom } from '../core/schedule/scheduler.js';
import { schedRunOf, waitingNow } from '../core/schedule/waiting.js';
import { followRun } from '../run/finish-run.js';
import type { Job } from '../run/job-store.js';
import { launchRun } from '../run/launch-run.js';
import { admitJob, claimQueued, launchClaimed, type QueueView } from '../run/queue.js';
import { dependencyWaits } from '../run/run-dependencies.js';
import type { RunContext } from '../run/run-context.js';
import { runFiles } from '../run/run-files.js';
import type { Deps } from './deps.js';
import { useColor } from './io.js';
import { renderFinal } from './render-status.js';
import { summaryOf } from './summary-of.js';
import { waitReporter, type WaitPhase, type WaitReporter } from './wait-progress.js';

export interface WaitOptions {
  wait: boolean;
  json: boolean;
  /** Give up waiting (not the run) after this many seconds. */
  waitTimeout?: number | undefined;
}

function waitTimedOut(status: RunStatus, seconds: number): AgentctlError {
  const ws = status.workspace;
  return new AgentctlError('wait_timeout', `the run in ${ws} is still ${status.state} after --wait-timeout ${seconds} s; it goes on without this wait`, {
    exitCode: ExitCode.runPending,
    hint: `follow it with "agentctl logs -f ${ws}", see how it ends with "agentctl status ${ws}", or stop it with "agentctl cancel ${ws}"`,
  });
}

/**
 * Queue or start a job, then either return (making sure a supervisor will
 * finish it) or follow it to the end: the shared tail of dispatch and resume.
 */
export async function submitJob(
  job: Job,
  what: string,
  ctx: RunContext,
  deps: Deps,
  opts: WaitOptions,
  /** The checkout's HEAD when the caller has just made it, so starting now needs no git process to learn it. */
  head?: string,
  /** The run's other files (prompt, manifest): written on admission only, with the job. */
  writeFiles?: () => void,
  /** The live progress the caller has been showing since before the job was submitted. */
  progress?: WaitReporter,
): Promise<number> {
  const reporter = opts.wait ? (progress ?? waitReporter(deps.io, deps.clock, opts.json)) : undefined;
  try {
    return await submitWith(job, what, ctx, deps, opts, reporter, head, writeFiles);
  } finally {
    // The live line goes before the summary, or before an error is printed.
    reporter?.close();
  }
}

async function submitWith(
  job: Job,
  what: string,
  ctx: RunContext,
  deps: Deps,
  opts: WaitOptions,
  reporter: WaitReporter | undefined,
  head: string | undefined,
  writeFiles: (() => void) | undefined,
): Promise<number> {
  // While the wait shows a live line, every note goes above it.
  const run: RunContext = reporter === undefined ? ctx : { ...ctx, notify: (line) => reporter.note(line) };
  const admission = await admitJob(job, run, writeFiles);
  let current = admission.status;
  const say = (phase: WaitPhase, line: string, detail?: string) => (reporter === undefined ? ctx.notify(line) : reporter.announce(phase, line, detail));
  if (admission.queued) {
    say('queued', `queued ${what}: ${admission.reason}`, admission.reason);
  } else {
    reporter?.phase('starting', what);
    current = await launchRun(job, admission.status, run, head);
    const where = current.containerId === undefined ? `host process ${current.pid}` : `${current.runtime} container ${current.containerId.slice(0, 12)}`;
    say('running', `started ${what} in ${where}`);
  }
  if (reporter === undefined) {
    await ctx.ensureSupervisor();
    ctx.notify(`follow: agentctl status ${job.workspace}   log: ${runFiles(job.workspace, job.agentBase, false).log}`);
    const started: RunStatusJson = current;
    deps.io.out(opts.json ? `${JSON.stringify(started, null, 2)}\n` : `${job.workspace}\n`);
    return ExitCode.ok;
  }
  if (admission.queued) await ctx.ensureSupervisor();
  // The queue as the last drain saw it: why this run waits is told from it, with no scan of its own.
  let view: QueueView | undefined;
  const drain = async () => {
    view = await claimQueued(run);
    return launchClaimed(view.claimed, run);
  };
  const since = performance.now();
  const limits = limitsFrom(ctx.config);
  const onProgress = async (status: RunStatus) => {
    const waiting =
      status.state === 'queued' && view !== undefined
        ? (dependencyWaits(view.statuses, ctx.home).get(status.workspace) ??
          waitingNow(schedRunOf(status), view.statuses.map(schedRunOf), view.state, limits, deps.clock.now(), status.waitingFor))
        : undefined;
    reporter.observe(status, waiting);
    if (opts.waitTimeout !== undefined && performance.now() - since >= opts.waitTimeout * 1000) {
      // Nobody waits any more: a supervisor finishes the run.
      await ctx.ensureSupervisor();
      throw waitTimedOut(status, opts.waitTimeout);
    }
  };
  const final = await followRun(job.workspace, run, drain, onProgress);
  reporter.close();
  const ended: FinalRunJson = { ...final, summary: summaryOf(final) };
  if (opts.json) deps.io.out(`${JSON.stringify(ended, null, 2)}\n`);
  else deps.io.out(renderFinal(final, summaryOf(final), useColor(deps.io, deps.env, false)));
  return exitCodeFor(final);
}
