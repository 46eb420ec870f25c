import { classifyStartFailure, START_FAILURE_TAIL_BYTES, type StartFailure } from '../core/run/start-failure.js';
import type { RunStatus } from '../core/run/status.js';
import { planImage } from '../core/run/run-plan.js';
import type { Outbox } from './backend/agent-backend.js';
import type { Job } from './job-store.js';

/**
 * Whether this run's agent never started, from its exit code and the end of
 * its log (read with a bound, never through a link). Only for a run that
 * ended on its own with a non-zero code: a stop by agentctl or a failed
 * setup has its own reason.
 */
export function startFailureOf(job: Job | undefined, status: RunStatus, exitCode: number | undefined, outbox: Outbox): StartFailure | undefined {
  const cli = job?.agentArgv[0];
  if (job === undefined || cli === undefined || exitCode === undefined || exitCode === 0) return undefined;
  const tail = outbox.tail('log', START_FAILURE_TAIL_BYTES);
  if (tail === undefined) return undefined;
  const image = planImage(job.run);
  return classifyStartFailure({
    exitCode,
    logTail: tail.text,
    cli,
    agent: job.agent,
    where: image === undefined ? { kind: 'host' } : { kind: 'container', image },
    // The status is this run's own (a claim starts it afresh); a session id alone is the one agentctl chose beforehand.
    agentSpoke: status.usage !== undefined || (status.turns ?? 0) > 0,
  });
}
