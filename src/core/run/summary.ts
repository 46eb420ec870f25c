import type { RunStatus } from './status.js';

/**
 * What a person wants to know when a run ends, in one shape for the text
 * summary and for --json (`summary` beside the status fields). Reason,
 * question, hint, QA command and tool names may come from the agent or the
 * repository: renderers print them through displayLine.
 */
export interface RunSummary {
  outcome: string;
  reason: string | null;
  hint: string | null;
  pullRequest: string | null;
  /** Why no branch was pushed, when one was asked for or could have been. */
  notPushed: string | null;
  reviewVerdict: 'approve' | 'request-changes' | null;
  qa: { state: string; failedCommand: string | null; reason: string | null; hint: string | null } | null;
  deniedTools: string[];
  costUsd: number | null;
  turns: number | null;
  sessionId: string | null;
  /** The command that carries the run on: resume its session, or answer its question. */
  next: string | null;
}

/** What the summary needs from the run's job (host-owned): whether a push was asked for and whether it was a review. */
export interface SummaryFacts {
  push: boolean | undefined;
  review: boolean | undefined;
}

export function outcomeLabel(status: RunStatus): string {
  if (status.state === 'completed' && status.qa?.state === 'failed') return 'completed (QA failed)';
  if (status.state === 'completed' && status.noChanges === true) return 'completed (no changes)';
  return status.state;
}

/** Why the run pushed nothing, from its outcome and the "not pushed" warning publishing left. */
function whyNotPushed(status: RunStatus, facts: SummaryFacts): string | null {
  if (status.pushed !== undefined || status.state === 'running' || status.state === 'queued' || status.state === 'prepared') return null;
  if (facts.review === true) return null;
  if (facts.push !== true) {
    // Said only where a push could have followed: a completed run with changes and QA not failed.
    const couldPush = status.state === 'completed' && status.qa?.state !== 'failed' && status.noChanges !== true;
    return couldPush ? 'push was not asked for (--push, or defaults.push in the config)' : null;
  }
  if (status.state !== 'completed') return `the run ${status.state === 'blocked' ? 'is blocked on a question' : `was ${status.state === 'cancelled' ? 'cancelled' : 'not completed'}`}`;
  if (status.qa?.state === 'failed') return 'QA failed';
  if (status.noChanges === true) return 'the agent changed nothing';
  const warning = status.warnings.find((line) => line.startsWith('not pushed: '));
  return warning === undefined ? 'no push was made' : warning.slice('not pushed: '.length);
}

export function runSummary(status: RunStatus, facts: SummaryFacts): RunSummary {
  const qa = status.qa;
  // Only claude continues a session today; a session id of another agent is still shown.
  const resumable = status.sessionId !== undefined && status.agent.split(':')[0] === 'claude' && (status.state === 'completed' || status.state === 'failed' || status.state === 'cancelled');
  return {
    outcome: outcomeLabel(status),
    reason: status.reason ?? null,
    hint: status.hint ?? null,
    pullRequest: status.pullRequest?.url ?? null,
    notPushed: whyNotPushed(status, facts),
    reviewVerdict: status.review?.verdict ?? null,
    qa: qa === undefined ? null : { state: qa.state, failedCommand: qa.failedCommand ?? null, reason: qa.reason ?? null, hint: qa.hint ?? null },
    deniedTools: status.deniedTools ?? [],
    costUsd: status.usage?.costUsd ?? null,
    turns: status.turns ?? null,
    sessionId: status.sessionId ?? null,
    next: resumable ? `agentctl resume ${status.workspace}` : status.state === 'blocked' ? `agentctl answer ${status.workspace} "…"` : null,
  };
}
