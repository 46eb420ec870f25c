import { classifyStartFailure, START_FAILURE_TAIL_BYTES, type StartFailure } from '../core/run/start-failure.js';
import type { RunStatus } from '../core/run/status.js';
import { readUntrustedTail } from '../fs/untrusted-file.js';
import type { Job } from './job-store.js';
import { runFiles } from './run-files.js';

/**
 * Whether this run's agent never started, from its exit code and the end of
 * its log (read with a bound, never through a link). Only for a run that
 * ended on its own with a non-zero code: a stop by agentctl or a failed
 * setup has its own reason.
 */
export function startFailureOf(job: Job | undefined, status: RunStatus, exitCode: number | undefined): StartFailure | undefined {
  const cli = job?.agentArgv[0];
  if (job === undefined || cli === undefined || exitCode === undefined || exitCode === 0) return undefined;
  const tail = readUntrustedTail(runFiles(status.workspace, job.agentBase, false).log, START_FAILURE_TAIL_BYTES);
  if (tail === undefined) return undefined;
  return classifyStartFailure({
    exitCode,
    logTail: tail.text,
    cli,
    agent: job.agent,
    where: job.run.kind === 'container' ? { kind: 'container', image: job.run.spec.image } : { kind: 'host' },
    // The status is this run's own (a claim starts it afresh); a session id alone is the one agentctl chose beforehand.
    agentSpoke: status.usage !== undefined || (status.turns ?? 0) > 0,
  });
}
