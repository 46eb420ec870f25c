import { AgentctlError, ExitCode } from '../core/errors.js';
import { planImage, planRuntime } from '../core/run/run-plan.js';
import type { RunStatus } from '../core/run/status.js';
import { admitNew, limitsFrom, planStarts, type SchedRun, type SchedulerState } from '../core/schedule/scheduler.js';
import { recordEvent } from './events.js';
import { crashPoint } from './faults.js';
import { dependencyHold, settleQueued, waitingOnDependencies } from './run-dependencies.js';
import { readJob, writeJob, type Job } from './job-store.js';
import { alreadyRunning, launchRun } from './launch-run.js';
import type { RunContext } from './run-context.js';
import { readSchedulerState, withSchedulerLock, writeSchedulerState } from './scheduler-store.js';
import { listWorkspaces, readStatus, writeStatus } from './status-store.js';

/** Every run with a status, read fresh. */
export function allStatuses(home: string): RunStatus[] {
  return listWorkspaces(home)
    .map((workspace) => readStatus(workspace))
    .filter((status): status is RunStatus => status !== undefined);
}

/** The runs that compete for slots: a run still waiting for its dependencies is not in the way of any other. */
function schedRuns(statuses: readonly RunStatus[], waiting: ReadonlyMap<string, unknown> = new Map()): SchedRun[] {
  return statuses.filter((s) => !waiting.has(s.workspace)).map((s) => ({ workspace: s.workspace, pool: s.pool, state: s.state, priority: s.priority ?? 0, seq: s.seq ?? 0 }));
}

/** What every status of a job carries, queued or running. */
function jobStatus(job: Job, previous: RunStatus | undefined, ctx: RunContext): Omit<RunStatus, 'state' | 'runCount'> {
  return {
    version: 1,
    workspace: job.workspace,
    repo: job.repo,
    agent: job.agent,
    pool: job.pool,
    runtime: planRuntime(job.run),
    image: planImage(job.run),
    sessionId: job.sessionId,
    owner: previous?.owner ?? { uid: ctx.user.uid, gid: ctx.user.gid },
    priority: job.priority,
    timeoutSeconds: job.timeoutSeconds,
    idleSeconds: job.idleSeconds,
    budgetUsd: job.budgetUsd,
    answeredBy: job.answeredBy,
    after: job.after,
    chain: job.chain,
    warnings: [],
  };
}

/** A run that holds a slot and is about to be started by `ctx.pid`. */
function claimedStatus(job: Job, previous: RunStatus | undefined, ctx: RunContext): RunStatus {
  return {
    ...jobStatus(job, previous, ctx),
    state: 'running',
    runCount: (previous?.runCount ?? 0) + 1,
    startedAt: ctx.clock.now().toISOString(),
    seq: previous?.seq,
    queuedAt: previous?.queuedAt,
    // A run back from a usage limit keeps count of them, so one that meets its limit every time ends (see requeueForLimit).
    limitRequeues: previous?.state === 'queued' ? previous.limitRequeues : undefined,
    claimedBy: ctx.pid,
  };
}

/**
 * A question, exit code or review left by an earlier run must not decide
 * the next one: they go when its slot is claimed, before any process can
 * look for this run's own.
 */
async function writeClaim(status: RunStatus, ctx: RunContext): Promise<void> {
  (await ctx.backend(status.runtime)).clearLeftovers(status.workspace);
  writeStatus(status);
}

export type Admission = { queued: false; status: RunStatus } | { queued: true; status: RunStatus; reason: string };

function refuseLive(workspace: string, previous: RunStatus | undefined): void {
  if (previous?.state === 'running') throw alreadyRunning(workspace);
  if (previous?.state === 'queued') {
    throw new AgentctlError('already_queued', `a run is already queued in ${workspace}`, {
      exitCode: ExitCode.usage,
      hint: `see it with "agentctl status ${workspace}", or drop it with "agentctl cancel ${workspace}"`,
    });
  }
}

function queuedStatus(job: Job, previous: RunStatus | undefined, ctx: RunContext, seq: number, now: Date, reason: string): RunStatus {
  return {
    ...jobStatus(job, previous, ctx),
    state: 'queued',
    runCount: previous?.runCount ?? 0,
    seq,
    queuedAt: now.toISOString(),
    waitingFor: reason,
  };
}

/**
 * Start now or queue: decided under the scheduler lock against every run
 * on disk, so no pool ever runs more than its limit whatever the number of
 * racing dispatches. A started run is claimed here and launched by the caller.
 *
 * Admission is also the one moment a run's files are written: the job and
 * whatever `writeFiles` adds (prompt, manifest) go in under the same lock,
 * after the check for a live run, so a refused dispatch changes nothing and
 * an admitted run keeps exactly its own settings. A job with --after is
 * queued until its dependencies have all completed (see run-dependencies).
 */
export async function admitJob(job: Job, ctx: RunContext, writeFiles?: () => void): Promise<Admission> {
  return withSchedulerLock(ctx.home, async () => {
    const previous = readStatus(job.workspace);
    refuseLive(job.workspace, previous);
    const statuses = allStatuses(ctx.home);
    const held = dependencyHold(job, statuses, ctx.home);
    writeFiles?.();
    writeJob(job);
    const state = readSchedulerState(ctx.home);
    const now = ctx.clock.now();
    const waiting = waitingOnDependencies(statuses);
    const decision = held !== undefined ? { start: false as const, reason: held } : admitNew(job.pool, job.priority, schedRuns(statuses, waiting), state, limitsFrom(ctx.config), now);
    if (decision.start) {
      const status = claimedStatus(job, previous, ctx);
      await writeClaim(status, ctx);
      return { queued: false, status };
    }
    state.seq += 1;
    writeSchedulerState(ctx.home, state);
    const status = queuedStatus(job, previous, ctx, state.seq, now, decision.reason);
    writeStatus(status);
    recordEvent(ctx.home, { type: 'queued', at: status.queuedAt as string, workspace: job.workspace, agent: job.agent, pool: job.pool, reason: decision.reason });
    crashPoint('after-queued', ctx.env);
    return { queued: true, status, reason: decision.reason };
  });
}

/**
 * Queue every job of a chain in one hold of the scheduler lock: all of them,
 * or (a workspace with a live run, a cycle) none. `record` writes the
 * chain's own record first. Nothing starts here: the queue's next pass (this
 * process's, the supervisor's, or any later command's) starts what may
 * start, so a kill at any point leaves either no chain or a whole one.
 */
export async function queueChain(jobs: ReadonlyArray<{ job: Job; writeFiles: () => void }>, ctx: RunContext, record: () => void): Promise<RunStatus[]> {
  return withSchedulerLock(ctx.home, async () => {
    // A chain's tasks wait only for each other, checked acyclic already: a live run in a workspace is the one refusal left.
    for (const { job } of jobs) refuseLive(job.workspace, readStatus(job.workspace));
    const statuses = allStatuses(ctx.home);
    const state = readSchedulerState(ctx.home);
    const now = ctx.clock.now();
    const queued: RunStatus[] = [];
    let seq = state.seq;
    state.seq += jobs.length;
    writeSchedulerState(ctx.home, state);
    record();
    for (const { job, writeFiles } of jobs) {
      const reason = dependencyHold(job, [...statuses, ...queued], ctx.home) ?? 'a slot is free: starting soon';
      writeFiles();
      writeJob(job);
      seq += 1;
      const status = queuedStatus(job, readStatus(job.workspace), ctx, seq, now, reason);
      writeStatus(status);
      recordEvent(ctx.home, { type: 'queued', at: now.toISOString(), workspace: job.workspace, agent: job.agent, pool: job.pool, reason, chain: job.chain?.id });
      queued.push(status);
    }
    return queued;
  });
}

export interface ClaimedRun {
  job: Job;
  status: RunStatus;
}

export interface QueueView {
  /** Runs claimed for this process to launch, in the order to start them. */
  claimed: ClaimedRun[];
  /** Every run, as it stands after the claims (read under the lock, so one scan serves the decision and the counts). */
  statuses: RunStatus[];
  state: SchedulerState;
}

/** Claim every queued run that may start now, in priority and FIFO order, under the scheduler lock. */
export async function claimQueued(ctx: RunContext): Promise<QueueView> {
  return withSchedulerLock(ctx.home, async () => {
    const statuses = allStatuses(ctx.home);
    const state = readSchedulerState(ctx.home);
    if (!statuses.some((s) => s.state === 'queued')) return { claimed: [], statuses, state };
    const current = new Map(statuses.map((s) => [s.workspace, s]));
    const waiting = settleQueued(current, ctx);
    const claimed: ClaimedRun[] = [];
    for (const workspace of planStarts(schedRuns([...current.values()], waiting), state, limitsFrom(ctx.config), ctx.clock.now())) {
      const previous = current.get(workspace) as RunStatus;
      const job = readJob(workspace);
      if (job === undefined) {
        const failed: RunStatus = { ...previous, state: 'failed', reason: 'the queued job file job.json is missing or unreadable', finishedAt: ctx.clock.now().toISOString() };
        writeStatus(failed);
        current.set(workspace, failed);
        continue;
      }
      const status = claimedStatus(job, previous, ctx);
      await writeClaim(status, ctx);
      current.set(workspace, status);
      claimed.push({ job, status });
    }
    return { claimed, statuses: [...current.values()], state };
  });
}

/** Launch claimed runs side by side (one engine call at a time would leave freed slots idle). Returns the runs launched. */
export async function launchClaimed(claimed: readonly ClaimedRun[], ctx: RunContext): Promise<RunStatus[]> {
  const results = await Promise.allSettled(claimed.map(({ job, status }) => launchRun(job, status, ctx)));
  const launched: RunStatus[] = [];
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') launched.push(result.value);
    else ctx.notify(couldNotStart(claimed[index]?.job.workspace, result.reason));
  });
  return launched;
}

export function couldNotStart(workspace: string | undefined, error: unknown): string {
  return `warning: could not start the queued run in ${workspace}: ${(error as Error).message}`;
}

/** Start every queued run that may start now, in priority and FIFO order. Returns the runs launched. */
export async function drainQueue(ctx: RunContext): Promise<RunStatus[]> {
  return launchClaimed((await claimQueued(ctx)).claimed, ctx);
}
