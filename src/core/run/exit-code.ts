import { ExitCode } from '../errors.js';
import type { RunStatus } from './status.js';

/** The exit code of `dispatch --wait` for a finished run: 0 only for completed with QA passed or skipped. */
export function exitCodeFor(status: RunStatus): number {
  switch (status.state) {
    case 'completed':
      if (status.qa?.state === 'failed') return ExitCode.qaFailed;
      return status.review?.verdict === 'request-changes' ? ExitCode.changesRequested : ExitCode.ok;
    case 'failed':
      return ExitCode.runFailed;
    case 'blocked':
      return ExitCode.runBlocked;
    case 'cancelled':
      return ExitCode.runCancelled;
    default:
      return ExitCode.runPending;
  }
}
