import type { StartFailure, StartFailureKind } from './start-failure.js';
import type { RunState } from './status.js';

/** Why agentctl itself stopped a run, if it did. */
export type StopReason = 'timeout' | 'cancelled' | 'idle' | 'budget';

export interface RunEnd {
  /** undefined when nobody could learn the exit code (the process or container vanished). */
  exitCode: number | undefined;
  killed: boolean;
  /** Contents of BLOCKED.md, if the agent wrote one (up to a bound). */
  blockedText: string | undefined;
  /** BLOCKED.md's full size in bytes when it held more than was read. */
  blockedBytes?: number | undefined;
  stopReason?: StopReason | undefined;
  /** Why the agent ended with no exit code, when its backend knows (its node was lost). */
  lost?: string | undefined;
  /** The agent never got going (see classifyStartFailure). */
  startFailure?: StartFailure | undefined;
}

export interface Outcome {
  state: Extract<RunState, 'completed' | 'failed' | 'blocked' | 'cancelled'>;
  reason: string | undefined;
  question: string | undefined;
  /** What to do about it, when agentctl knows. */
  hint?: string | undefined;
  /** Set when the agent never started: not a fast failure of the task. */
  startFailure?: StartFailureKind | undefined;
}

/** Keep questions readable in status output and forge comments. */
export const MAX_QUESTION_CHARS = 8000;

/**
 * The rule users of the Go original rely on: a stop by agentctl (cancel,
 * timeout) decides first, then a non-empty BLOCKED.md, then a non-zero,
 * killed or unknown exit is a failure (named as a start failure when the
 * agent never started), else completed.
 */
export function decideOutcome(end: RunEnd): Outcome {
  if (end.stopReason === 'cancelled') return { state: 'cancelled', reason: 'cancelled', question: undefined };
  if (end.stopReason !== undefined) return { state: 'failed', reason: end.stopReason, question: undefined };
  const question = end.blockedText?.trim();
  if (question !== undefined && question !== '') {
    const short = question.length > MAX_QUESTION_CHARS ? `${question.slice(0, MAX_QUESTION_CHARS)}…` : question;
    // Only the file's start was read: say so, so nobody answers half a question unknowingly.
    const text = end.blockedBytes === undefined ? short : `${short}\n\n[truncated: BLOCKED.md is ${end.blockedBytes} bytes; only its start was read]`;
    return { state: 'blocked', reason: 'agent wrote BLOCKED.md', question: text };
  }
  if (end.exitCode === undefined && end.lost !== undefined) return { state: 'failed', reason: end.lost, question: undefined };
  if (end.exitCode === undefined) {
    return { state: 'failed', reason: 'abandoned: the agent process is gone and left no exit code', question: undefined };
  }
  if (end.killed) return { state: 'failed', reason: `agent was killed (exit code ${end.exitCode})`, question: undefined };
  if (end.exitCode !== 0 && end.startFailure !== undefined) {
    return { state: 'failed', reason: end.startFailure.reason, question: undefined, hint: end.startFailure.hint, startFailure: end.startFailure.kind };
  }
  if (end.exitCode !== 0) return { state: 'failed', reason: `agent exited with code ${end.exitCode}`, question: undefined };
  return { state: 'completed', reason: undefined, question: undefined };
}
