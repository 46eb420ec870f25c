import { decideOutcome, type RunEnd, type StopReason } from '../core/run/outcome.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../fs/process-alive.js';
import { isTerminal, type RunStatus } from '../core/run/status.js';
import { repoReadOnly } from '../core/run/read-only-target.js';
import { SETUP_FAILED_EXIT } from '../core/run/wrap-argv.js';
import { applyOutcome, type PoolBackoff } from '../core/schedule/scheduler.js';
import { watchDelay } from '../core/schedule/watch-delay.js';
import { finishActions } from '../core/forge/forge-plan.js';
import { applyForgeActions } from './forge-hooks.js';
import { readJob, type Job } from './job-store.js';
import { postReview, publish } from './publish.js';
import type { CollectedWork } from '../git/host-repo.js';
import { agentRef, type AgentBackend, type Outbox } from './backend/agent-backend.js';
import { READ_BOUNDS, workspaceLayout } from '../core/workspace/layout.js';
import { recordEvent } from './events.js';
import { crashPoint } from './faults.js';
import { withFinishLock } from './finish-lock.js';
import { ingestOutput } from './ingest-output.js';
import type { RunContext } from './run-context.js';
import { runQa } from './run-qa.js';
import { startFailureOf } from './start-failure.js';
import { limitExhausted, requeueForLimit, usageLimitOf } from './usage-limit.js';
import { readSchedulerState, withSchedulerLock, writeSchedulerState } from './scheduler-store.js';
import { readStatus, writeStatus } from './status-store.js';

const CLAIM_GRACE_MS = 20_000;

/** Soon enough after the claim (the status's start time) that the claimer may still be starting the agent. */
function withinClaimGrace(status: RunStatus, ctx: RunContext): boolean {
  const claimedAt = status.startedAt === undefined ? 0 : new Date(status.startedAt).getTime();
  return ctx.clock.now().getTime() - claimedAt < CLAIM_GRACE_MS;
}

/**
 * BLOCKED.md as the agent left it, read with a bound and never through a
 * link: a link or anything else that is not a regular file still blocks the
 * run (the agent meant to ask), with a question saying it was not read.
 */
function readBlocked(outbox: Outbox): Pick<RunEnd, 'blockedText' | 'blockedBytes'> {
  const read = outbox.read('question', READ_BOUNDS.question);
  if (read !== undefined) return { blockedText: read.text, blockedBytes: read.truncated ? read.size : undefined };
  if (!outbox.present('question')) return { blockedText: undefined };
  return { blockedText: '[BLOCKED.md is not a regular file (a link?); agentctl did not read it]' };
}

/** How the run ended, or undefined while it is still going. */
async function observeEnd(status: RunStatus, backend: AgentBackend, ctx: RunContext): Promise<RunEnd | undefined> {
  const seen = await backend.observe(status);
  if (seen.phase === 'running') return undefined;
  // Created and not started yet: whoever created it is still starting it (one that never starts ends with the claim's grace).
  if (seen.phase === 'created') {
    if (withinClaimGrace(status, ctx)) return undefined;
    return { exitCode: undefined, killed: false, ...readBlocked(backend.outbox(status.workspace, agentBaseOf(status))), stopReason: status.stopReason };
  }
  return { exitCode: seen.exitCode, killed: seen.killed, lost: seen.lost, ...readBlocked(backend.outbox(status.workspace, agentBaseOf(status))), stopReason: status.stopReason };
}

/** How a run ended that agentctl stopped, when the agent cannot be looked at afterwards. */
function stoppedEnd(reason: StopReason): RunEnd {
  return { exitCode: undefined, killed: true, blockedText: undefined, stopReason: reason };
}

/** Stop a run's agent, if it was started yet (a claimed run's agent is stopped by its starter, who finds the claim gone). */
async function stopAgent(status: RunStatus, backend: AgentBackend, ctx: RunContext): Promise<void> {
  const ref = agentRef(status);
  if (ref !== undefined) await backend.stop(ref, ctx.config.timeouts.grace);
}

export function agentBaseOf(status: RunStatus): string {
  return status.agent.split(':')[0] as string;
}

/** Whether agentctl must stop a live run now: out of time, silent too long, or over budget. */
function stopDue(status: RunStatus, outbox: Outbox, now: Date): StopReason | undefined {
  if (status.startedAt === undefined) return undefined;
  const started = new Date(status.startedAt).getTime();
  if (status.timeoutSeconds !== undefined && status.timeoutSeconds > 0 && now.getTime() >= started + status.timeoutSeconds * 1000) return 'timeout';
  if (status.idleSeconds !== undefined && status.idleSeconds > 0) {
    // No output yet: silent since the start.
    const last = Math.max(started, outbox.modifiedAt('log') ?? started);
    if (now.getTime() - last >= status.idleSeconds * 1000) return 'idle';
  }
  if (status.budgetUsd !== undefined && (status.usage?.costUsd ?? 0) > status.budgetUsd) return 'budget';
  return undefined;
}

function stopHint(status: RunStatus): string | undefined {
  switch (status.stopReason) {
    case 'timeout':
      return timeoutHint(status);
    case 'idle':
      return `the agent printed nothing for ${status.idleSeconds ?? 0} s; raise --idle-timeout, or look at its log for where it stalled`;
    case 'budget':
      return `the agent reported $${(status.usage?.costUsd ?? 0).toFixed(2)}, over the $${status.budgetUsd ?? 0} budget; raise --max-budget-usd to let it go further`;
    default:
      return undefined;
  }
}

function timeoutHint(status: RunStatus): string {
  const seconds = status.timeoutSeconds ?? 0;
  const resume = status.sessionId === undefined ? '' : `, or continue it with "agentctl resume ${status.workspace}"`;
  return `the agent ran longer than its ${seconds} s timeout; retry with a longer one (--timeout ${Math.max(seconds * 2, 60)})${resume}`;
}

function sameBackoff(a: PoolBackoff, b: PoolBackoff): boolean {
  return a.fastFails === b.fastFails && a.pausedUntil === b.pausedUntil && a.pausedFor === b.pausedFor && (a.limitHits ?? 0) === (b.limitHits ?? 0);
}

async function recordBackoff(final: RunStatus, ctx: RunContext): Promise<void> {
  // An agent that never started is a setup to fix, named in its reason: not a fast failure of the task. Nor is a usage limit.
  if (final.state === 'cancelled' || final.startFailure !== undefined || final.usageLimit !== undefined || final.startedAt === undefined || final.finishedAt === undefined) return;
  const durationSeconds = (new Date(final.finishedAt).getTime() - new Date(final.startedAt).getTime()) / 1000;
  const outcome = { failed: final.state === 'failed', durationSeconds };
  // Mostly a success after a success: nothing to write, so no need to wait for the lock the queue drains under.
  const seen = readSchedulerState(ctx.home).pools[final.pool];
  if (seen !== undefined && sameBackoff(applyOutcome(seen, outcome, ctx.config.backoff, ctx.clock.now()).backoff, seen)) return;
  await withSchedulerLock(ctx.home, async () => {
    const state = readSchedulerState(ctx.home);
    const result = applyOutcome(state.pools[final.pool], outcome, ctx.config.backoff, ctx.clock.now());
    state.pools[final.pool] = result.backoff;
    writeSchedulerState(ctx.home, state);
    if (result.paused) {
      const line = `pool ${final.pool} paused until ${result.backoff.pausedUntil} after ${ctx.config.backoff.threshold} fast failures in a row`;
      ctx.notify(`warning: ${line}; "agentctl pool resume ${final.pool}" lifts it`);
      recordEvent(ctx.home, { type: 'backoff', at: ctx.clock.now().toISOString(), workspace: final.workspace, pool: final.pool, pausedUntil: result.backoff.pausedUntil });
    }
  });
}

/** Push and open a PR when asked and earned, post a review, and tell the forge how the run ended. */
async function report(job: Job, status: RunStatus, outbox: Outbox, ctx: RunContext, work: CollectedWork | undefined): Promise<RunStatus> {
  let final = status;
  if (job.push && final.state === 'completed' && final.qa?.state !== 'failed') final = { ...final, ...(await publish(job, final, ctx, work)) };
  if (job.comment && job.target.kind === 'pr') final = { ...final, ...(await postReview(job, final, outbox, ctx)) };
  if (job.forge !== undefined) {
    const warnings = await applyForgeActions(job.forge, finishActions(job.forge.kind, final, { pullUrl: final.pullRequest?.url }), status.workspace, ctx);
    final = { ...final, warnings: [...final.warnings, ...warnings] };
  }
  return final;
}

function setupFailedReason(job: Job): string {
  const readOnly = repoReadOnly(job) ? '; the checkout is read-only for tag and review runs, so a setup that writes into it fails' : '';
  return `the setup command failed: ${job.setup ?? ''} (see the agent log${readOnly})`;
}

async function complete(ended: RunStatus, end: RunEnd, backend: AgentBackend, ctx: RunContext): Promise<RunStatus> {
  // The agent's last words are read before the outcome is written.
  const status = ingestOutput(ended, backend.outbox(ended.workspace, agentBaseOf(ended)), agentBaseOf(ended), ctx.clock.now(), true);
  const job = readJob(status.workspace);
  const setupFailed = end.stopReason === undefined && end.exitCode === SETUP_FAILED_EXIT && job?.setup !== undefined;
  const startFailure = end.stopReason === undefined && !setupFailed ? startFailureOf(job, status, end.exitCode, backend.outbox(status.workspace, agentBaseOf(status))) : undefined;
  // Stopped by its provider's usage or rate limit: back to the queue, not a failure (until it happens too often).
  const limit = setupFailed || startFailure !== undefined ? undefined : usageLimitOf(end, backend.outbox(status.workspace, agentBaseOf(status)), ctx.clock.now());
  if (limit !== undefined) {
    const requeued = await requeueForLimit(status, job, limit, backend, ctx);
    if (requeued !== undefined) return requeued;
  }
  const outcome = decideOutcome({ ...end, startFailure });
  const exhausted = limit === undefined ? undefined : limitExhausted(status, limit, ctx);
  let final: RunStatus = {
    ...status,
    state: outcome.state,
    exitCode: end.exitCode,
    reason: setupFailed && outcome.state === 'failed' ? setupFailedReason(job) : (exhausted?.reason ?? outcome.reason),
    question: outcome.question,
    hint: end.stopReason === undefined ? (exhausted?.hint ?? outcome.hint) : stopHint(status),
    startFailure: outcome.startFailure,
    usageLimit: limit === undefined ? undefined : { what: limit.what, until: ctx.clock.now().toISOString(), by: 'backoff', capped: false },
  };
  // The agent's work, in the host-owned repository, before QA adds its own files. Only when something needs it.
  const wanted = job !== undefined && final.state === 'completed' && (job.push || !job.review);
  const collected = wanted ? await backend.collectWork(job, status) : {};
  if (collected.warning !== undefined) final = { ...final, warnings: [...final.warnings, collected.warning] };
  // Review agents and tag runs could change nothing (their checkout is read-only), so there is nothing of theirs to check.
  if (outcome.state === 'completed' && ctx.config.qa.enabled && (job === undefined || !repoReadOnly(job))) {
    try {
      final = { ...final, qa: await runQa(status, backend, ctx) };
      recordEvent(ctx.home, { type: 'qa', at: ctx.clock.now().toISOString(), workspace: status.workspace, state: final.qa?.state, failedCommand: final.qa?.failedCommand });
    } catch (error) {
      final = {
        ...final,
        qa: { state: 'failed', commands: [], log: workspaceLayout(status.workspace).qaLog, reason: `QA could not run: ${(error as Error).message}` },
      };
    }
  }
  crashPoint('during-finish', ctx.env);
  final = { ...final, finishedAt: ctx.clock.now().toISOString() };
  // What is left of the agent goes, and the workspace is handed back (ours again before QA's files or a push are looked at).
  const released = await backend.release(status, job);
  if (released.length > 0) final = { ...final, warnings: [...final.warnings, ...released] };
  if (final.state === 'completed' && job?.review !== true && collected.work !== undefined) {
    if (!collected.work.changed) {
      final = { ...final, noChanges: true };
      recordEvent(ctx.home, { type: 'no-changes', at: ctx.clock.now().toISOString(), workspace: status.workspace, agent: status.agent });
    }
  }
  if (job !== undefined) final = await report(job, final, backend.outbox(status.workspace, job.agentBase), ctx, collected.work);
  writeStatus(final);
  if (final.state === 'blocked') recordEvent(ctx.home, { type: 'blocked', at: final.finishedAt as string, workspace: status.workspace, agent: status.agent, question: final.question });
  recordEvent(ctx.home, {
    type: 'finished',
    at: final.finishedAt as string,
    workspace: status.workspace,
    agent: status.agent,
    state: final.state,
    exitCode: final.exitCode,
    reason: final.reason,
    qa: final.qa?.state,
  });
  await recordBackoff(final, ctx);
  return final;
}

/**
 * A run whose slot was claimed but whose agent was never recorded: the
 * claiming process died between the claim and the status write. Adopt the
 * agent if it started; put the run back in the queue if it never did; leave
 * it alone while the claimer is still alive.
 */
async function settleClaim(status: RunStatus, backend: AgentBackend, ctx: RunContext): Promise<RunStatus> {
  const found = await backend.find(status);
  if (found !== undefined && 'exitCode' in found) {
    const outbox = backend.outbox(status.workspace, agentBaseOf(status));
    return complete({ ...status, claimedBy: undefined }, { exitCode: found.exitCode, killed: false, ...readBlocked(outbox), stopReason: status.stopReason }, backend, ctx);
  }
  if (found !== undefined) {
    const adopted = { ...status, ...found, claimedBy: undefined };
    writeStatus(adopted);
    return adopted;
  }
  if (status.claimedBy !== undefined && status.claimedBy !== ctx.pid && processAlive(status.claimedBy)) return status;
  if (status.claimedBy === ctx.pid) return status;
  // An engine can still finish a create that a killed agentctl sent; give it time to show up before starting again.
  if (withinClaimGrace(status, ctx)) return status;
  // Never started: back to the queue, in its old place.
  const requeued: RunStatus = {
    ...status,
    state: 'queued',
    runCount: status.runCount - 1,
    claimedBy: undefined,
    startedAt: undefined,
    seq: status.seq ?? 0,
    queuedAt: status.queuedAt ?? ctx.clock.now().toISOString(),
    waitingFor: 'requeued: the agentctl process that was starting it stopped first',
  };
  writeStatus(requeued);
  return requeued;
}

/**
 * Bring a running run up to date: adopt or requeue a dangling claim, stop it
 * when its time is up, and finish it (outcome, QA, final status, events,
 * backoff) once its agent has ended. Exactly once across processes: whoever
 * holds the workspace's finish lock does it; everyone else sees the result
 * or the run still going.
 */
export async function reconcileRun(workspace: string, ctx: RunContext, wait = false): Promise<RunStatus | undefined> {
  const before = readStatus(workspace);
  if (before?.state !== 'running') return before;
  const result = await withFinishLock(workspace, wait, async () => {
    let status = readStatus(workspace);
    if (status?.state !== 'running') return status;
    const backend = await ctx.backend(status.runtime);
    if (status.containerId === undefined && status.pid === undefined) {
      status = await settleClaim(status, backend, ctx);
      if (status.state !== 'running' || (status.containerId === undefined && status.pid === undefined)) return status;
    }
    const outbox = backend.outbox(workspace, agentBaseOf(status));
    const ingested = ingestOutput(status, outbox, agentBaseOf(status), ctx.clock.now());
    if (ingested !== status) writeStatus(ingested);
    status = ingested;
    // A look that fails (a copy back from a remote engine) must not keep a run that is due to stop from stopping.
    let unseen: { error: unknown } | undefined;
    let end = await observeEnd(status, backend, ctx).catch((error: unknown) => {
      unseen = { error };
      return undefined;
    });
    const stop = end === undefined ? stopDue(status, outbox, ctx.clock.now()) : undefined;
    if (stop !== undefined) {
      status = { ...status, stopReason: stop };
      writeStatus(status);
      await stopAgent(status, backend, ctx);
      end = await observeEnd(status, backend, ctx).catch(() => stoppedEnd(stop));
    } else if (unseen !== undefined) throw unseen.error;
    if (end === undefined) return status;
    return complete(status, end, backend, ctx);
  });
  return result ?? before;
}

/** Stop a running run on purpose and finish it with that reason. */
export async function stopRun(workspace: string, reason: StopReason, ctx: RunContext): Promise<RunStatus | undefined> {
  return withFinishLock(workspace, true, async () => {
    let status = readStatus(workspace);
    if (status?.state !== 'running') return status;
    const backend = await ctx.backend(status.runtime);
    if (agentRef(status) === undefined) {
      // Claimed, never recorded: a starter that died after the start left its agent behind (a live one holds this lock while it starts).
      const found = await backend.find(status);
      if (found !== undefined && 'exitCode' in found) {
        return complete(status, { exitCode: found.exitCode, killed: false, ...readBlocked(backend.outbox(workspace, agentBaseOf(status))), stopReason: status.stopReason }, backend, ctx);
      }
      if (found !== undefined) status = { ...status, ...found, claimedBy: undefined };
    }
    // An agent that already ended keeps its own outcome (a question, an exit code); one that cannot be looked at is stopped all the same.
    const ended = agentRef(status) === undefined ? undefined : await observeEnd(status, backend, ctx).catch(() => undefined);
    if (ended !== undefined) return complete(status, ended, backend, ctx);
    status = { ...status, stopReason: reason };
    writeStatus(status);
    await stopAgent(status, backend, ctx);
    const end = (await observeEnd(status, backend, ctx).catch(() => undefined)) ?? stoppedEnd(reason);
    return complete(status, end, backend, ctx);
  });
}

/** The longest wait between two looks at a followed run. */
const FOLLOW_MAX_MS = 250;
/** How late, as a share of its age, a followed run's end may be seen. */
const FOLLOW_SHARE = 1 / 10;

/**
 * Follow one run to its end (for `dispatch --wait`): wait on the engine
 * when there is a container, poll otherwise, enforce the timeout, and help
 * the queue along while the run waits for a slot.
 */
export async function followRun(
  workspace: string,
  ctx: RunContext,
  drain: () => Promise<unknown>,
  /** Each look at the unfinished run, for live progress; what it throws ends the wait (the run goes on). */
  onProgress?: (status: RunStatus) => void | Promise<void>,
): Promise<RunStatus> {
  const since = performance.now();
  for (;;) {
    const status = await reconcileRun(workspace, ctx);
    if (status === undefined) throw new Error(`the status of ${workspace} disappeared`);
    if (isTerminal(status.state)) return status;
    await onProgress?.(status);
    if (status.state === 'queued') {
      await drain();
      await sleep(250);
      continue;
    }
    // Polling the engine (a cheap inspect) notices an exit sooner than Podman's wait call, which lags by ~0.5 s;
    // often at first, so a short run is not kept waiting, then less often. Somebody waits on this end:
    // a look every tenth of the run's age, where a supervisor looks every quarter.
    const delay = watchDelay(performance.now() - since, FOLLOW_MAX_MS, FOLLOW_SHARE);
    const backend = await ctx.backend(status.runtime);
    await (backend.settle === undefined ? sleep(delay) : backend.settle(status, delay));
  }
}
