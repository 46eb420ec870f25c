import type { StartFailureKind } from './start-failure.js';

/** The persisted state of one workspace's run, written atomically to the workspace's status.json (host-side state). */
export type RunState = 'prepared' | 'queued' | 'running' | 'completed' | 'failed' | 'blocked' | 'cancelled';

export type QaState = 'passed' | 'failed' | 'skipped';

export interface QaResult {
  state: QaState;
  /** The command that failed, when QA failed. */
  failedCommand?: string | undefined;
  commands: string[];
  log: string;
  reason?: string | undefined;
  /** What to do about a failure, e.g. which setting to raise. */
  hint?: string | undefined;
}

export interface RunStatus {
  version: 1;
  state: RunState;
  workspace: string;
  repo: string;
  agent: string;
  pool: string;
  runtime: 'docker' | 'podman' | 'apple' | 'swarm' | 'host';
  image?: string | undefined;
  containerId?: string | undefined;
  pid?: number | undefined;
  sessionId?: string | undefined;
  runCount: number;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  exitCode?: number | undefined;
  /** Why the run ended as it did, in words a person can act on. */
  reason?: string | undefined;
  /** The agent's question, for a blocked run. */
  question?: string | undefined;
  /** The forge user whose reply answered the previous question (answer --from-forge). */
  answeredBy?: string | undefined;
  qa?: QaResult | undefined;
  /** What to do about the outcome, e.g. how to retry after a timeout. */
  hint?: string | undefined;
  /** The agent never started (missing CLI, root refusal, rejected flags): not counted as a fast failure. */
  startFailure?: StartFailureKind | undefined;
  /** Queue order: higher priority first, then lower seq. */
  priority?: number | undefined;
  seq?: number | undefined;
  queuedAt?: string | undefined;
  /** Why the run is queued, in words. */
  waitingFor?: string | undefined;
  /** A run put back in the queue for a usage limit starts no sooner than this (ISO), unless its pool is resumed. */
  notBefore?: string | undefined;
  /** The usage or rate limit that put the run back in the queue (or, once it did so too often, failed it). */
  usageLimit?: UsageLimitHit | undefined;
  /** Times in a row this run went back to the queue for a usage limit. */
  limitRequeues?: number | undefined;
  /** Runs this one waits for (dispatch --after): it starts only once each completed with QA not failed. */
  after?: string[] | undefined;
  /** The dependency whose outcome cancelled this run (reason dependency-failed). */
  dependencyFailed?: string | undefined;
  /** The chain (agentctl chain) this run is a task of, and its task id there. */
  chain?: { id: string; task: string } | undefined;
  /** pid of the agentctl process that claimed a slot and is starting the agent. */
  claimedBy?: number | undefined;
  timeoutSeconds?: number | undefined;
  /** Stop the run when its output is silent this long; 0 or unset is off. */
  idleSeconds?: number | undefined;
  /** Stop the run once the reported cost passes this (for agents that cannot enforce it themselves). */
  budgetUsd?: number | undefined;
  /** Set when agentctl decided to stop the run, before it stops it. */
  stopReason?: 'timeout' | 'cancelled' | 'idle' | 'budget' | undefined;
  /** The last progress lines of the agent's output (at most 20). */
  progress?: string[] | undefined;
  usage?: { inputTokens: number; outputTokens: number; costUsd?: number | undefined } | undefined;
  turns?: number | undefined;
  /** Tools the agent asked for and was denied: the result may be incomplete. */
  deniedTools?: string[] | undefined;
  /** HEAD when the agent started, to tell whether it changed anything. */
  startCommit?: string | undefined;
  /** Completed, but the agent changed nothing and asked nothing. */
  noChanges?: boolean | undefined;
  pushed?: { branch: string; commit: string } | undefined;
  pullRequest?: { number: number; url: string } | undefined;
  review?: { verdict: 'approve' | 'request-changes' | undefined; posted: boolean } | undefined;
  /** Who dispatched the run: the workspace is handed back to them when it ends. */
  owner?: { uid: number; gid: number } | undefined;
  warnings: string[];
}

export interface UsageLimitHit {
  /** Whose limit, in our words: "claude usage limit", "gemini quota", … */
  what: string;
  /** ISO time the wait ends. */
  until: string;
  /** 'reset': the time the agent's output named; 'backoff': none was usable. */
  by: 'reset' | 'backoff';
  /** The named time was further off than usage_limits.max_wait_minutes allows. */
  capped: boolean;
}

export const TERMINAL_STATES: readonly RunState[] = ['completed', 'failed', 'blocked', 'cancelled'];

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.includes(state);
}
