import { ExitCode } from '../errors.js';
import type { RunStatus } from './status.js';

/** The exit code of `dispatch --wait` for a finished run: 0 only for completed with QA passed or skipped. */
export function exitCodeFor(status: RunStatus): number {
  switch (status.state) {
    case 'completed':
      return status.qa?.state === 'failed' ? ExitCode.qaFailed : ExitCode.ok;
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
