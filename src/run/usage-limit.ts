import { randomUUID } from 'node:crypto';
import type { RunEnd } from '../core/run/outcome.js';
import { withAgentArgv } from '../core/run/run-plan.js';
import { START_FAILURE_TAIL_BYTES } from '../core/run/start-failure.js';
import type { RunStatus } from '../core/run/status.js';
import { classifyUsageLimit, type UsageLimit } from '../core/run/usage-limit.js';
import { formatUntil, pauseForLimit, usageWait, usageWaitReason, type UsageLimitSettings } from '../core/schedule/usage-window.js';
import type { AgentBackend, Outbox } from './backend/agent-backend.js';
import { recordEvent } from './events.js';
import { writeJob, type Job } from './job-store.js';
import type { RunContext } from './run-context.js';
import { readSchedulerState, withSchedulerLock, writeSchedulerState } from './scheduler-store.js';
import { writeStatus } from './status-store.js';

/**
 * Whether this run's agent stopped at a usage or rate limit, from its exit
 * code and the end of its log (read with a bound, never through a link).
 * Only for a run that ended on its own with a non-zero code and asked nothing.
 */
export function usageLimitOf(end: RunEnd, outbox: Outbox, now: Date): UsageLimit | undefined {
  if (end.exitCode === undefined || end.exitCode === 0 || end.killed || end.stopReason !== undefined) return undefined;
  if ((end.blockedText ?? '').trim() !== '') return undefined;
  const tail = outbox.tail('log', START_FAILURE_TAIL_BYTES);
  return tail === undefined ? undefined : classifyUsageLimit({ exitCode: end.exitCode, logTail: tail.text, now });
}

/**
 * claude refuses a --session-id it has seen before ("Session ID … is already
 * in use": a host agent's ~/.claude keeps the session the limit cut short),
 * so the retry of a run that began a session of its own begins a new one.
 * The work so far is in the workspace either way.
 */
function withFreshSession(job: Job): Job {
  const at = job.agentArgv.findIndex((arg, i) => arg === '--session-id' && job.agentArgv[i + 1] === job.sessionId);
  if (job.sessionId === undefined || at < 0) return job;
  const sessionId = randomUUID();
  const agentArgv = job.agentArgv.map((arg, i) => (i === at + 1 ? sessionId : arg));
  return { ...job, agentArgv, sessionId, run: withAgentArgv(job.run, agentArgv, { stdin: true }) };
}

/** usage_limits, with what the run's agent overrides of it. */
function settingsFor(status: RunStatus, ctx: RunContext): UsageLimitSettings {
  const base = status.agent.split(':')[0] as string;
  const agent = Object.hasOwn(ctx.config.agents, base) ? ctx.config.agents[base] : undefined;
  return { ...ctx.config.usage_limits, ...agent?.usage_limits };
}

/**
 * Put a run that met a usage limit back in the queue, in its old place, with
 * the pool paused until its window (see usageWait): the same workspace, slot
 * and branch are used again when it starts. Undefined when the run already
 * went back usage_limits.max_requeues times in a row: it then ends as a
 * failure that says so.
 */
export async function requeueForLimit(status: RunStatus, job: Job | undefined, limit: UsageLimit, backend: AgentBackend, ctx: RunContext): Promise<RunStatus | undefined> {
  const settings = settingsFor(status, ctx);
  const requeues = status.limitRequeues ?? 0;
  if (requeues >= settings.max_requeues) return undefined;
  // What is left of the agent goes and the workspace is handed back, as after any run.
  for (const warning of await backend.release(status, job)) ctx.notify(`warning: ${warning}`);
  const retry = job === undefined ? undefined : withFreshSession(job);
  if (retry !== undefined && retry !== job) writeJob(retry);
  const now = ctx.clock.now();
  const requeued = await withSchedulerLock(ctx.home, async () => {
    const state = readSchedulerState(ctx.home);
    const wait = usageWait(limit.resetAt, state.pools[status.pool]?.limitHits ?? 0, settings, now);
    const paused = pauseForLimit(state.pools[status.pool], wait, limit.what);
    state.pools[status.pool] = paused;
    writeSchedulerState(ctx.home, state);
    const next: RunStatus = {
      ...status,
      state: 'queued',
      containerId: undefined,
      pid: undefined,
      claimedBy: undefined,
      startedAt: undefined,
      finishedAt: undefined,
      exitCode: undefined,
      stopReason: undefined,
      reason: undefined,
      sessionId: retry?.sessionId ?? status.sessionId,
      queuedAt: now.toISOString(),
      // The pool's pause, when one already there ends later than this wait.
      notBefore: paused.pausedUntil ?? wait.until.toISOString(),
      usageLimit: { what: limit.what, until: wait.until.toISOString(), by: wait.by, capped: wait.capped },
      limitRequeues: requeues + 1,
      // As status tells it while the pool stays paused: "waiting for usage window until 15:00 (claude usage limit): …".
      waitingFor: usageWaitReason(status.pool, paused, now),
    };
    writeStatus(next);
    return next;
  });
  const usage = requeued.usageLimit as NonNullable<RunStatus['usageLimit']>;
  recordEvent(ctx.home, {
    type: 'usage-limit',
    at: now.toISOString(),
    workspace: status.workspace,
    agent: status.agent,
    pool: status.pool,
    what: usage.what,
    until: usage.until,
    by: usage.by,
    capped: usage.capped,
    requeues: requeued.limitRequeues,
  });
  ctx.notify(
    `warning: ${status.agent} stopped at its ${usage.what}: the run is back in the queue and pool ${status.pool} is paused until ${formatUntil(new Date(requeued.notBefore as string), now)}; "agentctl pool resume ${status.pool}" lifts it`,
  );
  return requeued;
}

/** The reason and hint of a run that met its limit once too often. */
export function limitExhausted(status: RunStatus, limit: UsageLimit, ctx: RunContext): { reason: string; hint: string } {
  const times = (status.limitRequeues ?? 0) + 1;
  return {
    reason: `the agent stopped at its ${limit.what} ${times} time${times === 1 ? '' : 's'} in a row: not put back in the queue again`,
    hint: `dispatch it again once the window is open, or raise usage_limits.max_requeues (now ${settingsFor(status, ctx).max_requeues})`,
  };
}
