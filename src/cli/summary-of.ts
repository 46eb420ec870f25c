import type { RunStatus } from '../core/run/status.js';
import { runSummary, type RunSummary } from '../core/run/summary.js';
import { readJob } from '../run/job-store.js';

/** A run's summary, with whether it was asked to push and was a review taken from its job (host-owned). */
export function summaryOf(status: RunStatus): RunSummary {
  const job = readJob(status.workspace);
  return runSummary(status, { push: job?.push, review: job?.review });
}
